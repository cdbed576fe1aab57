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
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.List;

/**
 * Checks that every trace and span id in a request is empty or exactly 16 resp. 8 bytes, as the
 * OTLP specification requires. Protobuf and the JSON mapping accept any length; downstream code
 * that formats ids (logs' {@code trace.id}, exemplar links) must not meet a 3-byte "trace id".
 */
final class OtlpIds {
  private static final int TRACE_ID_BYTES = 16;
  private static final int SPAN_ID_BYTES = 8;

  private OtlpIds() {}

  /** Returns null when all ids are well-formed, else what is wrong with the first bad one. */
  static String check(Message request) {
    if (request instanceof ExportMetricsServiceRequest metrics) {
      return checkMetrics(metrics);
    }
    if (request instanceof ExportLogsServiceRequest logs) {
      return checkLogs(logs);
    }
    if (request instanceof ExportTraceServiceRequest traces) {
      return checkTraces(traces);
    }
    return null;
  }

  private static String checkMetrics(ExportMetricsServiceRequest request) {
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric metric : sm.getMetricsList()) {
          String problem = checkExemplars(metric);
          if (problem != null) {
            return "exemplar of metric '" + metric.getName() + "': " + problem;
          }
        }
      }
    }
    return null;
  }

  private static String checkExemplars(Metric metric) {
    switch (metric.getDataCase()) {
      case GAUGE:
        return checkNumberPoints(metric.getGauge().getDataPointsList());
      case SUM:
        return checkNumberPoints(metric.getSum().getDataPointsList());
      case HISTOGRAM:
        for (HistogramDataPoint p : metric.getHistogram().getDataPointsList()) {
          String problem = checkExemplarList(p.getExemplarsList());
          if (problem != null) {
            return problem;
          }
        }
        return null;
      case EXPONENTIAL_HISTOGRAM:
        for (ExponentialHistogramDataPoint p :
            metric.getExponentialHistogram().getDataPointsList()) {
          String problem = checkExemplarList(p.getExemplarsList());
          if (problem != null) {
            return problem;
          }
        }
        return null;
      default:
        return null; // summaries carry no exemplars
    }
  }

  private static String checkNumberPoints(List<NumberDataPoint> points) {
    for (NumberDataPoint p : points) {
      String problem = checkExemplarList(p.getExemplarsList());
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  private static String checkExemplarList(List<Exemplar> exemplars) {
    for (Exemplar e : exemplars) {
      String problem = ids(e.getTraceId(), e.getSpanId());
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  private static String checkLogs(ExportLogsServiceRequest request) {
    for (ResourceLogs rl : request.getResourceLogsList()) {
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        for (LogRecord record : sl.getLogRecordsList()) {
          String problem = ids(record.getTraceId(), record.getSpanId());
          if (problem != null) {
            return "log record: " + problem;
          }
        }
      }
    }
    return null;
  }

  private static String checkTraces(ExportTraceServiceRequest request) {
    for (ResourceSpans rs : request.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span span : ss.getSpansList()) {
          String problem = ids(span.getTraceId(), span.getSpanId());
          if (problem == null) {
            problem = length("parent_span_id", span.getParentSpanId(), SPAN_ID_BYTES);
          }
          for (int i = 0; problem == null && i < span.getLinksCount(); i++) {
            problem = ids(span.getLinks(i).getTraceId(), span.getLinks(i).getSpanId());
          }
          if (problem != null) {
            return "span '" + span.getName() + "': " + problem;
          }
        }
      }
    }
    return null;
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
