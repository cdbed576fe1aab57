package io.vigil.collector.lineage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Checks an OpenLineage RunEvent posted to {@code /api/v1/lineage} (the path of the OpenLineage
 * HTTP transport that Airflow, dbt and Spark use) and gives the Kafka key: job namespace and name.
 * Required, as the OpenLineage spec says of a RunEvent: {@code eventTime} (ISO-8601 with offset),
 * {@code producer}, {@code run.runId}, {@code job.namespace}, {@code job.name}. {@code schemaURL},
 * also required by the spec, is not: real integrations' events have been seen without it, and
 * refusing a pipeline's run over it would lose the run. Pure.
 */
public final class LineageEvents {
  /** The path the OpenLineage HTTP transport posts to. */
  public static final String PATH = "/api/v1/lineage";

  /** An event that cannot be accepted; the message names the field and the value. */
  public static final class Invalid extends Exception {
    Invalid(String message) {
      super(message);
    }
  }

  private LineageEvents() {}

  /** The record key ({@code namespace/name} of the job) of a valid event. */
  public static byte[] key(byte[] body) throws Invalid {
    JsonNode root;
    try {
      root = Json.mapper().readTree(body);
    } catch (JsonProcessingException e) {
      throw new Invalid("not JSON: " + Json.describe(e));
    } catch (IOException e) {
      throw new Invalid("not JSON: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new Invalid("not an OpenLineage RunEvent: the body must be a JSON object");
    }
    String time = required(root.path("eventTime"), "eventTime");
    try {
      OffsetDateTime.parse(time);
    } catch (DateTimeParseException e) {
      throw new Invalid("eventTime: must be an ISO-8601 date-time with offset, was '" + time + "'");
    }
    required(root.path("producer"), "producer");
    required(root.path("run").path("runId"), "run.runId");
    String namespace = required(root.path("job").path("namespace"), "job.namespace");
    String name = required(root.path("job").path("name"), "job.name");
    return (namespace + "/" + name).getBytes(StandardCharsets.UTF_8);
  }

  private static String required(JsonNode node, String field) throws Invalid {
    if (node.isMissingNode() || node.isNull()) {
      throw new Invalid(field + ": required");
    }
    if (!node.isTextual() || node.asText().isBlank()) {
      throw new Invalid(field + ": must be a non-empty string, was " + node);
    }
    return node.asText();
  }
}
