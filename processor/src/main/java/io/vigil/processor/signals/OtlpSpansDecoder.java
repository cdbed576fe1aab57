package io.vigil.processor.signals;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns the server spans of an OTLP trace request into request points, for services instrumented
 * with tracing only: each span of kind {@code SPAN_KIND_SERVER} is one request, failed when its
 * status is {@code STATUS_CODE_ERROR}, lasting end − start. Spans of other kinds (clients,
 * producers, consumers, internal work) are not requests served and are passed over without a count.
 *
 * <p>The spans of one request are summed per resource, operation, outcome and second of their end
 * into one delta point, its start the earliest span end of that second and its time the latest, so
 * each second's traffic is exact; their durations go into the point's {@link LatencySketch}, every
 * quantile within 1 % of the spans' own (no bucket bounds to interpolate between). The point is
 * marked {@link MetricPoint#fromSpans()}: the signals step leaves it out while its series also
 * sends request metrics. Pure: no Kafka, no clock.
 */
final class OtlpSpansDecoder {
  private static final long SECOND_NANOS = 1_000_000_000L;

  private OtlpSpansDecoder() {}

  /**
   * Reports to {@code sink} one delta point per resource, operation and outcome of the server spans
   * in {@code request}, and each server span it cannot use as a skip reason ({@code missing_time}:
   * no start or end; {@code invalid_start_time}: ends before it starts).
   */
  static void decode(ExportTraceServiceRequest request, PointSink<MetricPoint> sink) {
    Map<String, Requests> byKey = new LinkedHashMap<>();
    for (ResourceSpans rs : request.getResourceSpansList()) {
      OtlpMetricsDecoder.Origin origin = OtlpMetricsDecoder.Origin.of(rs.getResource());
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span span : ss.getSpansList()) {
          if (span.getKind() != Span.SpanKind.SPAN_KIND_SERVER) {
            continue;
          }
          String problem = check(span);
          if (problem != null) {
            sink.skipped(problem);
            continue;
          }
          String operation = operation(span);
          boolean error = span.getStatus().getCode() == Status.StatusCode.STATUS_CODE_ERROR;
          String identity = origin.id() + "|spans|" + operation + "|" + error;
          long second = Math.floorDiv(span.getEndTimeUnixNano(), SECOND_NANOS);
          byKey
              .computeIfAbsent(
                  identity + "|" + second, k -> new Requests(origin, operation, error, identity))
              .add(span);
        }
      }
    }
    for (Map.Entry<String, Requests> entry : byKey.entrySet()) {
      sink.point(entry.getValue().toPoint());
    }
  }

  /** What is wrong with server span {@code span}'s times, as a skip reason, or null. */
  static String check(Span span) {
    if (span.getStartTimeUnixNano() <= 0 || span.getEndTimeUnixNano() <= 0) {
      // fixed64 above Long.MAX_VALUE reads negative: as meaningless as zero.
      return "missing_time";
    }
    if (span.getEndTimeUnixNano() < span.getStartTimeUnixNano()) {
      return "invalid_start_time";
    }
    return null;
  }

  /**
   * The operation a server span served, named as the request metrics name it: {@code <method>
   * <http.route>}, else {@code <rpc.service>/<rpc.method>}, else the span's name (a server span's
   * name is low-cardinality by the semantic conventions: a route or an RPC, never a raw path); null
   * when the name is empty too.
   */
  static String operation(Span span) {
    String operation =
        OtlpMetricsDecoder.operation(OtlpMetricsDecoder.Source.HTTP, span.getAttributesList());
    if (operation == null) {
      operation =
          OtlpMetricsDecoder.operation(OtlpMetricsDecoder.Source.RPC, span.getAttributesList());
    }
    if (operation == null && !span.getName().isEmpty()) {
      operation = span.getName();
    }
    return operation;
  }

  /**
   * The server spans of one resource, operation and outcome that ended in one second of one
   * request, being summed.
   */
  private static final class Requests {
    private final OtlpMetricsDecoder.Origin origin;
    private final String operation;
    private final boolean error;
    private final String stream;
    private final LatencySketch latencies = new LatencySketch();
    private long count;
    private long firstEndNanos = Long.MAX_VALUE;
    private long lastEndNanos;
    private double maxMs;

    Requests(OtlpMetricsDecoder.Origin origin, String operation, boolean error, String identity) {
      this.origin = origin;
      this.operation = operation;
      this.error = error;
      this.stream = OtlpMetricsDecoder.hash(identity);
    }

    void add(Span span) {
      double latencyMs = (span.getEndTimeUnixNano() - span.getStartTimeUnixNano()) / 1e6;
      latencies.add(latencyMs, 1);
      count++;
      firstEndNanos = Math.min(firstEndNanos, span.getEndTimeUnixNano());
      lastEndNanos = Math.max(lastEndNanos, span.getEndTimeUnixNano());
      maxMs = Math.max(maxMs, latencyMs);
    }

    MetricPoint toPoint() {
      return new MetricPoint(
          stream,
          origin.cluster(),
          origin.namespace(),
          origin.service(),
          error,
          false,
          firstEndNanos,
          lastEndNanos,
          count,
          null,
          null,
          maxMs,
          operation,
          false,
          true,
          0,
          false,
          latencies,
          origin.key());
    }
  }
}
