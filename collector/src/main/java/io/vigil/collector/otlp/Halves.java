package io.vigil.collector.otlp;

import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a one-resource export request into two with half of its items each (data points, log
 * records, spans), keeping the resource, scopes and metric descriptions in both: how a request too
 * large for one Kafka record is stored as several instead of being refused. Pure.
 */
public final class Halves {
  private Halves() {}

  /**
   * The protobuf bytes of one-resource export request {@code single} ({@code encoded}: its bytes
   * when the caller has them, else null) in parts of at most {@code maxBytes} each: the request
   * itself when it fits, else its halves, halved again until each part fits (a single item over the
   * limit is left for Kafka to judge).
   */
  public static List<byte[]> fitting(Message single, byte[] encoded, int maxBytes) {
    List<byte[]> parts = new ArrayList<>();
    addFitting(parts, single, encoded, maxBytes);
    return parts;
  }

  private static void addFitting(List<byte[]> parts, Message single, byte[] encoded, int max) {
    byte[] value = encoded != null ? encoded : single.toByteArray();
    if (value.length > max) {
      List<Message> halves = of(single);
      if (!halves.isEmpty()) {
        for (Message half : halves) {
          addFitting(parts, half, null, max);
        }
        return;
      }
    }
    parts.add(value);
  }

  /** The two halves of {@code request}, or an empty list when it holds a single item. */
  static List<Message> of(Message request) {
    if (request instanceof ExportMetricsServiceRequest metrics) {
      ResourceMetrics rm = metrics.getResourceMetrics(0);
      int n = points(rm);
      return n < 2 ? List.of() : List.of(metrics(rm, 0, n / 2), metrics(rm, n / 2, n));
    }
    if (request instanceof ExportLogsServiceRequest logs) {
      ResourceLogs rl = logs.getResourceLogs(0);
      int n = rl.getScopeLogsList().stream().mapToInt(ScopeLogs::getLogRecordsCount).sum();
      return n < 2 ? List.of() : List.of(logs(rl, 0, n / 2), logs(rl, n / 2, n));
    }
    ResourceSpans rs = ((ExportTraceServiceRequest) request).getResourceSpans(0);
    int n = rs.getScopeSpansList().stream().mapToInt(ScopeSpans::getSpansCount).sum();
    return n < 2 ? List.of() : List.of(spans(rs, 0, n / 2), spans(rs, n / 2, n));
  }

  private static int points(ResourceMetrics rm) {
    int n = 0;
    for (ScopeMetrics sm : rm.getScopeMetricsList()) {
      for (Metric m : sm.getMetricsList()) {
        n += count(m);
      }
    }
    return n;
  }

  private static int count(Metric m) {
    return switch (m.getDataCase()) {
      case GAUGE -> m.getGauge().getDataPointsCount();
      case SUM -> m.getSum().getDataPointsCount();
      case HISTOGRAM -> m.getHistogram().getDataPointsCount();
      case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPointsCount();
      case SUMMARY -> m.getSummary().getDataPointsCount();
      case DATA_NOT_SET -> 0;
    };
  }

  /** The points numbered [from, to) of {@code rm}, in order. */
  private static Message metrics(ResourceMetrics rm, int from, int to) {
    ResourceMetrics.Builder out = rm.toBuilder().clearScopeMetrics();
    int at = 0;
    for (ScopeMetrics sm : rm.getScopeMetricsList()) {
      ScopeMetrics.Builder scope = sm.toBuilder().clearMetrics();
      for (Metric m : sm.getMetricsList()) {
        int n = count(m);
        int lo = Math.max(from - at, 0);
        int hi = Math.min(to - at, n);
        at += n;
        if (lo >= hi) {
          continue;
        }
        Metric.Builder metric = m.toBuilder();
        switch (m.getDataCase()) {
          case GAUGE ->
              metric
                  .getGaugeBuilder()
                  .clearDataPoints()
                  .addAllDataPoints(m.getGauge().getDataPointsList().subList(lo, hi));
          case SUM ->
              metric
                  .getSumBuilder()
                  .clearDataPoints()
                  .addAllDataPoints(m.getSum().getDataPointsList().subList(lo, hi));
          case HISTOGRAM ->
              metric
                  .getHistogramBuilder()
                  .clearDataPoints()
                  .addAllDataPoints(m.getHistogram().getDataPointsList().subList(lo, hi));
          case EXPONENTIAL_HISTOGRAM ->
              metric
                  .getExponentialHistogramBuilder()
                  .clearDataPoints()
                  .addAllDataPoints(
                      m.getExponentialHistogram().getDataPointsList().subList(lo, hi));
          case SUMMARY ->
              metric
                  .getSummaryBuilder()
                  .clearDataPoints()
                  .addAllDataPoints(m.getSummary().getDataPointsList().subList(lo, hi));
          case DATA_NOT_SET -> {}
        }
        scope.addMetrics(metric);
      }
      if (scope.getMetricsCount() > 0) {
        out.addScopeMetrics(scope);
      }
    }
    return ExportMetricsServiceRequest.newBuilder().addResourceMetrics(out).build();
  }

  private static Message logs(ResourceLogs rl, int from, int to) {
    ResourceLogs.Builder out = rl.toBuilder().clearScopeLogs();
    int at = 0;
    for (ScopeLogs sl : rl.getScopeLogsList()) {
      int n = sl.getLogRecordsCount();
      int lo = Math.max(from - at, 0);
      int hi = Math.min(to - at, n);
      at += n;
      if (lo < hi) {
        out.addScopeLogs(
            sl.toBuilder()
                .clearLogRecords()
                .addAllLogRecords(sl.getLogRecordsList().subList(lo, hi)));
      }
    }
    return ExportLogsServiceRequest.newBuilder().addResourceLogs(out).build();
  }

  private static Message spans(ResourceSpans rs, int from, int to) {
    ResourceSpans.Builder out = rs.toBuilder().clearScopeSpans();
    int at = 0;
    for (ScopeSpans ss : rs.getScopeSpansList()) {
      int n = ss.getSpansCount();
      int lo = Math.max(from - at, 0);
      int hi = Math.min(to - at, n);
      at += n;
      if (lo < hi) {
        out.addScopeSpans(
            ss.toBuilder().clearSpans().addAllSpans(ss.getSpansList().subList(lo, hi)));
      }
    }
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(out).build();
  }
}
