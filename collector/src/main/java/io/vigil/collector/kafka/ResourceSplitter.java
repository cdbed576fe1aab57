package io.vigil.collector.kafka;

import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
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
final class ResourceSplitter {
  /** One Kafka record: key = UTF-8 service name, value = protobuf export request. */
  record KeyedRequest(String service, byte[] key, byte[] value) {}

  private ResourceSplitter() {}

  static List<KeyedRequest> split(Message request) {
    List<KeyedRequest> out = new ArrayList<>();
    if (request instanceof ExportMetricsServiceRequest metrics) {
      for (ResourceMetrics rm : metrics.getResourceMetricsList()) {
        out.add(
            keyed(
                OtlpAttributes.serviceName(rm.getResource()),
                ExportMetricsServiceRequest.newBuilder().addResourceMetrics(rm).build()));
      }
    } else if (request instanceof ExportLogsServiceRequest logs) {
      for (ResourceLogs rl : logs.getResourceLogsList()) {
        out.add(
            keyed(
                OtlpAttributes.serviceName(rl.getResource()),
                ExportLogsServiceRequest.newBuilder().addResourceLogs(rl).build()));
      }
    } else if (request instanceof ExportTraceServiceRequest traces) {
      for (ResourceSpans rs : traces.getResourceSpansList()) {
        out.add(
            keyed(
                OtlpAttributes.serviceName(rs.getResource()),
                ExportTraceServiceRequest.newBuilder().addResourceSpans(rs).build()));
      }
    } else {
      throw new IllegalArgumentException(
          "not an OTLP export request: " + request.getDescriptorForType().getFullName());
    }
    return out;
  }

  private static KeyedRequest keyed(String service, Message single) {
    return new KeyedRequest(
        service, service.getBytes(StandardCharsets.UTF_8), single.toByteArray());
  }
}
