package io.vigil.cli;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.prometheus.PrometheusHttpServer;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A service instrumented as the HTTP semantic conventions ask: one OpenTelemetry SDK {@code
 * MeterProvider} whose {@code http.server.request.duration} histogram (seconds, the conventions'
 * advised bucket boundaries) is read by two readers — OTLP/HTTP to Vigil's collector every second,
 * and a Prometheus exporter on 127.0.0.1 that a Prometheus scrapes. Both see every measurement.
 */
final class DualExportService implements AutoCloseable {
  /** The explicit bucket boundaries the HTTP semantic conventions advise for this metric. */
  static final List<Double> SEMCONV_BOUNDARIES =
      List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

  private static final AttributeKey<Long> STATUS =
      AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");

  private final SdkMeterProvider meters;
  private final DoubleHistogram duration;
  private boolean recorded;

  /**
   * Starts the SDK for {@code service} (with {@code instanceId} as {@code service.instance.id}
   * unless null), exporting to {@code otlpUrl} with cumulative or (when {@code delta}) delta
   * temporality, and serving {@code /metrics} on {@code 127.0.0.1:prometheusPort} (always
   * cumulative: that is what Prometheus reads). Resource attributes {@code service.name} and {@code
   * service.instance.id} become labels there, so each test's series are its own.
   */
  DualExportService(
      String otlpUrl, int prometheusPort, String service, String instanceId, boolean delta) {
    AttributesBuilder resource = Attributes.builder().put("service.name", service);
    if (instanceId != null) {
      resource.put("service.instance.id", instanceId);
    }
    meters =
        SdkMeterProvider.builder()
            .setResource(Resource.getDefault().merge(Resource.create(resource.build())))
            .registerMetricReader(
                PeriodicMetricReader.builder(
                        OtlpHttpMetricExporter.builder()
                            .setEndpoint(otlpUrl)
                            .setAggregationTemporalitySelector(
                                delta
                                    ? AggregationTemporalitySelector.deltaPreferred()
                                    : AggregationTemporalitySelector.alwaysCumulative())
                            .build())
                    .setInterval(Duration.ofSeconds(1))
                    .build())
            .registerMetricReader(
                PrometheusHttpServer.builder()
                    .setHost("127.0.0.1")
                    .setPort(prometheusPort)
                    .setAllowedResourceAttributesFilter(
                        Set.of("service.name", "service.instance.id")::contains)
                    .build())
            .build();
    duration =
        meters
            .get("io.vigil.cli.side-by-side")
            .histogramBuilder("http.server.request.duration")
            .setUnit("s")
            .setDescription("Duration of HTTP server requests.")
            .setExplicitBucketBoundariesAdvice(SEMCONV_BOUNDARIES)
            .build();
  }

  /**
   * Records {@code request}. The first call records one request of every kind first (each route
   * with each status, drawn from {@code traffic}), so that every attribute set — every stream —
   * starts with the service's first export rather than whenever a rare kind first occurs.
   */
  void record(SeededTraffic traffic) {
    if (!recorded) {
      recorded = true;
      for (SeededTraffic.Request first : traffic.oneOfEachKind()) {
        record(first);
      }
    }
    record(traffic.next());
  }

  private void record(SeededTraffic.Request request) {
    duration.record(
        request.seconds(),
        Attributes.of(STATUS, request.status(), ROUTE, request.route(), METHOD, request.method()));
  }

  /** Shuts the SDK down: a last OTLP export of what is left, and the Prometheus endpoint closes. */
  @Override
  public void close() {
    // The last export carries the requests since the one before; on a loaded machine it may take
    // longer than shutdown waits before it cancels the call in flight. A flush asked for while the
    // periodic export is still in flight fails at once (the reader drops it as busy): ask again
    // until one export of everything recorded has succeeded.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!meters.forceFlush().join(30, TimeUnit.SECONDS).isSuccess()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("the SDK's last export did not succeed in 60 s");
      }
      try {
        Thread.sleep(100); // polling with a deadline
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    meters.close();
  }
}
