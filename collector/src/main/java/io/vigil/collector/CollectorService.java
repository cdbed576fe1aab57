package io.vigil.collector;

import com.linecorp.armeria.server.HttpService;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.ingress.BearerAuth;
import io.vigil.collector.ingress.InFlightBytes;
import io.vigil.collector.ingress.Ingress;
import io.vigil.collector.ingress.Listener;
import io.vigil.collector.ingress.Peers;
import io.vigil.collector.ingress.ReceiverMetrics;
import io.vigil.collector.ingress.Receiving;
import io.vigil.collector.ingress.SenderRateLimits;
import io.vigil.collector.k8s.KubernetesDiscovery;
import io.vigil.collector.k8s.PodCatalog;
import io.vigil.collector.kafka.KafkaShipper;
import io.vigil.collector.lag.LagWatcher;
import io.vigil.collector.lineage.LineageEvents;
import io.vigil.collector.lineage.LineageService;
import io.vigil.collector.logs.LogTailer;
import io.vigil.collector.logs.LogsSettings;
import io.vigil.collector.otlp.AuthSettings;
import io.vigil.collector.otlp.OtlpHttpSettings;
import io.vigil.collector.otlp.OtlpReceivers;
import io.vigil.collector.otlp.OtlpSettings;
import io.vigil.collector.otlp.OtlpSignal;
import io.vigil.collector.scrape.Scraper;
import io.vigil.collector.sink.EnrichingSink;
import io.vigil.collector.sink.RecordSink;
import io.vigil.collector.sink.Spool;
import io.vigil.collector.sink.SpoolingSink;
import io.vigil.model.Topics;
import io.vigil.model.kafka.KafkaProbe;
import io.vigil.model.kafka.TopicInitializer;
import io.vigil.model.runtime.AdminServer;
import io.vigil.model.tls.TlsReloadFailures;
import io.vigil.model.web.ApiSecurity;
import io.vigil.model.web.BearerTokens;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running collector: starts the Kafka probe, creates its topics, then starts the shipper, the
 * log tailer, the scraper and the lag watcher (when enabled), the ingress with the OTLP/gRPC and
 * OTLP/HTTP (+ OpenLineage) receivers, and the admin endpoint ({@code /metrics}, {@code /healthz},
 * {@code /readyz} with checks {@code kafka} or {@code spool}, {@code ingress} and {@code logs}).
 *
 * <p>Kafka unreachable at start does not stop it, as an agent must come up on a node whatever the
 * state of the cluster: it serves at once (OTLP spooled to disk, or refused with 503 without a
 * spool), and creates the topics and starts tailing log files (they are their own buffer) in the
 * background once Kafka answers. Kafka reachable but refusing the topics (a replication factor it
 * cannot meet, no permission) still fails the start, naming the problem.
 */
public final class CollectorService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CollectorService.class);

  /** How often the start waiting for Kafka tries again. */
  private static final Duration KAFKA_RETRY = Duration.ofSeconds(5);

  private final KafkaProbe probe;
  private final KafkaShipper shipper;
  private final SpoolingSink spooling;
  private final Ingress ingress;
  private final AtomicReference<LogTailer> tailer;
  private final Thread kafkaWait;
  private final Scraper scraper;
  private final LagWatcher lag;
  private final KubernetesDiscovery kubernetes;
  private final ReceiverMetrics metrics;
  private final AdminServer admin;

  private CollectorService(
      KafkaProbe probe,
      KafkaShipper shipper,
      SpoolingSink spooling,
      Ingress ingress,
      AtomicReference<LogTailer> tailer,
      Thread kafkaWait,
      Scraper scraper,
      LagWatcher lag,
      KubernetesDiscovery kubernetes,
      ReceiverMetrics metrics,
      AdminServer admin) {
    this.probe = probe;
    this.shipper = shipper;
    this.spooling = spooling;
    this.ingress = ingress;
    this.tailer = tailer;
    this.kafkaWait = kafkaWait;
    this.scraper = scraper;
    this.lag = lag;
    this.kubernetes = kubernetes;
    this.metrics = metrics;
    this.admin = admin;
  }

  /**
   * Starts the collector. Its metrics go to {@code registry}, which other services in the same
   * process may share (names start with {@code vigil_collector_}).
   *
   * @throws IOException when a port cannot be bound (the message names it)
   * @throws IllegalStateException when Kafka answers but the topics cannot be created (Kafka
   *     unreachable is no reason not to start)
   */
  public static CollectorService start(CollectorConfig config, PrometheusRegistry registry)
      throws IOException {
    OtlpSettings otlp = config.otlp();
    OtlpHttpSettings http = otlp.http();
    Duration sendTimeout = max(http.requestTimeout(), otlp.grpc().requestTimeout());
    KafkaProbe probe = KafkaProbe.start("collector", config.kafka(), registry);
    boolean topicsReady = probe.isReachable();
    if (topicsReady) {
      try {
        ensureTopics(config);
      } catch (RuntimeException e) {
        probe.close();
        throw e;
      }
    } else {
      LOG.warn(
          "Kafka at {} is unreachable ({}): starting anyway; OTLP is {} until it answers, then"
              + " the topics are created{}",
          config.kafka().bootstrapServers(),
          probe.lastError(),
          config.spool().dir() != null ? "spooled to disk" : "refused with 503",
          config.logs().enabled() ? " and log files tailed from where they were left" : "");
    }
    KafkaShipper shipper = KafkaShipper.create(config.kafka(), sendTimeout, probe, registry);
    SpoolingSink spooling = null;
    if (config.spool().dir() != null) {
      try {
        spooling =
            new SpoolingSink(
                shipper,
                probe::isReachable,
                Spool.open(Path.of(config.spool().dir()), config.spool().maxBytes()),
                sendTimeout,
                registry);
      } catch (IOException e) {
        shipper.close();
        probe.close();
        throw new IOException(
            "cannot open the spool in " + config.spool().dir() + ": " + e.getMessage(), e);
      }
    }
    RecordSink sink = EnrichingSink.of(spooling == null ? shipper : spooling, config.resource());
    LogsSettings logs = config.logs().withBaseResource(config.resource());
    List<String> signals = new ArrayList<>();
    for (OtlpSignal signal : OtlpSignal.values()) {
      signals.add(signal.label());
    }
    signals.add(LineageService.SIGNAL);
    ReceiverMetrics metrics = new ReceiverMetrics(registry, signals);
    // The pods of the Kubernetes API, once its informers have listed them (before the ingress
    // serves): data from one of them is given its identity (by k8s.pod.uid, k8s.pod.ip, or the
    // address it came from).
    AtomicReference<PodCatalog> knownPods = new AtomicReference<>();
    Receiving receiving =
        new Receiving(
            sink,
            metrics,
            BearerAuth.of(otlpTokens(otlp.auth(), registry)),
            InFlightBytes.registered(otlp.maxInFlightBytes(), registry),
            new SenderRateLimits(otlp.rateLimit()),
            config.kubernetes().enabled() ? Peers.deferred(knownPods::get) : Peers.none());
    // The OTLP listeners and the admin port count refused certificate reloads in one counter.
    TlsReloadFailures tlsReloadFailures = TlsReloadFailures.register("collector", registry);
    List<Listener> listeners = new ArrayList<>();
    if (otlp.grpc().enabled()) {
      listeners.add(OtlpReceivers.grpc(otlp.grpc(), otlp.maxClockSkew(), receiving));
    }
    if (http.enabled()) {
      Map<String, HttpService> lineage =
          Map.of(LineageEvents.PATH, new LineageService(http.maxBodyBytes(), receiving));
      listeners.add(OtlpReceivers.http(http, otlp.maxClockSkew(), receiving, lineage));
    }
    Ingress ingress = null;
    AtomicReference<LogTailer> tailer = new AtomicReference<>();
    Thread kafkaWait = null;
    Scraper scraper = null;
    LagWatcher lag = null;
    KubernetesDiscovery kubernetes = null;
    try {
      if (config.kubernetes().enabled()) {
        kubernetes = KubernetesDiscovery.start(config.kubernetes(), config.scrape());
      }
      PodCatalog catalog = kubernetes == null ? null : kubernetes.pods();
      knownPods.set(catalog);
      // Files present at start, as they are now: what a late tailer's start_at applies to.
      Map<Object, Long> present =
          logs.enabled() && !topicsReady ? LogTailer.filesPresent(logs) : null;
      Runnable startTailer =
          !logs.enabled()
              ? () -> {}
              : () ->
                  tailer.set(
                      LogTailer.start(
                          logs,
                          config.kafka(),
                          catalog == null ? uid -> Map.of() : catalog::attributes,
                          registry,
                          present));
      if (topicsReady) {
        startTailer.run();
      } else {
        kafkaWait = whenKafkaAnswers(config, probe, startTailer);
      }
      if (config.scrape().enabled() || (kubernetes != null && kubernetes.scrapes())) {
        scraper = Scraper.start(config.scrape(), sink, registry);
        if (kubernetes != null) {
          kubernetes.feed(scraper);
        }
      }
      if (config.lag().enabled()) {
        lag = LagWatcher.start(config.lag(), sink, registry);
      }
      // In-flight requests may wait for Kafka as long as the send timeout; give them that.
      ingress = Ingress.start(listeners, sendTimeout.plusSeconds(1), tlsReloadFailures);
      Ingress serving = ingress;
      SpoolingSink spool = spooling;
      ApiSecurity security =
          ApiSecurity.load("collector", config.webConfigFile(), registry, tlsReloadFailures);
      AdminServer admin =
          AdminServer.start(
                  config.admin().host(),
                  config.adminPort(),
                  registry,
                  security.https(),
                  security.authenticator())
              // Without a spool, the collector can take data only while Kafka answers; with
              // one, as long as the spool has room (Kafka's state: vigil_collector_kafka_up).
              .readiness(
                  spool == null ? "kafka" : "spool",
                  spool == null ? probe::isReachable : () -> spool.unavailableReason() == null)
              .readiness("ingress", serving::isServing)
              .readiness("logs", () -> tailer.get() == null || tailer.get().isHealthy());
      CollectorService service =
          new CollectorService(
              probe,
              shipper,
              spooling,
              ingress,
              tailer,
              kafkaWait,
              scraper,
              lag,
              kubernetes,
              metrics,
              admin);
      LOG.info(
          "collector started: OTLP/gRPC {}, OTLP/HTTP {}, admin on port {}, Kafka {}",
          service.portText(OtlpReceivers.GRPC),
          service.portText(OtlpReceivers.HTTP),
          admin.port(),
          config.kafka().bootstrapServers());
      return service;
    } catch (IOException | RuntimeException e) {
      if (ingress != null) {
        ingress.close();
      }
      stop(kafkaWait);
      if (tailer.get() != null) {
        tailer.get().close();
      }
      if (scraper != null) {
        scraper.close();
      }
      if (lag != null) {
        lag.close();
      }
      if (spooling != null) {
        spooling.close();
      }
      if (kubernetes != null) {
        kubernetes.close();
      }
      shipper.close();
      probe.close();
      throw e;
    }
  }

  /**
   * {@code otlp.auth}'s tokens, its token file read again when it changes; a change that cannot be
   * used is logged and counted in {@code vigil_collector_otlp_token_reload_failures_total}, and the
   * tokens in use stay.
   */
  private static BearerTokens otlpTokens(AuthSettings auth, PrometheusRegistry registry) {
    return BearerTokens.watchingCounted(
        auth.tokenFile(),
        auth.tokens(),
        auth::tokens,
        registry,
        "vigil_collector_otlp_token_reload_failures_total",
        "Changes of otlp.auth.bearer_tokens_file that were not taken (the tokens in use stay)",
        "collector OTLP");
  }

  private static void ensureTopics(CollectorConfig config) {
    TopicInitializer.ensureTopics(
        config.kafka(),
        Set.of(
            Topics.OTLP_METRICS,
            Topics.OTLP_LOGS,
            Topics.OTLP_SPANS,
            Topics.LINEAGE,
            Topics.LOG_OFFSETS),
        Map.of(Topics.LOG_OFFSETS, Map.of("cleanup.policy", "compact")));
  }

  /**
   * A thread that waits until {@code probe} finds Kafka, then creates the topics and runs {@code
   * then}, trying again every {@link #KAFKA_RETRY} while either fails (Kafka gone again, or not yet
   * taking requests).
   */
  private static Thread whenKafkaAnswers(CollectorConfig config, KafkaProbe probe, Runnable then) {
    Thread thread =
        new Thread(
            () -> {
              int attempt = 0;
              while (!Thread.currentThread().isInterrupted()) {
                try {
                  if (probe.isReachable()) {
                    ensureTopics(config);
                    then.run();
                    LOG.info("Kafka answers: topics ready, collector fully started");
                    return;
                  }
                } catch (RuntimeException e) {
                  if (attempt++ % 12 == 0) { // a line a minute
                    LOG.warn(
                        "Kafka answers but the collector cannot start on it yet: {}", e.toString());
                  }
                }
                try {
                  Thread.sleep(KAFKA_RETRY.toMillis()); // the retry's pace
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "vigil-collector-kafka-wait");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static void stop(Thread thread) {
    if (thread == null) {
      return;
    }
    thread.interrupt();
    try {
      thread.join(Duration.ofSeconds(35).toMillis()); // a topic call in flight times out in 30 s
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private String portText(String listener) {
    int port = port(listener);
    return port < 0 ? "disabled" : "on port " + port;
  }

  private int port(String listener) {
    try {
      return ingress.port(listener);
    } catch (IllegalArgumentException disabled) {
      return -1;
    }
  }

  /** The OTLP/HTTP port actually bound, or -1 when {@code otlp.http.enabled} is false. */
  public int otlpHttpPort() {
    return port(OtlpReceivers.HTTP);
  }

  /** The OTLP/gRPC port actually bound, or -1 when {@code otlp.grpc.enabled} is false. */
  public int otlpGrpcPort() {
    return port(OtlpReceivers.GRPC);
  }

  /** The admin port actually bound. */
  public int adminPort() {
    return admin.port();
  }

  /** Metric data points accepted (stored in Kafka) so far. */
  public long dataPointsAccepted() {
    return metrics.acceptedItems(OtlpSignal.METRICS.label());
  }

  /** OpenLineage events accepted (stored in Kafka) so far. */
  public long lineageEventsAccepted() {
    return metrics.acceptedItems(LineageService.SIGNAL);
  }

  /**
   * Log records read from files and committed to Kafka so far (0 when tailing is off, or waits for
   * Kafka).
   */
  public long logRecordsShipped() {
    LogTailer tailing = tailer.get();
    return tailing == null ? 0 : tailing.recordsShipped();
  }

  /** Requests refused so far, for any reason. */
  public long requestsRejected() {
    return metrics.rejectedRequests();
  }

  /**
   * Stops the ingress (letting requests in flight finish), then flushes and closes the producer,
   * then the probe and the admin endpoint.
   */
  @Override
  public void close() {
    ingress.close();
    if (scraper != null) {
      scraper.close();
    }
    if (lag != null) {
      lag.close();
    }
    stop(kafkaWait);
    if (tailer.get() != null) {
      tailer.get().close();
    }
    if (spooling != null) {
      spooling.close(); // what is still spooled waits on disk for the next start
    }
    if (kubernetes != null) {
      kubernetes.close();
    }
    shipper.close();
    probe.close();
    admin.close();
  }
}
