package io.vigil.processor;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.Topics;
import io.vigil.model.kafka.KafkaProbe;
import io.vigil.model.kafka.StreamThreadCrashPolicy;
import io.vigil.model.kafka.StreamsReadiness;
import io.vigil.model.kafka.TopicInitializer;
import io.vigil.model.runtime.AdminServer;
import io.vigil.model.web.ApiSecurity;
import io.vigil.processor.catalog.CatalogFile;
import io.vigil.processor.catalog.CatalogPublisher;
import io.vigil.processor.journey.JourneyTopology;
import io.vigil.processor.logs.LogsTopology;
import io.vigil.processor.signals.GoldenSignalsTopology;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor service: one Kafka Streams application with the golden-signals, data-journey and
 * logs topologies, plus its admin endpoint ({@code /metrics}, {@code /healthz}, {@code /readyz}
 * with the check {@code streams}, and {@code /api/signals}, the latest signal of each series as
 * JSON).
 */
public final class ProcessorService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessorService.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  private static final int MAX_SERIES_SHOWN = 10_000;
  private static final Duration CATALOG_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaStreams streams;
  private final Producer<byte[], byte[]> dlqProducer;
  private final AdminServer admin;
  private final KafkaProbe probe;
  private final ProcessorMetrics metrics;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ProcessorService(
      KafkaStreams streams,
      Producer<byte[], byte[]> dlqProducer,
      AdminServer admin,
      KafkaProbe probe,
      ProcessorMetrics metrics) {
    this.streams = streams;
    this.dlqProducer = dlqProducer;
    this.admin = admin;
    this.probe = probe;
    this.metrics = metrics;
  }

  /**
   * Validates the catalog file (when configured), creates the topics it uses when missing, writes
   * the catalog to {@code vigil.catalog}, starts the admin endpoint and the streams application,
   * and returns without waiting for the application to reach {@code RUNNING} (watch {@link
   * #isRunning()} or {@code /readyz}). Metrics are registered in {@code registry}, which may be
   * shared with other services.
   *
   * @throws io.vigil.model.config.ConfigException when the catalog file cannot be read or used (the
   *     message names file, entry and key)
   * @throws IOException when the admin port cannot be bound
   */
  public static ProcessorService start(ProcessorConfig config, PrometheusRegistry registry)
      throws IOException {
    // A bad catalog file stops the start before anything touches Kafka.
    CatalogFile catalog =
        config.catalog().file() == null ? null : CatalogFile.load(Path.of(config.catalog().file()));
    TopicInitializer.ensureTopics(
        config.kafka(),
        Set.of(
            Topics.OTLP_METRICS,
            Topics.OTLP_SPANS,
            Topics.SIGNALS,
            Topics.SIGNALS_LIVE,
            Topics.LINEAGE,
            Topics.PIPELINE_RUNS,
            Topics.CATALOG,
            Topics.OTLP_LOGS,
            Topics.LOGS,
            Topics.DLQ),
        Map.of(
            Topics.SIGNALS_LIVE,
            Topics.SIGNALS_LIVE_CONFIG,
            Topics.CATALOG,
            Topics.CATALOG_CONFIG));
    if (catalog != null) {
      // Before the streams start, so that the journey's global table begins with this catalog.
      CatalogPublisher.Result published =
          CatalogPublisher.publish(
              config.kafka(), config.applicationId(), catalog.entries(), CATALOG_TIMEOUT);
      LOG.info(
          "catalog {}: {} jobs, {} services -> {}: {} written, {} removed, {} unchanged",
          config.catalog().file(),
          catalog.jobs().size(),
          catalog.services().size(),
          Topics.CATALOG,
          published.written(),
          published.removed(),
          published.unchanged());
    }
    ProcessorMetrics metrics = ProcessorMetrics.register(registry);

    LatestSignals latest = new LatestSignals(MAX_SERIES_SHOWN);
    StreamsBuilder builder = new StreamsBuilder();
    // Requests read on the partition of the task that holds their series skip the repartition.
    int partitions =
        TopicInitializer.partitions(config.kafka(), Set.of(Topics.OTLP_METRICS, Topics.OTLP_SPANS));
    GoldenSignalsTopology.addTo(
        builder, config, metrics, latest::record, Instant.now(), partitions);
    JourneyTopology.addTo(builder, config, metrics);
    LogsTopology.addTo(builder, config, metrics, latest::record);
    Topology topology = builder.build();

    ApiSecurity security = ApiSecurity.load("processor", config.webConfigFile(), registry);
    AdminServer admin =
        AdminServer.start(
            config.admin().host(),
            config.adminPort(),
            registry,
            security.https(),
            security.authenticator());
    Producer<byte[], byte[]> dlqProducer = null;
    KafkaProbe probe = null;
    try {
      probe = KafkaProbe.start("processor", config.kafka(), registry);
      dlqProducer =
          new KafkaProducer<>(
              config
                  .kafka()
                  .producer(
                      Map.of(
                          ProducerConfig.CLIENT_ID_CONFIG,
                          config.applicationId() + "-dlq",
                          ProducerConfig.ACKS_CONFIG,
                          "all",
                          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                          true)),
              new ByteArraySerializer(),
              new ByteArraySerializer());
      Properties props = config.streamsProperties();
      // Where the other instances ask this one for its part of /api/signals.
      String self = config.admin().advertised(admin.port(), localAddress());
      props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self);
      props.put(DeadLetterHandler.METRICS_CONFIG, metrics);
      props.put(DeadLetterHandler.PRODUCER_CONFIG, dlqProducer);
      KafkaStreams streams = new KafkaStreams(topology, props);
      streams.setUncaughtExceptionHandler(
          new StreamThreadCrashPolicy(3, Duration.ofMinutes(10), Clock.systemUTC()));
      admin
          .readiness(
              "streams",
              StreamsReadiness.watch(
                  streams,
                  (now, before) -> LOG.info("processor streams state {} -> {}", before, now)))
          // Streams stays RUNNING through a broker outage (its clients retry): not ready then.
          .readiness("kafka", probe::isReachable)
          .route(
              "/api/signals",
              new SignalsApi(latest, () -> peers(streams, self), security.https() != null)::handle);
      streams.start();
      LOG.info(
          "processor started: {} and {} -> {} and {} (window {}, grace {}, emit interval {}), admin"
              + " on port {}",
          Topics.OTLP_METRICS,
          Topics.OTLP_SPANS,
          Topics.SIGNALS,
          Topics.SIGNALS_LIVE,
          config.window(),
          config.grace(),
          config.emitInterval(),
          admin.port());
      return new ProcessorService(streams, dlqProducer, admin, probe, metrics);
    } catch (RuntimeException e) {
      if (dlqProducer != null) {
        dlqProducer.close(Duration.ZERO);
      }
      if (probe != null) {
        probe.close();
      }
      admin.close();
      throw e;
    }
  }

  /** The other instances' advertised admin addresses, as Kafka Streams knows them now. */
  private static Set<String> peers(KafkaStreams streams, String self) {
    Set<String> peers = new TreeSet<>();
    try {
      for (StreamsMetadata client : streams.metadataForAllStreamsClients()) {
        String address = client.hostInfo().host() + ":" + client.hostInfo().port();
        if (!address.equals(self)) {
          peers.add(address);
        }
      }
    } catch (StreamsException notRunning) {
      // not started or shut down: only this instance's signals
    }
    return peers;
  }

  /** This machine's address (a pod's IP), for the others to reach its admin endpoint. */
  private static String localAddress() {
    try {
      return InetAddress.getLocalHost().getHostAddress();
    } catch (UnknownHostException e) {
      LOG.warn(
          "cannot tell this machine's address ({}): set admin.advertised_address", e.getMessage());
      return "127.0.0.1";
    }
  }

  /** Final windows emitted since start (as seen by this instance's stream threads). */
  public long signalsEmitted() {
    return metrics.signalsEmitted("final");
  }

  /**
   * Data points that reached this instance's signals step (after the repartition by series) since
   * start: equal to {@link #dataPointsAccepted()} once nothing waits in the repartition topic.
   */
  public long dataPointsWindowed() {
    return metrics.dataPointsWindowed();
  }

  /**
   * Request data points this instance's decode steps sent to the signals step by {@code route}
   * since start: {@code direct} (read on the partition of the task that holds their series) or
   * {@code repartition} (through the repartition topic).
   */
  public long dataPointsRouted(String route) {
    return metrics.dataPointsRouted(route);
  }

  /** Data points this instance's stream threads have taken in since start. */
  public long dataPointsAccepted() {
    return metrics.dataPoints();
  }

  /** Live signals emitted since start (as seen by this instance's stream threads). */
  public long liveSignalsEmitted() {
    return metrics.signalsEmitted("live");
  }

  /** The port the admin endpoint is bound to. */
  public int adminPort() {
    return admin.port();
  }

  /** Whether the streams application is {@code RUNNING} (not starting, rebalancing or dead). */
  public boolean isRunning() {
    return streams.state() == KafkaStreams.State.RUNNING;
  }

  /**
   * Stops the streams application (waiting up to 30 s), the DLQ producer, the Kafka probe and the
   * admin endpoint.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // Leaving the group hands the tasks to the other instances at once (a rolling restart);
    // staying would hold them until the session times out.
    if (!streams.close(new KafkaStreams.CloseOptions().timeout(CLOSE_TIMEOUT).leaveGroup(true))) {
      LOG.warn("processor streams did not stop within {}", CLOSE_TIMEOUT);
    }
    dlqProducer.close(Duration.ofSeconds(5));
    probe.close();
    admin.close();
  }
}
