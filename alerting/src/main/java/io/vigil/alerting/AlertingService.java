package io.vigil.alerting;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.elasticsearch.ElasticsearchIndexer;
import io.vigil.alerting.notify.NotificationMetrics;
import io.vigil.alerting.notify.slack.SlackNotifier;
import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.rules.ActiveAlert;
import io.vigil.alerting.rules.AlertEvaluator;
import io.vigil.alerting.rules.AlertRule;
import io.vigil.alerting.rules.RuleLoader;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.kafka.TopicInitializer;
import io.vigil.model.runtime.AdminServer;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alerting service: consumes golden signals from {@code vigil.signals}, evaluates the rules,
 * writes transitions to {@code vigil.alerts}, indexes signals and alerts into Elasticsearch, sends
 * notifications through the Alertmanager-format routing tree, and commits only after all of that.
 * Serves {@code /metrics}, {@code /healthz}, {@code /readyz} (checks {@code consumer} and {@code
 * elasticsearch}) and {@code /api/v2/alerts} on its admin port.
 */
public final class AlertingService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AlertingService.class);
  static final String GROUP_ID = "vigil-alerting";

  /**
   * How far back the restart state reaches: alerts whose last transition, and deliveries whose log
   * entry, were written longer ago are forgotten at startup.
   */
  static final Duration RESTORE_HORIZON = Duration.ofHours(24);

  /** How long startup may spend replaying each of {@code vigil.alerts} and the notification log. */
  static final Duration REPLAY_TIMEOUT = Duration.ofSeconds(60);

  private final SignalLoop loop;
  private final Thread thread;
  private final KafkaProducer<byte[], byte[]> producer;
  private final ElasticsearchIndexer indexer;
  private final NotificationDispatcher dispatcher;
  private final AdminServer admin;

  private AlertingService(
      SignalLoop loop,
      Thread thread,
      KafkaProducer<byte[], byte[]> producer,
      ElasticsearchIndexer indexer,
      NotificationDispatcher dispatcher,
      AdminServer admin) {
    this.loop = loop;
    this.thread = thread;
    this.producer = producer;
    this.indexer = indexer;
    this.dispatcher = dispatcher;
    this.admin = admin;
  }

  /**
   * Loads rules and routing, ensures the topics, installs the Elasticsearch templates (if
   * Elasticsearch is down, it keeps retrying and readiness says so), starts the admin server and
   * the consumer loop.
   *
   * @throws io.vigil.model.config.ConfigException when a rule file or the Alertmanager
   *     configuration is invalid (the message names file and key)
   * @throws IOException when the admin port cannot be bound
   */
  public static AlertingService start(AlertingConfig config, PrometheusRegistry registry)
      throws IOException {
    List<AlertRule> rules = RuleLoader.load(config.ruleFilePaths());
    AlertmanagerConfig routing = AlertmanagerConfig.load(config.alertmanagerConfigPath());
    LOG.info(
        "loaded {} rules from {}; routing from {}",
        rules.size(),
        config.ruleFiles(),
        config.alertmanagerConfig());

    TopicInitializer.ensureTopics(
        config.kafka(),
        Set.of(
            Topics.SIGNALS,
            Topics.SIGNALS_LIVE,
            Topics.PIPELINE_RUNS,
            Topics.LOGS,
            Topics.ALERTS,
            Topics.NOTIFICATIONS,
            Topics.DLQ),
        Map.of(
            Topics.NOTIFICATIONS,
            Map.of("cleanup.policy", "compact"),
            Topics.SIGNALS_LIVE,
            Topics.SIGNALS_LIVE_CONFIG));

    ElasticsearchIndexer indexer = ElasticsearchIndexer.create(config.elasticsearch(), registry);
    try {
      indexer.installTemplates();
    } catch (IOException e) {
      LOG.warn(
          "Elasticsearch at {} not available yet ({}); will retry before the first write",
          config.elasticsearch().url(),
          e.getMessage());
    }

    AtomicReference<List<ActiveAlert>> firing = new AtomicReference<>(List.of());
    AlertingMetrics metrics = new AlertingMetrics(registry, () -> firing.get().size());

    KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            config
                .kafka()
                .properties(
                    Map.of(
                        ProducerConfig.CLIENT_ID_CONFIG, "vigil-alerting",
                        ProducerConfig.ACKS_CONFIG, "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                        ProducerConfig.LINGER_MS_CONFIG, "5",
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000",
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000",
                        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                            ByteArraySerializer.class.getName(),
                        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                            ByteArraySerializer.class.getName())));
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            config
                .kafka()
                .properties(
                    Map.of(
                        ConsumerConfig.CLIENT_ID_CONFIG, "vigil-alerting",
                        ConsumerConfig.GROUP_ID_CONFIG, GROUP_ID,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500",
                        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                            ByteArrayDeserializer.class.getName(),
                        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                            ByteArrayDeserializer.class.getName())));

    Clock clock = Clock.systemUTC();
    Instant horizon = clock.instant().minus(RESTORE_HORIZON);
    NotificationLog log =
        new NotificationLog(producer, metrics.notificationLog, RESTORE_HORIZON, clock);
    LastTransitions last = new LastTransitions();
    try {
      replay(config, Topics.NOTIFICATIONS, log::load);
      replay(config, Topics.ALERTS, last::accept);
    } catch (RuntimeException e) {
      consumer.close();
      producer.close();
      indexer.close();
      throw e;
    }
    List<AlertTransition> restored = last.since(horizon);
    AlertEvaluator evaluator = new AlertEvaluator(rules, config.externalUrl());
    int active = evaluator.restore(restored);
    firing.set(evaluator.firing());
    LOG.info(
        "restored {} firing alerts from {} recent transitions and {} notification log entries",
        active,
        restored.size(),
        log.size());

    NotificationDispatcher dispatcher =
        NotificationDispatcher.create(
            routing,
            NotificationMetrics.register(registry),
            SlackNotifier.defaultHttpClient(),
            log);
    SignalLoop loop =
        new SignalLoop(
            consumer, producer, indexer, evaluator, dispatcher, metrics, firing, restored);

    AdminServer admin;
    try {
      admin =
          AdminServer.start(
              config.admin().host(),
              config.admin().portOr(AlertingConfig.DEFAULT_ADMIN_PORT),
              registry);
    } catch (IOException e) {
      consumer.close();
      producer.close();
      indexer.close();
      throw e;
    }
    admin
        .readiness("consumer", loop::healthy)
        .readiness("elasticsearch", indexer::healthy)
        .route(
            "/api/v2/alerts",
            new AlertsApi(
                firing::get, dispatcher::receiversFor, routing.global().resolveTimeout()));

    Thread thread = new Thread(loop, "vigil-alerting-signals");
    thread.setDaemon(true);
    thread.start();
    LOG.info("alerting started; admin on port {}", admin.port());
    return new AlertingService(loop, thread, producer, indexer, dispatcher, admin);
  }

  private static void replay(
      AlertingConfig config,
      String topic,
      java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> sink) {
    long started = System.nanoTime();
    if (!TopicReplay.replay(config.kafka(), topic, REPLAY_TIMEOUT, sink)) {
      LOG.warn(
          "replaying {} did not reach its end within {}; starting with what was read, so some"
              + " notifications may be repeated or alerts not restored",
          topic,
          REPLAY_TIMEOUT);
    } else {
      LOG.debug("replayed {} in {} ms", topic, (System.nanoTime() - started) / 1_000_000);
    }
  }

  /** Golden-signal windows evaluated so far. */
  public long signalsEvaluated() {
    return loop.evaluated();
  }

  /** Alerts that went to firing so far. */
  public long alertsFired() {
    return loop.fired();
  }

  /** Notifications delivered so far (all integrations). */
  public long notificationsSent() {
    return dispatcher.sent();
  }

  /** Deliveries skipped because the notification log recorded them already. */
  public long notificationsDeduplicated() {
    return dispatcher.deduplicated();
  }

  /** The admin port actually bound. */
  public int adminPort() {
    return admin.port();
  }

  /** Whether every readiness check passes. */
  public boolean ready() {
    return admin.failingChecks().isEmpty();
  }

  /** Stops the loop (the current batch finishes its step), then closes clients and the server. */
  @Override
  public void close() {
    loop.stop();
    try {
      thread.join(Duration.ofSeconds(30).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(5));
    try {
      indexer.close();
    } catch (IOException e) {
      LOG.debug("closing the Elasticsearch client", e);
    }
    admin.close();
  }
}
