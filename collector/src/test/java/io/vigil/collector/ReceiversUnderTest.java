package io.vigil.collector;

import com.linecorp.armeria.server.HttpService;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.ingress.BearerAuth;
import io.vigil.collector.ingress.InFlightBytes;
import io.vigil.collector.ingress.Ingress;
import io.vigil.collector.ingress.Listener;
import io.vigil.collector.ingress.Peers;
import io.vigil.collector.ingress.ReceiverMetrics;
import io.vigil.collector.ingress.Receiving;
import io.vigil.collector.ingress.SenderRateLimits;
import io.vigil.collector.lineage.LineageEvents;
import io.vigil.collector.lineage.LineageService;
import io.vigil.collector.otlp.OtlpGrpcSettings;
import io.vigil.collector.otlp.OtlpHttpSettings;
import io.vigil.collector.otlp.OtlpReceivers;
import io.vigil.collector.otlp.OtlpSettings;
import io.vigil.collector.sink.RecordSink;
import io.vigil.model.tls.TlsReloadFailures;
import io.vigil.model.web.BearerTokens;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The collector's receivers (OTLP/gRPC, OTLP/HTTP, OpenLineage) on a real ingress, in front of any
 * sink: the real Kafka shipper, or an in-memory one for protocol tests.
 */
public final class ReceiversUnderTest implements AutoCloseable {
  private final PrometheusRegistry registry;
  private final ReceiverMetrics metrics;
  private final Ingress ingress;

  private ReceiversUnderTest(
      PrometheusRegistry registry, ReceiverMetrics metrics, Ingress ingress) {
    this.registry = registry;
    this.metrics = metrics;
    this.ingress = ingress;
  }

  /** Both OTLP receivers on free ports of 127.0.0.1, default limits. */
  public static ReceiversUnderTest start(RecordSink sink) throws IOException {
    return start(sink, OtlpHttpSettings.of("127.0.0.1", 0), OtlpGrpcSettings.of("127.0.0.1", 0));
  }

  public static ReceiversUnderTest start(
      RecordSink sink, OtlpHttpSettings http, OtlpGrpcSettings grpc) throws IOException {
    return start(sink, http, grpc, Map.of());
  }

  /** As {@link #start(RecordSink, OtlpHttpSettings, OtlpGrpcSettings)}, requiring these tokens. */
  public static ReceiversUnderTest start(
      RecordSink sink, OtlpHttpSettings http, OtlpGrpcSettings grpc, Map<String, String> tokens)
      throws IOException {
    return start(sink, http, grpc, tokens, 1L << 30, SenderRateLimits.NONE);
  }

  /** As above, with {@code maxInFlightBytes} as the ingress's memory budget. */
  public static ReceiversUnderTest start(
      RecordSink sink,
      OtlpHttpSettings http,
      OtlpGrpcSettings grpc,
      Map<String, String> tokens,
      long maxInFlightBytes,
      SenderRateLimits rateLimits)
      throws IOException {
    return start(sink, http, grpc, tokens, maxInFlightBytes, rateLimits, Peers.none());
  }

  /** Both OTLP receivers on free ports of 127.0.0.1, senders known by {@code peers}. */
  public static ReceiversUnderTest start(RecordSink sink, Peers peers) throws IOException {
    return start(
        sink,
        OtlpHttpSettings.of("127.0.0.1", 0),
        OtlpGrpcSettings.of("127.0.0.1", 0),
        Map.of(),
        1L << 30,
        SenderRateLimits.NONE,
        peers);
  }

  private static ReceiversUnderTest start(
      RecordSink sink,
      OtlpHttpSettings http,
      OtlpGrpcSettings grpc,
      Map<String, String> tokens,
      long maxInFlightBytes,
      SenderRateLimits rateLimits,
      Peers peers)
      throws IOException {
    PrometheusRegistry registry = new PrometheusRegistry();
    ReceiverMetrics metrics =
        new ReceiverMetrics(registry, List.of("metrics", "logs", "traces", LineageService.SIGNAL));
    Receiving receiving =
        new Receiving(
            sink,
            metrics,
            BearerAuth.of(BearerTokens.of(tokens)),
            InFlightBytes.registered(maxInFlightBytes, registry),
            rateLimits,
            peers);
    Map<String, HttpService> lineage =
        Map.of(LineageEvents.PATH, new LineageService(http.maxBodyBytes(), receiving));
    List<Listener> listeners =
        List.of(
            OtlpReceivers.grpc(grpc, OtlpSettings.DEFAULT_MAX_CLOCK_SKEW, receiving),
            OtlpReceivers.http(http, OtlpSettings.DEFAULT_MAX_CLOCK_SKEW, receiving, lineage));
    return new ReceiversUnderTest(
        registry,
        metrics,
        Ingress.start(
            listeners,
            http.requestTimeout().plusSeconds(1),
            TlsReloadFailures.register("collector", registry)));
  }

  /** The ingress the receivers run on. */
  public Ingress ingress() {
    return ingress;
  }

  public int httpPort() {
    return ingress.port(OtlpReceivers.HTTP);
  }

  public int grpcPort() {
    return ingress.port(OtlpReceivers.GRPC);
  }

  public boolean isServing() {
    return ingress.isServing();
  }

  /** Items of {@code signal} ({@code metrics}, {@code logs}, {@code traces}, {@code lineage}). */
  public long accepted(String signal) {
    return metrics.acceptedItems(signal);
  }

  public long rejected() {
    return metrics.rejectedRequests();
  }

  /** The registry in the Prometheus text format. */
  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    ingress.close();
  }
}
