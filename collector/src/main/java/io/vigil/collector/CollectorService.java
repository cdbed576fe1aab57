package io.vigil.collector;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.kafka.KafkaShipper;
import io.vigil.collector.otlp.OtlpHttpReceiver;
import io.vigil.collector.otlp.OtlpHttpSettings;
import io.vigil.collector.otlp.OtlpSignal;
import io.vigil.model.Topics;
import io.vigil.model.kafka.TopicInitializer;
import io.vigil.model.runtime.AdminServer;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running collector: creates the {@code otlp_*} topics, then starts the Kafka shipper, the
 * OTLP/HTTP receiver and the admin endpoint ({@code /metrics}, {@code /healthz}, {@code /readyz}
 * with checks {@code kafka} and {@code otlp_http}).
 */
public final class CollectorService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CollectorService.class);

  private final KafkaShipper shipper;
  private final OtlpHttpReceiver receiver;
  private final AdminServer admin;

  private CollectorService(KafkaShipper shipper, OtlpHttpReceiver receiver, AdminServer admin) {
    this.shipper = shipper;
    this.receiver = receiver;
    this.admin = admin;
  }

  /**
   * Starts the collector. Its metrics go to {@code registry}, which other services in the same
   * process may share (names start with {@code vigil_collector_}).
   *
   * @throws IOException when a port cannot be bound
   * @throws IllegalStateException when the topics cannot be created (Kafka unreachable)
   */
  public static CollectorService start(CollectorConfig config, PrometheusRegistry registry)
      throws IOException {
    OtlpHttpSettings http = config.otlp().http();
    TopicInitializer.ensureTopics(
        config.kafka(),
        Set.of(Topics.OTLP_METRICS, Topics.OTLP_LOGS, Topics.OTLP_SPANS, Topics.LINEAGE),
        Map.of());
    KafkaShipper shipper = KafkaShipper.create(config.kafka(), http.requestTimeout(), registry);
    OtlpHttpReceiver receiver = null;
    try {
      if (http.enabled()) {
        receiver = OtlpHttpReceiver.start(http, shipper, shipper, registry);
      }
      OtlpHttpReceiver listening = receiver;
      AdminServer admin =
          AdminServer.start(config.admin().host(), config.adminPort(), registry)
              .readiness("kafka", shipper::isReady)
              .readiness("otlp_http", () -> listening == null || listening.isListening());
      LOG.info(
          "collector started: OTLP/HTTP {}, admin on port {}, Kafka {}",
          receiver == null ? "disabled" : "on port " + receiver.port(),
          admin.port(),
          config.kafka().bootstrapServers());
      return new CollectorService(shipper, receiver, admin);
    } catch (IOException | RuntimeException e) {
      if (receiver != null) {
        receiver.close();
      }
      shipper.close();
      throw e;
    }
  }

  /** The OTLP/HTTP port actually bound, or -1 when {@code otlp.http.enabled} is false. */
  public int otlpHttpPort() {
    return receiver == null ? -1 : receiver.port();
  }

  /** The admin port actually bound. */
  public int adminPort() {
    return admin.port();
  }

  /** Metric data points accepted (stored in Kafka) so far. */
  public long dataPointsAccepted() {
    return receiver == null ? 0 : receiver.accepted(OtlpSignal.METRICS);
  }

  /** OpenLineage events accepted (stored in Kafka) so far. */
  public long lineageEventsAccepted() {
    return receiver == null ? 0 : receiver.acceptedLineageEvents();
  }

  /** Requests refused so far, for any reason. */
  public long requestsRejected() {
    return receiver == null ? 0 : receiver.rejected();
  }

  /**
   * Stops the OTLP/HTTP receiver (letting requests in flight finish), then flushes and closes the
   * producer, then the admin endpoint.
   */
  @Override
  public void close() {
    if (receiver != null) {
      receiver.close();
    }
    shipper.close();
    admin.close();
  }
}
