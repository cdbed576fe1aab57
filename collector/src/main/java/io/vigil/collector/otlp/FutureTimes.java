package io.vigil.collector.otlp;

import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.MetricOrBuilder;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.vigil.collector.ingress.IngressService;
import io.vigil.collector.ingress.ReceiverMetrics;
import io.vigil.collector.ingress.Rejection;

/**
 * Brings times a sender stamped too far in the future back to when the data arrived, so a client
 * with a wrong clock cannot move anyone's windows: a gauge's or a delta data point's time beyond
 * {@code now + maxSkew} becomes {@code now} (its start time moves by as much, so its interval keeps
 * its length); likewise a log record's time, and a span's end (its start with it). Cumulative
 * points (sums, histograms, summaries) are left as sent: their start time names their stream, and
 * moving it by each arrival's jitter would make every export a new stream counted in full — the
 * processor, which keeps the stream's state, corrects their clock. Past times are left alone: late
 * data is data. Returns null when nothing had to change, so the common case costs one walk and no
 * copy. Pure.
 */
final class FutureTimes {
  /** The corrected request and how many items were moved. */
  record Clamped(Message request, int items) {}

  private final long now;
  private final long limit;
  private int moved;

  private FutureTimes(long now, long maxSkew) {
    this.now = now;
    this.limit = now + maxSkew;
  }

  /** What a receiver answers for a stored batch: its encoding and what was left out of it. */
  record Accepted(RequestDecoder.Encoding encoding, long rejected, String message) {}

  /**
   * The batch a receiver stores for {@code request}: items with malformed ids left out (reported in
   * the answer's {@code partial_success} and counted), its times brought back where needed (counted
   * in {@code metrics}), split into records, {@code encoded} (the request's own bytes) reused when
   * nothing changed.
   *
   * @throws Rejection when every item had a malformed id: nothing to store
   */
  static IngressService.Batch batch(
      OtlpSignal signal,
      Message request,
      byte[] encoded,
      long maxSkewNanos,
      ReceiverMetrics metrics,
      RequestDecoder.Encoding encoding)
      throws Rejection {
    OtlpIds.Filtered filtered = OtlpIds.filter(request);
    String message = null;
    if (filtered.problem() != null) {
      String what =
          (encoding == RequestDecoder.Encoding.PROTOBUF ? "OTLP protobuf " : "OTLP/JSON ")
              + signal.requestType();
      if (filtered.rejected() > 0 && signal.count(filtered.request()) == 0) {
        throw Rejection.malformed("invalid " + what + ": " + filtered.problem());
      }
      message =
          (filtered.rejected() > 0
                  ? filtered.rejected() + " item(s) left out for malformed ids"
                  : "malformed exemplar ids left out")
              + ", the first: "
              + filtered.problem();
      metrics.itemsRejected(signal.label(), "invalid_id", filtered.rejected());
      request = filtered.request();
      encoded = null; // changed: encoded anew
    }
    Accepted answer = new Accepted(encoding, filtered.rejected(), message);
    Clamped clamped = clamp(request, System.currentTimeMillis() * 1_000_000L, maxSkewNanos);
    if (clamped != null) {
      request = clamped.request();
      encoded = null; // changed: encoded anew
      metrics.adjusted(signal.label(), "future", clamped.items());
    }
    return new IngressService.Batch(
        ResourceSplitter.records(signal, request, encoded), signal.count(request), answer);
  }

  static Clamped clamp(Message request, long nowNanos, long maxSkewNanos) {
    FutureTimes times = new FutureTimes(nowNanos, maxSkewNanos);
    Message corrected;
    if (request instanceof ExportMetricsServiceRequest metrics) {
      if (!times.anyMetric(metrics)) {
        return null;
      }
      corrected = times.metrics(metrics);
    } else if (request instanceof ExportLogsServiceRequest logs) {
      if (logs.getResourceLogsList().stream()
          .flatMap(rl -> rl.getScopeLogsList().stream())
          .flatMap(sl -> sl.getLogRecordsList().stream())
          .noneMatch(r -> r.getTimeUnixNano() > times.limit)) {
        return null;
      }
      corrected = times.logs(logs);
    } else {
      ExportTraceServiceRequest traces = (ExportTraceServiceRequest) request;
      if (traces.getResourceSpansList().stream()
          .flatMap(rs -> rs.getScopeSpansList().stream())
          .flatMap(ss -> ss.getSpansList().stream())
          .noneMatch(s -> s.getEndTimeUnixNano() > times.limit)) {
        return null;
      }
      corrected = times.traces(traces);
    }
    return new Clamped(corrected, times.moved);
  }

  private boolean anyMetric(ExportMetricsServiceRequest request) {
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric m : sm.getMetricsList()) {
          boolean future =
              !cumulative(m)
                  && switch (m.getDataCase()) {
                    case GAUGE ->
                        m.getGauge().getDataPointsList().stream()
                            .anyMatch(p -> p.getTimeUnixNano() > limit);
                    case SUM ->
                        m.getSum().getDataPointsList().stream()
                            .anyMatch(p -> p.getTimeUnixNano() > limit);
                    case HISTOGRAM ->
                        m.getHistogram().getDataPointsList().stream()
                            .anyMatch(p -> p.getTimeUnixNano() > limit);
                    case EXPONENTIAL_HISTOGRAM ->
                        m.getExponentialHistogram().getDataPointsList().stream()
                            .anyMatch(p -> p.getTimeUnixNano() > limit);
                    case SUMMARY ->
                        m.getSummary().getDataPointsList().stream()
                            .anyMatch(p -> p.getTimeUnixNano() > limit);
                    case DATA_NOT_SET -> false;
                  };
          if (future) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private Message metrics(ExportMetricsServiceRequest request) {
    ExportMetricsServiceRequest.Builder out = request.toBuilder();
    for (ResourceMetrics.Builder rm : out.getResourceMetricsBuilderList()) {
      for (ScopeMetrics.Builder sm : rm.getScopeMetricsBuilderList()) {
        for (Metric.Builder m : sm.getMetricsBuilderList()) {
          if (cumulative(m)) {
            continue;
          }
          switch (m.getDataCase()) {
            case GAUGE -> m.getGaugeBuilder().getDataPointsBuilderList().forEach(this::number);
            case SUM -> m.getSumBuilder().getDataPointsBuilderList().forEach(this::number);
            case HISTOGRAM ->
                m.getHistogramBuilder().getDataPointsBuilderList().forEach(this::histogram);
            case EXPONENTIAL_HISTOGRAM ->
                m.getExponentialHistogramBuilder()
                    .getDataPointsBuilderList()
                    .forEach(this::exponential);
            case SUMMARY -> m.getSummaryBuilder().getDataPointsBuilderList().forEach(this::summary);
            case DATA_NOT_SET -> {}
          }
        }
      }
    }
    return out.build();
  }

  /** Whether {@code m}'s points are cumulative: their start time is their stream's identity. */
  private static boolean cumulative(MetricOrBuilder m) {
    AggregationTemporality cumulative = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE;
    return switch (m.getDataCase()) {
      case SUM -> m.getSum().getAggregationTemporality() == cumulative;
      case HISTOGRAM -> m.getHistogram().getAggregationTemporality() == cumulative;
      case EXPONENTIAL_HISTOGRAM ->
          m.getExponentialHistogram().getAggregationTemporality() == cumulative;
      case SUMMARY -> true;
      case GAUGE, DATA_NOT_SET -> false;
    };
  }

  /** How far {@code time} must move back: 0 when it is not in the future beyond the limit. */
  private long excess(long time) {
    if (time <= limit) {
      return 0;
    }
    moved++;
    return time - now;
  }

  private static long back(long start, long by) {
    return start == 0 ? 0 : Math.max(0, start - by);
  }

  private void number(NumberDataPoint.Builder p) {
    long by = excess(p.getTimeUnixNano());
    if (by > 0) {
      p.setTimeUnixNano(p.getTimeUnixNano() - by)
          .setStartTimeUnixNano(back(p.getStartTimeUnixNano(), by));
    }
  }

  private void histogram(HistogramDataPoint.Builder p) {
    long by = excess(p.getTimeUnixNano());
    if (by > 0) {
      p.setTimeUnixNano(p.getTimeUnixNano() - by)
          .setStartTimeUnixNano(back(p.getStartTimeUnixNano(), by));
    }
  }

  private void exponential(ExponentialHistogramDataPoint.Builder p) {
    long by = excess(p.getTimeUnixNano());
    if (by > 0) {
      p.setTimeUnixNano(p.getTimeUnixNano() - by)
          .setStartTimeUnixNano(back(p.getStartTimeUnixNano(), by));
    }
  }

  private void summary(SummaryDataPoint.Builder p) {
    long by = excess(p.getTimeUnixNano());
    if (by > 0) {
      p.setTimeUnixNano(p.getTimeUnixNano() - by)
          .setStartTimeUnixNano(back(p.getStartTimeUnixNano(), by));
    }
  }

  private Message logs(ExportLogsServiceRequest request) {
    ExportLogsServiceRequest.Builder out = request.toBuilder();
    for (ResourceLogs.Builder rl : out.getResourceLogsBuilderList()) {
      for (ScopeLogs.Builder sl : rl.getScopeLogsBuilderList()) {
        for (LogRecord.Builder r : sl.getLogRecordsBuilderList()) {
          long by = excess(r.getTimeUnixNano());
          if (by > 0) {
            r.setTimeUnixNano(r.getTimeUnixNano() - by);
          }
        }
      }
    }
    return out.build();
  }

  private Message traces(ExportTraceServiceRequest request) {
    ExportTraceServiceRequest.Builder out = request.toBuilder();
    for (ResourceSpans.Builder rs : out.getResourceSpansBuilderList()) {
      for (ScopeSpans.Builder ss : rs.getScopeSpansBuilderList()) {
        for (Span.Builder s : ss.getSpansBuilderList()) {
          long by = excess(s.getEndTimeUnixNano());
          if (by > 0) {
            s.setEndTimeUnixNano(s.getEndTimeUnixNano() - by)
                .setStartTimeUnixNano(back(s.getStartTimeUnixNano(), by));
          }
        }
      }
    }
    return out.build();
  }
}
