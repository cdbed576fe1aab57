package io.vigil.collector.otlp;

import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.otlp.OtlpAttributes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits an export request into one request per resource, keyed by the resource's {@code
 * service.name}: the layout of the OpenTelemetry Collector's Kafka exporter with {@code encoding:
 * otlp_proto} and partitioning by resource, so all data of a service lands in one partition, in
 * order.
 */
public final class ResourceSplitter {
  /**
   * The largest record written: below Kafka's default 1 MiB message size (producer {@code
   * max.request.size}, broker {@code message.max.bytes}) with room for the record's framing.
   */
  public static final int MAX_RECORD_BYTES = 900 * 1024;

  private ResourceSplitter() {}

  /**
   * The records of {@code request}, a {@code signal} export request: one per resource, on the
   * signal's topic, key = UTF-8 service name, value = protobuf export request.
   */
  static List<SinkRecord> records(OtlpSignal signal, Message request) {
    return records(signal, request, null);
  }

  /**
   * As {@link #records(OtlpSignal, Message)}; {@code encoded} is the request's own protobuf bytes
   * when the caller has them: a request of one resource (what an SDK sends) is then stored as it
   * came, without encoding it again.
   */
  static List<SinkRecord> records(OtlpSignal signal, Message request, byte[] encoded) {
    String topic = signal.topic();
    List<SinkRecord> out = new ArrayList<>();
    if (encoded != null && signal.resources(request) == 1) {
      add(out, topic, service(request), request, encoded);
      return out;
    }
    if (request instanceof ExportMetricsServiceRequest metrics) {
      for (ResourceMetrics rm : metrics.getResourceMetricsList()) {
        add(
            out,
            topic,
            OtlpAttributes.serviceName(rm.getResource()),
            ExportMetricsServiceRequest.newBuilder().addResourceMetrics(rm).build(),
            null);
      }
    } else if (request instanceof ExportLogsServiceRequest logs) {
      for (ResourceLogs rl : logs.getResourceLogsList()) {
        add(
            out,
            topic,
            OtlpAttributes.serviceName(rl.getResource()),
            ExportLogsServiceRequest.newBuilder().addResourceLogs(rl).build(),
            null);
      }
    } else if (request instanceof ExportTraceServiceRequest traces) {
      for (ResourceSpans rs : traces.getResourceSpansList()) {
        add(
            out,
            topic,
            OtlpAttributes.serviceName(rs.getResource()),
            ExportTraceServiceRequest.newBuilder().addResourceSpans(rs).build(),
            null);
      }
    } else {
      throw new IllegalArgumentException(
          "not an OTLP export request: " + request.getDescriptorForType().getFullName());
    }
    return out;
  }

  private static String service(Message request) {
    if (request instanceof ExportMetricsServiceRequest metrics) {
      return OtlpAttributes.serviceName(metrics.getResourceMetrics(0).getResource());
    } else if (request instanceof ExportLogsServiceRequest logs) {
      return OtlpAttributes.serviceName(logs.getResourceLogs(0).getResource());
    }
    return OtlpAttributes.serviceName(
        ((ExportTraceServiceRequest) request).getResourceSpans(0).getResource());
  }

  /**
   * Adds the records of a one-resource request: one, or its halves when it is over {@link
   * #MAX_RECORD_BYTES} ({@link Halves#fitting}).
   */
  private static void add(
      List<SinkRecord> out, String topic, String service, Message single, byte[] encoded) {
    byte[] key = service.getBytes(StandardCharsets.UTF_8);
    for (byte[] value : Halves.fitting(single, encoded, MAX_RECORD_BYTES)) {
      out.add(new SinkRecord(topic, key, value));
    }
  }
}
