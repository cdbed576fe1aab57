package io.vigil.collector.otlp;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Trace and span ids must be empty or exactly 16 resp. 8 bytes, as the OTLP specification says;
 * protobuf and the JSON mapping accept any length, and downstream code that formats ids (logs'
 * {@code trace.id}, exemplar links) must not meet a 3-byte "trace id". Rather than refuse a whole
 * request for one bad item, the items with a bad id are left out and reported back to the sender in
 * the response's {@code partial_success}: log records and spans are rejected (counted), a data
 * point only loses the bad exemplar (a warning, nothing rejected).
 */
final class OtlpIds {
  private static final int TRACE_ID_BYTES = 16;
  private static final int SPAN_ID_BYTES = 8;

  private OtlpIds() {}

  /**
   * What is left of a request.
   *
   * @param request the request without the bad items (the same instance when none was bad)
   * @param rejected items left out (log records, spans)
   * @param problem what was wrong with the first bad id, or null when all were well-formed
   */
  record Filtered(Message request, long rejected, String problem) {}

  /** {@code request} without the items whose ids are malformed. */
  static Filtered filter(Message request) {
    Found found = new Found();
    Message kept = request;
    if (request instanceof ExportMetricsServiceRequest metrics) {
      if (anyMetric(metrics, found)) {
        kept = metrics(metrics);
      }
    } else if (request instanceof ExportLogsServiceRequest logs) {
      if (anyLog(logs, found)) {
        kept = logs(logs);
      }
    } else if (request instanceof ExportTraceServiceRequest traces) {
      if (anySpan(traces, found)) {
        kept = traces(traces);
      }
    }
    return new Filtered(kept, found.rejected, found.problem);
  }

  /** What a pass found: how many items are out, and the first problem. */
  private static final class Found {
    long rejected;
    String problem;

    void note(String where, String what, boolean rejects) {
      if (problem == null) {
        problem = where + ": " + what;
      }
      if (rejects) {
        rejected++;
      }
    }
  }

  private static boolean anyMetric(ExportMetricsServiceRequest request, Found found) {
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric metric : sm.getMetricsList()) {
          forEachExemplar(
              metric,
              e -> {
                String problem = ids(e.getTraceId(), e.getSpanId());
                if (problem != null) {
                  found.note("exemplar of metric '" + metric.getName() + "'", problem, false);
                }
              });
        }
      }
    }
    return found.problem != null;
  }

  /** Every exemplar of {@code metric}, without copying (this runs on every metrics request). */
  private static void forEachExemplar(Metric metric, Consumer<Exemplar> action) {
    switch (metric.getDataCase()) {
      case GAUGE ->
          metric.getGauge().getDataPointsList().forEach(p -> p.getExemplarsList().forEach(action));
      case SUM ->
          metric.getSum().getDataPointsList().forEach(p -> p.getExemplarsList().forEach(action));
      case HISTOGRAM ->
          metric
              .getHistogram()
              .getDataPointsList()
              .forEach(p -> p.getExemplarsList().forEach(action));
      case EXPONENTIAL_HISTOGRAM ->
          metric
              .getExponentialHistogram()
              .getDataPointsList()
              .forEach(p -> p.getExemplarsList().forEach(action));
      default -> {} // summaries carry no exemplars
    }
  }

  /** The request with every malformed exemplar removed from its data point. */
  private static ExportMetricsServiceRequest metrics(ExportMetricsServiceRequest request) {
    Predicate<Exemplar> good = e -> ids(e.getTraceId(), e.getSpanId()) == null;
    ExportMetricsServiceRequest.Builder out = request.toBuilder();
    for (ResourceMetrics.Builder rm : out.getResourceMetricsBuilderList()) {
      for (ScopeMetrics.Builder sm : rm.getScopeMetricsBuilderList()) {
        for (Metric.Builder m : sm.getMetricsBuilderList()) {
          switch (m.getDataCase()) {
            case GAUGE ->
                m.getGaugeBuilder()
                    .getDataPointsBuilderList()
                    .forEach(
                        p -> keep(p.getExemplarsList(), good, p::clearExemplars, p::addExemplars));
            case SUM ->
                m.getSumBuilder()
                    .getDataPointsBuilderList()
                    .forEach(
                        p -> keep(p.getExemplarsList(), good, p::clearExemplars, p::addExemplars));
            case HISTOGRAM ->
                m.getHistogramBuilder()
                    .getDataPointsBuilderList()
                    .forEach(
                        p -> keep(p.getExemplarsList(), good, p::clearExemplars, p::addExemplars));
            case EXPONENTIAL_HISTOGRAM ->
                m.getExponentialHistogramBuilder()
                    .getDataPointsBuilderList()
                    .forEach(
                        p -> keep(p.getExemplarsList(), good, p::clearExemplars, p::addExemplars));
            default -> {}
          }
        }
      }
    }
    return out.build();
  }

  private static void keep(
      List<Exemplar> exemplars, Predicate<Exemplar> good, Runnable clear, Consumer<Exemplar> add) {
    List<Exemplar> kept = exemplars.stream().filter(good).toList();
    clear.run();
    kept.forEach(add);
  }

  private static boolean anyLog(ExportLogsServiceRequest request, Found found) {
    for (ResourceLogs rl : request.getResourceLogsList()) {
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        for (LogRecord record : sl.getLogRecordsList()) {
          String problem = ids(record.getTraceId(), record.getSpanId());
          if (problem != null) {
            found.note("log record", problem, true);
          }
        }
      }
    }
    return found.problem != null;
  }

  private static ExportLogsServiceRequest logs(ExportLogsServiceRequest request) {
    ExportLogsServiceRequest.Builder out = request.toBuilder();
    for (ResourceLogs.Builder rl : out.getResourceLogsBuilderList()) {
      for (ScopeLogs.Builder sl : rl.getScopeLogsBuilderList()) {
        List<LogRecord> kept =
            sl.getLogRecordsList().stream()
                .filter(r -> ids(r.getTraceId(), r.getSpanId()) == null)
                .toList();
        sl.clearLogRecords().addAllLogRecords(kept);
      }
    }
    return out.build();
  }

  private static boolean anySpan(ExportTraceServiceRequest request, Found found) {
    for (ResourceSpans rs : request.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span span : ss.getSpansList()) {
          String problem = spanProblem(span);
          if (problem != null) {
            found.note("span '" + span.getName() + "'", problem, true);
          }
        }
      }
    }
    return found.problem != null;
  }

  private static ExportTraceServiceRequest traces(ExportTraceServiceRequest request) {
    ExportTraceServiceRequest.Builder out = request.toBuilder();
    for (ResourceSpans.Builder rs : out.getResourceSpansBuilderList()) {
      for (ScopeSpans.Builder ss : rs.getScopeSpansBuilderList()) {
        List<Span> kept = ss.getSpansList().stream().filter(s -> spanProblem(s) == null).toList();
        ss.clearSpans().addAllSpans(kept);
      }
    }
    return out.build();
  }

  private static String spanProblem(Span span) {
    String problem = ids(span.getTraceId(), span.getSpanId());
    if (problem == null) {
      problem = length("parent_span_id", span.getParentSpanId(), SPAN_ID_BYTES);
    }
    for (int i = 0; problem == null && i < span.getLinksCount(); i++) {
      problem = ids(span.getLinks(i).getTraceId(), span.getLinks(i).getSpanId());
    }
    return problem;
  }

  private static String ids(ByteString traceId, ByteString spanId) {
    String problem = length("trace_id", traceId, TRACE_ID_BYTES);
    return problem != null ? problem : length("span_id", spanId, SPAN_ID_BYTES);
  }

  private static String length(String field, ByteString id, int expected) {
    if (id.isEmpty() || id.size() == expected) {
      return null;
    }
    return field
        + " must be "
        + expected
        + " bytes ("
        + 2 * expected
        + " hex digits in JSON), was "
        + id.size();
  }
}
