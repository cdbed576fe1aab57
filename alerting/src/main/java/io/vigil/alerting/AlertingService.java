package io.vigil.alerting;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.dispatch.Dispatcher;
import io.vigil.alerting.dispatch.FiringAlerts;
import io.vigil.alerting.dispatch.Inhibitor;
import io.vigil.alerting.dispatch.Muting;
import io.vigil.alerting.dispatch.Silences;
import io.vigil.alerting.elasticsearch.ElasticsearchIndexer;
import io.vigil.alerting.elasticsearch.IndexingLoop;
import io.vigil.alerting.kafka.TopicFollower;
import io.vigil.alerting.notify.Backoff;
import io.vigil.alerting.notify.DeliveryWorker;
import io.vigil.alerting.notify.Links;
import io.vigil.alerting.notify.NotificationDelivery;
import io.vigil.alerting.notify.NotificationLog;
import io.vigil.alerting.notify.NotificationMetrics;
import io.vigil.alerting.notify.Notifier;
import io.vigil.alerting.notify.email.EmailConfig;
import io.vigil.alerting.notify.email.EmailNotifier;
import io.vigil.alerting.notify.slack.SlackConfig;
import io.vigil.alerting.notify.slack.SlackNotifier;
import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.route.Receiver;
import io.vigil.alerting.rules.ActiveAlert;
import io.vigil.alerting.rules.AlertEvaluator;
import io.vigil.alerting.rules.AlertRule;
import io.vigil.alerting.rules.RuleLoader;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.kafka.KafkaProbe;
import io.vigil.model.kafka.StreamThreadCrashPolicy;
import io.vigil.model.kafka.StreamsDefaults;
import io.vigil.model.kafka.StreamsReadiness;
import io.vigil.model.kafka.TopicInitializer;
import io.vigil.model.runtime.AdminServer;
import io.vigil.model.runtime.VigilVersion;
import io.vigil.model.web.ApiSecurity;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alerting service, four independent parts in one process:
 *
 * <ul>
 *   <li><b>decisions</b> — {@link AlertingTopology} in Kafka Streams (application id {@value
 *       #APPLICATION_ID}, exactly-once): rules on live signals and pipeline runs → {@code
 *       vigil.alerts} → alert groups → {@code vigil.notifications.queue};
 *   <li><b>delivery</b> — {@link NotificationDelivery} and one {@link DeliveryWorker} thread per
 *       integration of each receiver, with the notification log on {@code vigil.notifications};
 *   <li><b>indexing</b> — {@link IndexingLoop} in its own consumer group, into Elasticsearch;
 *   <li><b>views</b> — the firing alerts folded from {@code vigil.alerts} and the silences from
 *       {@code vigil.silences}, on every replica, for the API, inhibition and muting.
 * </ul>
 *
 * Serves {@code /metrics}, {@code /healthz}, {@code /readyz}, {@code /api/v2/alerts} and the
 * silence API on its admin port.
 */
public final class AlertingService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AlertingService.class);

  /** The Kafka Streams application id (and so consumer group) of the rule engine. */
  static final String APPLICATION_ID = "vigil-alerting";

  /** Notifications older than this are not delivered; log entries older are forgotten. */
  static final Duration DELIVERY_HORIZON = Duration.ofDays(7);

  /** Delivery retries: 1 s doubling to 60 s, with jitter, until delivered or replaced. */
  static final Backoff DELIVERY_RETRY =
      new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), Integer.MAX_VALUE);

  private final KafkaStreams streams;
  private final IndexingLoop indexing;
  private final NotificationDelivery delivery;
  private final List<DeliveryWorker> workers;
  private final TopicFollower alertsView;
  private final TopicFollower silencesView;
  private final List<Thread> threads;
  private final KafkaProducer<byte[], byte[]> producer;
  private final ElasticsearchIndexer indexer;
  private final NotificationMetrics notificationMetrics;
  private final AlertingMetrics metrics;
  private final AdminServer admin;
  private final KafkaProbe probe;

  private AlertingService(Parts parts) {
    this.streams = parts.streams;
    this.indexing = parts.indexing;
    this.delivery = parts.delivery;
    this.workers = parts.workers;
    this.alertsView = parts.alertsView;
    this.silencesView = parts.silencesView;
    this.threads = parts.threads;
    this.producer = parts.producer;
    this.indexer = parts.indexer;
    this.notificationMetrics = parts.notificationMetrics;
    this.metrics = parts.metrics;
    this.admin = parts.admin;
    this.probe = parts.probe;
  }

  /**
   * Loads rules and routing, ensures the topics, installs the Elasticsearch templates (if
   * Elasticsearch is down, the indexer keeps retrying and readiness says so), then starts every
   * part and the admin server.
   *
   * @throws io.vigil.model.config.ConfigException when a rule file or the Alertmanager
   *     configuration is invalid (the message names file and key)
   * @throws IOException when the admin port cannot be bound
   */
  public static AlertingService start(AlertingConfig config, PrometheusRegistry registry)
      throws IOException {
    List<AlertRule> rules = RuleLoader.load(config.ruleFilePaths());
    AlertmanagerConfig routing = AlertmanagerConfig.load(config.alertmanagerConfigPath());
    ApiSecurity security = ApiSecurity.load("alerting", config.webConfigFile(), registry);
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
            Topics.ALERTS_EXTERNAL,
            Topics.NOTIFICATIONS,
            Topics.NOTIFICATION_QUEUE,
            Topics.SILENCES,
            Topics.DLQ),
        Map.of(
            Topics.NOTIFICATIONS,
            Map.of("cleanup.policy", "compact"),
            Topics.SILENCES,
            Map.of("cleanup.policy", "compact"),
            Topics.NOTIFICATION_QUEUE,
            Topics.NOTIFICATION_QUEUE_CONFIG,
            Topics.SIGNALS_LIVE,
            Topics.SIGNALS_LIVE_CONFIG));

    Parts parts = new Parts();
    try {
      parts.indexer = ElasticsearchIndexer.create(config.elasticsearch(), registry);
      try {
        parts.indexer.installTemplates();
      } catch (IOException e) {
        LOG.warn(
            "Elasticsearch at {} not available yet ({}); will retry before the first write",
            config.elasticsearch().url(),
            e.getMessage());
      }
      FiringAlerts firing = new FiringAlerts();
      Silences silences = new Silences();
      parts.metrics = new AlertingMetrics(registry, firing::size);
      parts.notificationMetrics = NotificationMetrics.register(registry);
      parts.producer = new KafkaProducer<>(config.kafka().producer(producerSettings()));
      parts.probe = KafkaProbe.start("alerting", config.kafka(), registry);

      parts.alertsView = new TopicFollower(config.kafka(), Topics.ALERTS, firing::accept);
      parts.silencesView = new TopicFollower(config.kafka(), Topics.SILENCES, silences::accept);
      parts.indexing =
          new IndexingLoop(
              new KafkaConsumer<>(config.kafka().consumer(indexerSettings())),
              parts.producer,
              parts.indexer,
              parts.metrics::rejected,
              parts.metrics::retried);

      Clock clock = Clock.systemUTC();
      NotificationLog log =
          new NotificationLog(
              parts.producer, parts.metrics.notificationLog, DELIVERY_HORIZON, clock);
      HttpClient webhooks = SlackNotifier.defaultHttpClient();
      Map<String, List<DeliveryWorker>> byReceiver =
          workers(routing, webhooks, config.links(), log, parts.notificationMetrics, clock);
      parts.workers = new ArrayList<>();
      byReceiver.values().forEach(parts.workers::addAll);
      parts.delivery =
          new NotificationDelivery(config.kafka(), byReceiver, log, DELIVERY_HORIZON, clock);
      registerDeliveryGauges(registry, parts.workers);

      Dispatcher dispatcher = new Dispatcher(routing);
      Inhibitor inhibitor = new Inhibitor(routing.inhibitRules());
      Muting muting = new Muting(inhibitor, firing, silences, clock);
      parts.streams =
          new KafkaStreams(
              AlertingTopology.build(
                  new AlertEvaluator(rules, config.externalUrl()),
                  dispatcher,
                  muting,
                  parts.metrics),
              streamsProperties(config));
      parts.streams.setUncaughtExceptionHandler(
          new StreamThreadCrashPolicy(3, Duration.ofMinutes(10), clock));

      parts.admin =
          AdminServer.start(
              config.admin().host(),
              config.admin().portOr(AlertingConfig.DEFAULT_ADMIN_PORT),
              registry,
              security.https(),
              security.authenticator());
      KafkaStreams streams = parts.streams;
      IndexingLoop indexing = parts.indexing;
      NotificationDelivery delivery = parts.delivery;
      TopicFollower alertsView = parts.alertsView;
      TopicFollower silencesView = parts.silencesView;
      ElasticsearchIndexer indexer = parts.indexer;
      List<Thread> threads = new ArrayList<>();
      parts.threads = threads;
      parts
          .admin
          .readiness(
              "streams",
              StreamsReadiness.watch(
                  streams,
                  (now, before) -> LOG.info("alerting streams state {} -> {}", before, now)))
          // Streams stays RUNNING through a broker outage (its clients retry): not ready then.
          .readiness("kafka", parts.probe::isReachable)
          .readiness("delivery", () -> delivery.healthy() && alive(threads))
          .readiness("alerts_view", () -> alertsView.healthy() && alertsView.caughtUp())
          .readiness("silences_view", () -> silencesView.healthy() && silencesView.caughtUp())
          .readiness("indexer", indexing::healthy)
          .readiness("elasticsearch", indexer::healthy)
          .route(
              "/api/v2/alerts",
              new AlertsApi(
                  () -> active(firing.all()),
                  dispatcher::route,
                  labels -> silences.muting(labels, clock.instant()),
                  () -> inhibitor.inhibitions(firing.all()),
                  routing.global().resolveTimeout(),
                  parts.producer,
                  clock))
          .route(
              "/api/v2/status",
              new StatusApi(
                  StatusApi.instanceName(),
                  VigilVersion.get(),
                  clock.instant(),
                  Files.readString(config.alertmanagerConfigPath())))
          .route("/api/v2/silences", new SilencesApi(silences, parts.producer, clock))
          .route("/api/v2/silence/", new SilencesApi(silences, parts.producer, clock));

      threads.add(thread(parts.alertsView, "vigil-alerting-alerts-view"));
      threads.add(thread(parts.silencesView, "vigil-alerting-silences-view"));
      for (DeliveryWorker worker : parts.workers) {
        threads.add(thread(worker, "vigil-alerting-deliver-" + worker.id()));
      }
      threads.add(thread(parts.delivery, "vigil-alerting-delivery"));
      threads.add(thread(parts.indexing, "vigil-alerting-indexer"));
      boolean slack =
          routing.receivers().values().stream().anyMatch(r -> !r.slackConfigs().isEmpty());
      Warmup.run(
          dispatcher,
          muting,
          parts.workers,
          slack ? webhooks : null,
          parts.admin.healthUrl(),
          clock);
      parts.streams.start();
      LOG.info(
          "alerting started: {} rules, {} delivery workers; admin on port {}",
          rules.size(),
          parts.workers.size(),
          parts.admin.port());
      return new AlertingService(parts);
    } catch (IOException | RuntimeException e) {
      parts.close();
      throw e;
    }
  }

  private static Map<String, Object> producerSettings() {
    return Map.of(
        ProducerConfig.CLIENT_ID_CONFIG, "vigil-alerting",
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
        ProducerConfig.LINGER_MS_CONFIG, "0",
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000",
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000",
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
  }

  private static Map<String, Object> indexerSettings() {
    return Map.of(
        ConsumerConfig.CLIENT_ID_CONFIG, "vigil-alerting-indexer",
        ConsumerConfig.GROUP_ID_CONFIG, IndexingLoop.GROUP_ID,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
  }

  /**
   * Vigil's exactly-once Streams defaults ({@link StreamsDefaults}: every alert crosses two of its
   * commits here, evaluation → repartition by group and dispatch → queue), then the overrides.
   */
  static java.util.Properties streamsProperties(AlertingConfig config) {
    return config.kafka().streams(StreamsDefaults.exactlyOnce(APPLICATION_ID, config.stateDir()));
  }

  private static Map<String, List<DeliveryWorker>> workers(
      AlertmanagerConfig routing,
      HttpClient http,
      Links links,
      NotificationLog log,
      NotificationMetrics metrics,
      Clock clock) {
    Map<String, List<DeliveryWorker>> byReceiver = new HashMap<>();
    for (Receiver receiver : routing.receivers().values()) {
      List<Notifier> notifiers = new ArrayList<>();
      for (SlackConfig slack : receiver.slackConfigs()) {
        notifiers.add(new SlackNotifier(slack, http, links));
      }
      for (EmailConfig email : receiver.emailConfigs()) {
        notifiers.add(new EmailNotifier(email, links));
      }
      Map<String, Integer> perType = new HashMap<>();
      List<DeliveryWorker> list = new ArrayList<>();
      for (Notifier n : notifiers) {
        int index = perType.merge(n.integration(), 1, Integer::sum) - 1;
        list.add(
            new DeliveryWorker(
                receiver.name(),
                n.integration() + "[" + index + "]",
                n,
                log,
                DELIVERY_RETRY,
                metrics,
                clock));
      }
      byReceiver.put(receiver.name(), List.copyOf(list));
    }
    return byReceiver;
  }

  private static void registerDeliveryGauges(
      PrometheusRegistry registry, List<DeliveryWorker> workers) {
    GaugeWithCallback.builder()
        .name("vigil_alerting_notifications_pending")
        .help("Notifications waiting for delivery, by receiver/integration")
        .labelNames("integration")
        .callback(cb -> workers.forEach(w -> cb.call(w.pending(), w.id())))
        .register(registry);
    GaugeWithCallback.builder()
        .name("vigil_alerting_notifications_oldest_pending_seconds")
        .help("How long the oldest waiting notification has waited, by receiver/integration")
        .labelNames("integration")
        .callback(cb -> workers.forEach(w -> cb.call(w.oldestPendingSeconds(), w.id())))
        .register(registry);
  }

  private static Thread thread(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static boolean alive(List<Thread> threads) {
    for (Thread t : threads) {
      if (!t.isAlive()) {
        return false;
      }
    }
    return true;
  }

  private static List<ActiveAlert> active(List<AlertTransition> firing) {
    return firing.stream()
        .map(
            t ->
                new ActiveAlert(
                    t.fingerprint(),
                    t.labels(),
                    t.annotations(),
                    t.value(),
                    t.startsAt(),
                    t.startsAt(),
                    t.generatorUrl()))
        .toList();
  }

  /** Samples (live signals, pipeline runs) evaluated so far by this instance. */
  public long samplesEvaluated() {
    return (long) metrics.samplesEvaluated.get();
  }

  /** Alerts that went to firing so far on this instance. */
  public long alertsFired() {
    return (long) metrics.transitions.labelValues(AlertTransition.State.FIRING.wireName()).get();
  }

  /** Notifications delivered so far (all integrations). */
  public long notificationsSent() {
    return notificationMetrics.count("slack", "success")
        + notificationMetrics.count("email", "success");
  }

  /** Deliveries skipped because the notification log recorded them already. */
  public long notificationsDeduplicated() {
    return notificationMetrics.count("slack", "deduplicated")
        + notificationMetrics.count("email", "deduplicated");
  }

  /** The admin port actually bound. */
  public int adminPort() {
    return admin.port();
  }

  /** Whether every readiness check passes. */
  public boolean ready() {
    return admin.failingChecks().isEmpty();
  }

  /** Stops every part, then closes clients and the server. */
  @Override
  public void close() {
    Parts parts = new Parts();
    parts.streams = streams;
    parts.indexing = indexing;
    parts.delivery = delivery;
    parts.workers = workers;
    parts.alertsView = alertsView;
    parts.silencesView = silencesView;
    parts.threads = threads;
    parts.producer = producer;
    parts.indexer = indexer;
    parts.admin = admin;
    parts.probe = probe;
    parts.close();
  }

  /** What start builds, so a failed start and close release the same things. */
  private static final class Parts {
    KafkaStreams streams;
    IndexingLoop indexing;
    NotificationDelivery delivery;
    List<DeliveryWorker> workers = List.of();
    TopicFollower alertsView;
    TopicFollower silencesView;
    List<Thread> threads = List.of();
    KafkaProducer<byte[], byte[]> producer;
    ElasticsearchIndexer indexer;
    NotificationMetrics notificationMetrics;
    AlertingMetrics metrics;
    AdminServer admin;
    KafkaProbe probe;

    void close() {
      if (streams != null) {
        // Leaving the group hands the tasks over at once; staying would hold alerts back until
        // the session times out (45 s) when this instance is replaced.
        streams.close(
            new KafkaStreams.CloseOptions().timeout(Duration.ofSeconds(30)).leaveGroup(true));
      }
      if (delivery != null) {
        delivery.stop();
      }
      workers.forEach(DeliveryWorker::stop);
      if (indexing != null) {
        indexing.stop();
      }
      if (alertsView != null) {
        alertsView.stop();
      }
      if (silencesView != null) {
        silencesView.stop();
      }
      for (Thread t : threads) {
        try {
          t.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (producer != null) {
        producer.close(Duration.ofSeconds(5));
      }
      if (indexer != null) {
        try {
          indexer.close();
        } catch (IOException e) {
          LOG.debug("closing the Elasticsearch client", e);
        }
      }
      if (probe != null) {
        probe.close();
      }
      if (admin != null) {
        admin.close();
      }
    }
  }
}
