package io.vigil.processor.logs;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.json.Json;
import io.vigil.model.log.LogRecord;
import io.vigil.model.otlp.OtlpAttributes;
import io.vigil.model.otlp.Severities;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns an OTLP {@code ExportLogsServiceRequest} into {@link LogRecord}s with ECS field names.
 * Identity comes from the resource (service, Kubernetes, cluster, host); {@code log.level} from the
 * severity number where there is one (OTLP's ranges: 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn,
 * 17–20 error, 21–24 fatal), else from the severity text's common words. Pure.
 */
final class OtlpLogsDecoder {
  private OtlpLogsDecoder() {}

  /**
   * Reports every log record of {@code request} to {@code sink}; {@code idPrefix} (where the
   * request was read from) and the record's position make its id.
   */
  static void decode(ExportLogsServiceRequest request, String idPrefix, Consumer<LogRecord> sink) {
    int position = 0;
    for (ResourceLogs rl : request.getResourceLogsList()) {
      Resource resource = rl.getResource();
      List<KeyValue> ra = resource.getAttributesList();
      LogRecord.Service service =
          new LogRecord.Service(
              OtlpAttributes.serviceName(resource),
              OtlpAttributes.get(ra, OtlpAttributes.SERVICE_NAMESPACE));
      LogRecord.Kubernetes kubernetes =
          kubernetes(
              OtlpAttributes.get(ra, OtlpAttributes.K8S_NAMESPACE),
              OtlpAttributes.get(ra, "k8s.pod.name"),
              OtlpAttributes.get(ra, "k8s.container.name"),
              OtlpAttributes.get(ra, "k8s.node.name"));
      String cluster = OtlpAttributes.get(ra, OtlpAttributes.K8S_CLUSTER);
      LogRecord.Orchestrator orchestrator =
          cluster == null ? null : new LogRecord.Orchestrator(new LogRecord.Named(cluster));
      String hostName = OtlpAttributes.get(ra, "host.name");
      LogRecord.Named host = hostName == null ? null : new LogRecord.Named(hostName);
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        for (io.opentelemetry.proto.logs.v1.LogRecord r : sl.getLogRecordsList()) {
          long nanos = r.getTimeUnixNano() != 0 ? r.getTimeUnixNano() : r.getObservedTimeUnixNano();
          int severity = r.getSeverityNumberValue();
          sink.accept(
              new LogRecord(
                  Instant.ofEpochSecond(0, nanos),
                  idPrefix + "-" + position++,
                  message(r.getBody()),
                  new LogRecord.Log(level(severity, r.getSeverityText())),
                  severity > 0 ? severity : Severities.number(r.getSeverityText()),
                  service,
                  kubernetes,
                  orchestrator,
                  host,
                  hexId(r.getTraceId().toByteArray()),
                  hexId(r.getSpanId().toByteArray()),
                  attributes(r.getAttributesList())));
        }
      }
    }
  }

  /** {@code log.level} of a record. */
  static String level(int severityNumber, String severityText) {
    if (severityNumber > 0) {
      return Severities.level(severityNumber);
    }
    int n = Severities.number(severityText);
    return n > 0 ? Severities.level(n) : null;
  }

  private static LogRecord.Kubernetes kubernetes(
      String namespace, String pod, String container, String node) {
    if (namespace == null && pod == null && container == null && node == null) {
      return null;
    }
    return new LogRecord.Kubernetes(
        namespace,
        pod == null ? null : new LogRecord.Named(pod),
        container == null ? null : new LogRecord.Named(container),
        node == null ? null : new LogRecord.Named(node));
  }

  private static String message(AnyValue body) {
    if (body.hasStringValue()) {
      return body.getStringValue();
    }
    if (body.getValueCase() == AnyValue.ValueCase.VALUE_NOT_SET) {
      return null;
    }
    Object value = plain(body);
    try {
      return value instanceof String s ? s : Json.mapper().writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return String.valueOf(value);
    }
  }

  /** An attribute value as plain Java (maps and lists for structured values). */
  private static Object plain(AnyValue v) {
    return switch (v.getValueCase()) {
      case KVLIST_VALUE -> {
        Map<String, Object> map = new LinkedHashMap<>();
        v.getKvlistValue()
            .getValuesList()
            .forEach(kv -> map.put(kv.getKey(), plain(kv.getValue())));
        yield map;
      }
      case ARRAY_VALUE ->
          v.getArrayValue().getValuesList().stream().map(OtlpLogsDecoder::plain).toList();
      case BOOL_VALUE -> v.getBoolValue();
      case INT_VALUE -> v.getIntValue();
      case DOUBLE_VALUE -> v.getDoubleValue();
      case BYTES_VALUE -> HexFormat.of().formatHex(v.getBytesValue().toByteArray());
      default -> OtlpAttributes.asString(v);
    };
  }

  private static Map<String, String> attributes(List<KeyValue> attributes) {
    if (attributes.isEmpty()) {
      return null;
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (KeyValue kv : attributes) {
      Object value = plain(kv.getValue());
      try {
        out.put(
            kv.getKey(), value instanceof String s ? s : Json.mapper().writeValueAsString(value));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        out.put(kv.getKey(), String.valueOf(value));
      }
    }
    return out;
  }

  private static LogRecord.Id hexId(byte[] id) {
    boolean empty = true;
    for (byte b : id) {
      empty &= b == 0;
    }
    return empty ? null : new LogRecord.Id(HexFormat.of().formatHex(id));
  }
}
