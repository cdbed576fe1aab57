package io.vigil.processor.signals;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.vigil.processor.signals.OtlpMetricsDecoder.Origin;
import io.vigil.processor.signals.OtlpMetricsDecoder.Stream;
import io.vigil.processor.signals.PrometheusSources.Candidate;
import io.vigil.processor.signals.PrometheusSources.Choice;
import io.vigil.processor.signals.PrometheusSources.Role;
import io.vigil.processor.signals.PrometheusSources.Shape;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the request metrics of Prometheus client libraries as they arrive in OTLP after a scrape
 * (counters as cumulative monotonic sums, classic histograms as histograms, summaries as
 * summaries): duration histograms and summaries named {@code *http_request_duration_seconds}
 * (promhttp), {@code *http_server_requests_seconds} (Micrometer), {@code
 * *http_server_request_duration_seconds} (OpenTelemetry names rendered Prometheus-style), {@code
 * *grpc_server_handling_seconds} (go-grpc-prometheus), and request counters named {@code
 * *http_requests_total} and {@code *grpc_server_handled_total}. {@link PrometheusSources} picks per
 * resource which of them count the requests and which give latency only. A summary gives its count
 * only: its quantiles are one instance's and cannot be merged. Pure.
 */
final class PrometheusRequestDecoder {
  /** What a metric's name says it measures. */
  enum Family {
    HTTP_DURATION(
        PrometheusLabels.HTTP,
        true,
        "http_request_duration_seconds",
        "http_server_requests_seconds",
        "http_server_request_duration_seconds"),
    GRPC_DURATION(PrometheusLabels.GRPC, true, "grpc_server_handling_seconds"),
    HTTP_REQUESTS(PrometheusLabels.HTTP, false, "http_requests_total"),
    GRPC_HANDLED(PrometheusLabels.GRPC, false, "grpc_server_handled_total");

    final PrometheusLabels labels;
    final boolean duration;
    final List<String> suffixes;

    Family(PrometheusLabels labels, boolean duration, String... suffixes) {
      this.labels = labels;
      this.duration = duration;
      this.suffixes = List.of(suffixes);
    }

    /** The family of metric {@code name} (it is, or ends with {@code _}, a suffix), or null. */
    static Family of(String name) {
      for (Family family : values()) {
        for (String suffix : family.suffixes) {
          if (name.equals(suffix) || name.endsWith("_" + suffix)) {
            return family;
          }
        }
      }
      return null;
    }
  }

  /** Milliseconds per second: the durations' unit when the metric states none (the name says). */
  private static final double SECONDS = 1000.0;

  /** Counts carry no durations: the stream's unit factor is never applied to them. */
  private static final double NO_DURATIONS = 1.0;

  private PrometheusRequestDecoder() {}

  /**
   * Reports the points of the Prometheus-style request metrics of {@code rm}, whose resource is
   * {@code origin} and whose metric names are {@code names}, to {@code sink}.
   */
  static void decode(
      ResourceMetrics rm, Origin origin, Set<String> names, PointSink<MetricPoint> sink) {
    Map<PrometheusLabels, List<Candidate>> byProtocol = new EnumMap<>(PrometheusLabels.class);
    for (ScopeMetrics sm : rm.getScopeMetricsList()) {
      for (Metric metric : sm.getMetricsList()) {
        Family family = Family.of(metric.getName());
        if (family == null) {
          continue;
        }
        Shape shape = shape(metric, family);
        if (shape == null) {
          sink.skipped(family.duration ? "not_histogram" : "not_counter");
          continue;
        }
        byProtocol
            .computeIfAbsent(family.labels, p -> new ArrayList<>())
            .add(new Candidate(sm, metric, shape, hasStatus(metric, family.labels)));
      }
    }
    byProtocol.forEach(
        (protocol, candidates) -> {
          boolean otelSent =
              OtlpMetricsDecoder.sendsSource(names, protocol == PrometheusLabels.GRPC);
          for (Choice choice : PrometheusSources.choose(candidates, otelSent)) {
            decode(choice, origin, protocol, sink);
          }
        });
  }

  /** The shape of {@code metric} if it is one its family can have, else null. */
  private static Shape shape(Metric metric, Family family) {
    if (family.duration) {
      if (metric.hasHistogram() || metric.hasExponentialHistogram()) {
        return Shape.HISTOGRAM;
      }
      return metric.hasSummary() ? Shape.SUMMARY : null;
    }
    return metric.hasSum() && metric.getSum().getIsMonotonic() ? Shape.COUNTER : null;
  }

  /** Whether any point of {@code metric} says how its requests ended. */
  private static boolean hasStatus(Metric metric, PrometheusLabels protocol) {
    if (metric.hasHistogram()) {
      return metric.getHistogram().getDataPointsList().stream()
          .anyMatch(dp -> protocol.hasStatus(dp.getAttributesList()));
    }
    if (metric.hasExponentialHistogram()) {
      return metric.getExponentialHistogram().getDataPointsList().stream()
          .anyMatch(dp -> protocol.hasStatus(dp.getAttributesList()));
    }
    if (metric.hasSummary()) {
      return metric.getSummary().getDataPointsList().stream()
          .anyMatch(dp -> protocol.hasStatus(dp.getAttributesList()));
    }
    return false;
  }

  /** Reports the points of one candidate as its role says. */
  private static void decode(
      Choice choice, Origin origin, PrometheusLabels protocol, PointSink<MetricPoint> sink) {
    Candidate c = choice.candidate();
    Metric metric = c.metric();
    if (choice.role() == Role.SUPERSEDED) {
      sink.skipped("superseded_metric");
      return;
    }
    switch (c.shape()) {
      case HISTOGRAM -> {
        Double toMillis =
            metric.getUnit().isEmpty()
                ? SECONDS
                : OtlpMetricsDecoder.millisPerUnit(metric.getUnit());
        OtlpMetricsDecoder.decodeHistogram(
            metric,
            Stream.of(origin, c.scope(), metric, protocol, toMillis, choice.role() == Role.LATENCY),
            sink);
      }
      case SUMMARY ->
          decodeSummary(
              metric, Stream.of(origin, c.scope(), metric, protocol, NO_DURATIONS, false), sink);
      case COUNTER ->
          decodeCounter(
              metric, Stream.of(origin, c.scope(), metric, protocol, NO_DURATIONS, false), sink);
    }
  }

  /** A summary's points as counts: always cumulative (a summary has no temporality). */
  private static void decodeSummary(Metric metric, Stream stream, PointSink<MetricPoint> sink) {
    for (SummaryDataPoint dp : metric.getSummary().getDataPointsList()) {
      String problem = checkTimes(dp.getFlags(), dp.getStartTimeUnixNano(), dp.getTimeUnixNano());
      if (problem == null && dp.getCount() < 0) {
        problem = "negative_count"; // fixed64 above Long.MAX_VALUE
      }
      if (problem != null) {
        sink.skipped(problem);
      } else {
        sink.point(
            count(
                stream,
                dp.getAttributesList(),
                true,
                dp.getStartTimeUnixNano(),
                dp.getTimeUnixNano(),
                dp.getCount()));
      }
    }
  }

  /** A counter's points as counts, cumulative or delta as the sum says. */
  private static void decodeCounter(Metric metric, Stream stream, PointSink<MetricPoint> sink) {
    AggregationTemporality temporality = metric.getSum().getAggregationTemporality();
    for (NumberDataPoint dp : metric.getSum().getDataPointsList()) {
      String problem = stream.problem(temporality);
      if (problem == null) {
        problem = checkTimes(dp.getFlags(), dp.getStartTimeUnixNano(), dp.getTimeUnixNano());
      }
      if (problem == null) {
        problem = checkCount(dp);
      }
      if (problem != null) {
        sink.skipped(problem);
        continue;
      }
      long value =
          dp.getValueCase() == NumberDataPoint.ValueCase.AS_INT
              ? dp.getAsInt()
              : (long) dp.getAsDouble();
      sink.point(
          count(
              stream,
              dp.getAttributesList(),
              OtlpMetricsDecoder.cumulative(temporality),
              dp.getStartTimeUnixNano(),
              dp.getTimeUnixNano(),
              value));
    }
  }

  /** A point with a count and no buckets (a counter's or a summary's). */
  private static MetricPoint count(
      Stream stream,
      List<KeyValue> attributes,
      boolean cumulative,
      long startNanos,
      long timeNanos,
      long count) {
    return OtlpMetricsDecoder.point(
        stream,
        OtlpMetricsDecoder.PointLabels.of(stream, attributes),
        cumulative,
        startNanos,
        timeNanos,
        count,
        null,
        null,
        Double.NaN);
  }

  /** What is wrong with a point's flags and times, as a counter reason, or null. */
  private static String checkTimes(int flags, long startNanos, long timeNanos) {
    if ((flags & DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE) != 0) {
      return "no_recorded_value";
    }
    if (timeNanos <= 0) {
      return "missing_time";
    }
    if (startNanos < 0 || startNanos > timeNanos) {
      return "invalid_start_time";
    }
    return null;
  }

  /**
   * What is wrong with a counter's value, or null: requests are whole and not negative ({@code
   * negative_count}); not a number, infinite, fractional or beyond a long is {@code invalid_count}.
   */
  static String checkCount(NumberDataPoint dp) {
    if (dp.getValueCase() == NumberDataPoint.ValueCase.AS_INT) {
      return dp.getAsInt() < 0 ? "negative_count" : null;
    }
    if (dp.getValueCase() != NumberDataPoint.ValueCase.AS_DOUBLE) {
      return "invalid_count";
    }
    double value = dp.getAsDouble();
    if (value < 0) {
      return "negative_count";
    }
    if (!Double.isFinite(value) || value != Math.floor(value) || value >= 0x1p63) {
      return "invalid_count";
    }
    return null;
  }
}
