package io.vigil.processor.signals;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.vigil.model.otlp.OtlpAttributes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * Picks the {@code http.server.request.duration} histogram points out of an OTLP request, checks
 * them and converts them to {@link MetricPoint}s. Pure: no Kafka, no clock.
 */
final class OtlpMetricsDecoder {
  /** The OpenTelemetry semantic-convention server duration histogram. */
  static final String METRIC = "http.server.request.duration";

  /** Current semantic conventions' status code attribute. */
  static final String STATUS_CODE = "http.response.status_code";

  /** Status code attribute of the semantic conventions before 1.20. */
  static final String OLD_STATUS_CODE = "http.status_code";

  /** Where the decoder reports its results. */
  interface Sink {
    /** A valid point. */
    void point(MetricPoint point);

    /** A point of the metric that was left out; {@code reason} is a short fixed token. */
    void skipped(String reason);
  }

  private OtlpMetricsDecoder() {}

  /** Reports every point of {@link #METRIC} in {@code request} to {@code sink}. */
  static void decode(ExportMetricsServiceRequest request, Sink sink) {
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      String service = OtlpAttributes.serviceName(rm.getResource());
      String namespace = OtlpAttributes.namespace(rm.getResource());
      String cluster =
          OtlpAttributes.get(rm.getResource().getAttributesList(), OtlpAttributes.K8S_CLUSTER);
      String resourceId = canonical(rm.getResource().getAttributesList());
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric metric : sm.getMetricsList()) {
          if (!METRIC.equals(metric.getName())) {
            continue;
          }
          if (!metric.hasHistogram()) {
            sink.skipped(
                metric.hasExponentialHistogram() ? "exponential_histogram" : "not_histogram");
            continue;
          }
          String prefix =
              resourceId
                  + "|"
                  + sm.getScope().getName()
                  + "|"
                  + sm.getScope().getVersion()
                  + "|"
                  + metric.getName()
                  + "|"
                  + metric.getUnit()
                  + "|";
          Double toMillis = millisPerUnit(metric.getUnit());
          AggregationTemporality temporality = metric.getHistogram().getAggregationTemporality();
          boolean knownTemporality =
              temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
                  || temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
          for (HistogramDataPoint dp : metric.getHistogram().getDataPointsList()) {
            if (toMillis == null) {
              sink.skipped("unsupported_unit");
            } else if (!knownTemporality) {
              sink.skipped("unspecified_temporality");
            } else {
              boolean cumulative =
                  temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE;
              String problem = check(dp);
              if (problem != null) {
                sink.skipped(problem);
              } else {
                sink.point(toPoint(dp, prefix, cluster, namespace, service, cumulative, toMillis));
              }
            }
          }
        }
      }
    }
  }

  /** Milliseconds per unit of {@code unit}, or null for a unit that is not a duration we know. */
  static Double millisPerUnit(String unit) {
    return switch (unit) {
      case "s" -> 1000.0;
      case "ms" -> 1.0;
      case "us" -> 0.001;
      default -> null;
    };
  }

  /** What is wrong with {@code dp}, as a counter reason, or null when it can be used. */
  static String check(HistogramDataPoint dp) {
    if ((dp.getFlags() & DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE) != 0) {
      return "no_recorded_value";
    }
    if (dp.getTimeUnixNano() <= 0) {
      return "missing_time";
    }
    if (dp.getStartTimeUnixNano() < 0 || dp.getStartTimeUnixNano() > dp.getTimeUnixNano()) {
      return "invalid_start_time";
    }
    if (dp.getCount() < 0) {
      // fixed64 above Long.MAX_VALUE: no real server counts that many requests.
      return "negative_count";
    }
    int bounds = dp.getExplicitBoundsCount();
    int buckets = dp.getBucketCountsCount();
    if (buckets == 0) {
      return bounds == 0 ? null : "bucket_mismatch";
    }
    if (buckets != bounds + 1) {
      return "bucket_mismatch";
    }
    long sum = 0;
    for (int i = 0; i < buckets; i++) {
      long c = dp.getBucketCounts(i);
      if (c < 0) {
        return "negative_count";
      }
      sum += c;
      if (sum < 0) {
        return "negative_count";
      }
    }
    if (sum != dp.getCount()) {
      return "bucket_mismatch";
    }
    for (int i = 0; i < bounds; i++) {
      double b = dp.getExplicitBounds(i);
      if (!Double.isFinite(b) || (i > 0 && b <= dp.getExplicitBounds(i - 1))) {
        return "invalid_bounds";
      }
    }
    return null;
  }

  private static MetricPoint toPoint(
      HistogramDataPoint dp,
      String streamPrefix,
      String cluster,
      String namespace,
      String service,
      boolean cumulative,
      double toMillis) {
    Long status = OtlpAttributes.getLong(dp.getAttributesList(), STATUS_CODE);
    if (status == null) {
      status = OtlpAttributes.getLong(dp.getAttributesList(), OLD_STATUS_CODE);
    }
    double[] bounds = new double[dp.getExplicitBoundsCount()];
    for (int i = 0; i < bounds.length; i++) {
      bounds[i] = dp.getExplicitBounds(i) * toMillis;
    }
    long[] buckets = new long[dp.getBucketCountsCount()];
    for (int i = 0; i < buckets.length; i++) {
      buckets[i] = dp.getBucketCounts(i);
    }
    // A cumulative max covers the whole life of the stream, not one window: only deltas keep it.
    Double max =
        !cumulative && dp.hasMax() && Double.isFinite(dp.getMax()) && dp.getMax() >= 0
            ? dp.getMax() * toMillis
            : null;
    return new MetricPoint(
        hash(streamPrefix + canonical(dp.getAttributesList())),
        cluster,
        namespace,
        service,
        status != null && status >= 500,
        cumulative,
        dp.getStartTimeUnixNano(),
        dp.getTimeUnixNano(),
        dp.getCount(),
        bounds,
        buckets,
        max);
  }

  /** Attributes in key order, each part length-prefixed so that no two lists print the same. */
  static String canonical(List<KeyValue> attributes) {
    List<KeyValue> sorted = new ArrayList<>(attributes);
    sorted.sort(Comparator.comparing(KeyValue::getKey));
    StringBuilder sb = new StringBuilder();
    for (KeyValue kv : sorted) {
      String value = String.valueOf(OtlpAttributes.asString(kv.getValue()));
      sb.append(kv.getKey().length())
          .append(':')
          .append(kv.getKey())
          .append(value.length())
          .append(':')
          .append(value);
    }
    return sb.toString();
  }

  /** 128 bits of SHA-256: short store keys, collisions out of reach. */
  private static String hash(String identity) {
    byte[] digest = SHA_256.get().digest(identity.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(digest, 0, 16);
  }

  /** One digest per stream thread: {@code getInstance} per data point is a provider lookup. */
  private static final ThreadLocal<MessageDigest> SHA_256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-256 is required of every JVM", e);
            }
          });
}
