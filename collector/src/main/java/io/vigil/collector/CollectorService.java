package io.vigil.collector;

import com.linecorp.armeria.server.HttpService;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.ingress.BearerAuth;
import io.vigil.collector.ingress.InFlightBytes;
import io.vigil.collector.ingress.Ingress;
import io.vigil.collector.ingress.Listener;
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
import io.vigil.collector.otlp.OtlpHttpSettings;
import io.vigil.collector.otlp.OtlpReceivers;
import io.vigil.collector.otlp.OtlpSettings;
import io.vigil.collector.otlp.OtlpSignal;
import io.vigil.collector.scrape.Scraper;
import io.vigil.collector.sink.RecordSink;
import io.vigil.collector.sink.Spool;
import io.vigil.collector.sink.SpoolingSink;
import io.vigil.model.Topics;
import io.vigil.model.kafka.KafkaProbe;
import io.vigil.model.kafka.TopicInitializer;
import io.vigil.model.runtime.AdminServer;
import io.vigil.model.tls.TlsReloadFailures;
import io.vigil.model.web.ApiSecurity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running collector: creates its topics, then starts the Kafka probe and shipper, the log
 * tailer, the scraper and the lag watcher (when enabled), the ingress with the OTLP/gRPC and
 * OTLP/HTTP (+ OpenLineage) receivers, and the admin endpoint ({@code /metrics}, {@code /healthz},
 * {@code /readyz} with checks {@code kafka}, {@code ingress} and {@code logs}).
 */
public final class CollectorService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CollectorService.class);

  private final KafkaProbe probe;
  private final KafkaShipper shipper;
  private final SpoolingSink spooling;
  private final Ingress ingress;
  private final LogTailer tailer;
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
      LogTailer tailer,
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
   * @throws IllegalStateException when the topics cannot be created (Kafka unreachable)
   */
  public static CollectorService start(CollectorConfig config, PrometheusRegistry registry)
      throws IOException {
    OtlpSettings otlp = config.otlp();
    OtlpHttpSettings http = otlp.http();
    TopicInitializer.ensureTopics(
        config.kafka(),
        Set.of(
            Topics.OTLP_METRICS,
            Topics.OTLP_LOGS,
            Topics.OTLP_SPANS,
            Topics.LINEAGE,
            Topics.LOG_OFFSETS),
        Map.of(Topics.LOG_OFFSETS, Map.of("cleanup.policy", "compact")));
    Duration sendTimeout = max(http.requestTimeout(), otlp.grpc().requestTimeout());
    KafkaProbe probe = KafkaProbe.start("collector", config.kafka(), registry);
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
    RecordSink sink = spooling == null ? shipper : spooling;
    List<String> signals = new ArrayList<>();
    for (OtlpSignal signal : OtlpSignal.values()) {
      signals.add(signal.label());
    }
    signals.add(LineageService.SIGNAL);
    ReceiverMetrics metrics = new ReceiverMetrics(registry, signals);
    Receiving receiving =
        new Receiving(
            sink,
            metrics,
            BearerAuth.of(otlp.auth().tokens()),
            InFlightBytes.registered(otlp.maxInFlightBytes(), registry),
            new SenderRateLimits(otlp.rateLimit()));
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
    LogTailer tailer = null;
    Scraper scraper = null;
    LagWatcher lag = null;
    KubernetesDiscovery kubernetes = null;
    try {
      if (config.kubernetes().enabled()) {
        kubernetes = KubernetesDiscovery.start(config.kubernetes(), config.scrape());
      }
      PodCatalog catalog = kubernetes == null ? null : kubernetes.pods();
      if (config.logs().enabled()) {
        tailer =
            LogTailer.start(
                config.logs(),
                config.kafka(),
                catalog == null ? uid -> Map.of() : catalog::attributes,
                registry);
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
      LogTailer tailing = tailer;
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
              .readiness("logs", () -> tailing == null || tailing.isHealthy());
      CollectorService service =
          new CollectorService(
              probe, shipper, spooling, ingress, tailer, scraper, lag, kubernetes, metrics, admin);
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
      if (tailer != null) {
        tailer.close();
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

  /** Log records read from files and committed to Kafka so far (0 when tailing is off). */
  public long logRecordsShipped() {
    return tailer == null ? 0 : tailer.recordsShipped();
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
    if (tailer != null) {
      tailer.close();
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
