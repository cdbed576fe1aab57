package io.vigil.processor.journey;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads an OpenLineage RunEvent (JSON) into a {@link LineageEvent}. Requires what the journey
 * cannot do without — {@code eventTime}, {@code run.runId}, {@code job.namespace}, {@code job.name}
 * — and names the field when one is missing or wrong. Pure.
 */
final class LineageEventParser {
  private static final Set<String> TYPES =
      Set.of("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER");

  /** Why an event was refused: a DLQ reason token and a message naming the field. */
  static final class InvalidEvent extends Exception {
    private final String reason;

    InvalidEvent(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    String reason() {
      return reason;
    }
  }

  private LineageEventParser() {}

  static LineageEvent parse(byte[] json) throws InvalidEvent {
    JsonNode root;
    try {
      root = Json.mapper().readTree(json);
    } catch (JsonProcessingException e) {
      throw new InvalidEvent("invalid_json", "not JSON: " + Json.describe(e));
    } catch (IOException e) {
      throw new InvalidEvent("invalid_json", "not JSON: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new InvalidEvent("invalid_event", "not an OpenLineage RunEvent: not a JSON object");
    }
    String type = text(root.path("eventType"));
    type = type == null ? "OTHER" : type.toUpperCase(java.util.Locale.ROOT);
    if (!TYPES.contains(type)) {
      throw new InvalidEvent(
          "invalid_field", "eventType: must be one of " + TYPES + ", was '" + type + "'");
    }
    String time = required("eventTime", root.path("eventTime"));
    Instant eventTime;
    try {
      eventTime = OffsetDateTime.parse(time).toInstant();
    } catch (DateTimeParseException e) {
      throw new InvalidEvent(
          "invalid_field",
          "eventTime: must be an ISO-8601 date-time with offset, was '" + time + "'");
    }
    String runId = required("run.runId", root.path("run").path("runId"));
    String namespace = required("job.namespace", root.path("job").path("namespace"));
    String name = required("job.name", root.path("job").path("name"));

    JsonNode parent = root.path("run").path("facets").path("parent");
    String parentRunId = text(parent.path("run").path("runId"));
    String parentNamespace = text(parent.path("job").path("namespace"));
    String parentName = text(parent.path("job").path("name"));
    String parentJob =
        parentNamespace != null && parentName != null ? parentNamespace + "/" + parentName : null;

    String cluster =
        text(
            root.path("run")
                .path("facets")
                .path("vigil_resource")
                .path("attributes")
                .path("k8s.cluster.name"));

    Long rows = null;
    Long bytes = null;
    for (JsonNode output : root.path("outputs")) {
      JsonNode stats = output.path("outputFacets").path("outputStatistics");
      if (stats.path("rowCount").canConvertToLong()) {
        rows = (rows == null ? 0 : rows) + stats.path("rowCount").asLong();
      }
      if (stats.path("size").canConvertToLong()) {
        bytes = (bytes == null ? 0 : bytes) + stats.path("size").asLong();
      }
    }
    int assertions = 0;
    List<String> failed = new ArrayList<>();
    for (JsonNode input : root.path("inputs")) {
      for (JsonNode a :
          input.path("inputFacets").path("dataQualityAssertions").path("assertions")) {
        assertions++;
        if (a.path("success").isBoolean() && !a.path("success").asBoolean()) {
          String assertion = text(a.path("assertion"));
          String column = text(a.path("column"));
          String label = assertion == null ? "?" : assertion;
          failed.add(column == null ? label : label + "(" + column + ")");
        }
      }
    }
    return new LineageEvent(
        type,
        eventTime,
        namespace,
        name,
        runId,
        parentRunId,
        parentJob,
        rows,
        bytes,
        assertions,
        failed,
        cluster);
  }

  private static String required(String field, JsonNode node) throws InvalidEvent {
    String value = text(node);
    if (value == null || value.isBlank()) {
      throw new InvalidEvent(
          "missing_field",
          field + ": required, was " + (node.isMissingNode() ? "absent" : "'" + node + "'"));
    }
    return value;
  }

  private static String text(JsonNode node) {
    return node != null && node.isTextual() ? node.asText() : null;
  }
}
