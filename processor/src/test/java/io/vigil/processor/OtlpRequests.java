package io.vigil.processor;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import java.time.Instant;
import java.util.Arrays;

/** Builds OTLP metric requests the way the OpenTelemetry SDK's OTLP exporter lays them out. */
public final class OtlpRequests {
  /** The SDK's default bucket bounds for {@code http.server.request.duration}, in seconds. */
  public static final double[] SEMCONV_BOUNDS_S = {
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10
  };

  private OtlpRequests() {}

  /** A resource with the given service, namespace and cluster (null parts left out). */
  public static Resource resource(String service, String namespace, String cluster) {
    Resource.Builder r = Resource.newBuilder();
    if (service != null) {
      r.addAttributes(attr("service.name", service));
    }
    if (namespace != null) {
      r.addAttributes(attr("k8s.namespace.name", namespace));
    }
    if (cluster != null) {
      r.addAttributes(attr("k8s.cluster.name", cluster));
    }
    return r.build();
  }

  /** One request with one resource and the given metrics. */
  public static ExportMetricsServiceRequest request(Resource resource, Metric... metrics) {
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .setResource(resource)
                .addScopeMetrics(
                    ScopeMetrics.newBuilder()
                        .setScope(
                            InstrumentationScope.newBuilder()
                                .setName("io.opentelemetry.java-http-server")
                                .setVersion("1.0"))
                        .addAllMetrics(Arrays.asList(metrics))))
        .build();
  }

  /** {@code http.server.request.duration} in {@code unit} with the given points. */
  public static Metric duration(
      String unit, AggregationTemporality temporality, HistogramDataPoint... points) {
    return Metric.newBuilder()
        .setName("http.server.request.duration")
        .setUnit(unit)
        .setDescription("Duration of HTTP server requests.")
        .setHistogram(
            Histogram.newBuilder()
                .setAggregationTemporality(temporality)
                .addAllDataPoints(Arrays.asList(points)))
        .build();
  }

  /** Cumulative {@code http.server.request.duration} in seconds. */
  public static Metric cumulative(HistogramDataPoint... points) {
    return duration("s", AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE, points);
  }

  /** Delta {@code http.server.request.duration} in seconds. */
  public static Metric delta(HistogramDataPoint... points) {
    return duration("s", AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA, points);
  }

  /**
   * A point for {@code GET /} answered with {@code status}, with explicit {@code bounds} and {@code
   * buckets} (count = their sum).
   */
  public static HistogramDataPoint point(
      Instant start, Instant time, int status, double[] bounds, long... buckets) {
    HistogramDataPoint.Builder p =
        HistogramDataPoint.newBuilder()
            .setStartTimeUnixNano(nanos(start))
            .setTimeUnixNano(nanos(time))
            .addAttributes(attr("http.request.method", "GET"))
            .addAttributes(attr("http.route", "/"))
            .addAttributes(
                KeyValue.newBuilder()
                    .setKey("http.response.status_code")
                    .setValue(AnyValue.newBuilder().setIntValue(status)))
            .setCount(Arrays.stream(buckets).sum());
    for (double b : bounds) {
      p.addExplicitBounds(b);
    }
    for (long c : buckets) {
      p.addBucketCounts(c);
    }
    return p.build();
  }

  /**
   * A point with the semconv bounds and all {@code count} requests in the bucket {@code (0.01s,
   * 0.025s]}.
   */
  public static HistogramDataPoint point(Instant start, Instant time, int status, long count) {
    long[] buckets = new long[SEMCONV_BOUNDS_S.length + 1];
    buckets[2] = count;
    return point(start, time, status, SEMCONV_BOUNDS_S, buckets);
  }

  /** Epoch nanoseconds of {@code t}. */
  public static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  private static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }
}
