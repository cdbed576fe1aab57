package io.vigil.model.log;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One log record on {@code vigil.logs}, keyed by service, with Elastic Common Schema field names so
 * that it is indexed into {@code logs-vigil.app-default} as it is: {@code @timestamp}, {@code
 * message}, {@code log.level}, {@code service.*}, {@code kubernetes.*}, {@code
 * orchestrator.cluster.name}, {@code host.name}, {@code trace.id}, {@code span.id}; the record's
 * own attributes as strings under {@code attributes}. Sections with no data are null and omitted.
 *
 * @param timestamp the record's time (its observed time when it has none)
 * @param id stable id: where the record was read from (topic partition, offset, position), so a
 *     re-delivery overwrites rather than duplicates
 * @param message the body, as text (a structured body as JSON)
 * @param log level: trace, debug, info, warn, error or fatal
 * @param severityNumber OTLP severity number 1..24, 0 when unspecified
 */
public record LogRecord(
    @JsonProperty("@timestamp") Instant timestamp,
    @JsonProperty("id") String id,
    @JsonProperty("message") String message,
    @JsonProperty("log") Log log,
    @JsonProperty("severity_number") int severityNumber,
    @JsonProperty("service") Service service,
    @JsonProperty("kubernetes") Kubernetes kubernetes,
    @JsonProperty("orchestrator") Orchestrator orchestrator,
    @JsonProperty("host") Named host,
    @JsonProperty("trace") Id trace,
    @JsonProperty("span") Id span,
    @JsonProperty("attributes") Map<String, String> attributes) {

  /** Checks the fields every consumer relies on. */
  public LogRecord {
    Objects.requireNonNull(timestamp, "@timestamp");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(service, "service");
  }

  /** Whether the record is an error or worse (OTLP severity ≥ 17). */
  @JsonIgnore
  public boolean isError() {
    return severityNumber >= 17;
  }

  /** {@code log.level}. */
  public record Log(@JsonProperty("level") String level) {}

  /** {@code service.name}, {@code service.namespace}. */
  public record Service(
      @JsonProperty("name") String name, @JsonProperty("namespace") String namespace) {}

  /**
   * {@code kubernetes.namespace}, {@code .pod.name}, {@code .container.name}, {@code .node.name}.
   */
  public record Kubernetes(
      @JsonProperty("namespace") String namespace,
      @JsonProperty("pod") Named pod,
      @JsonProperty("container") Named container,
      @JsonProperty("node") Named node) {}

  /** {@code orchestrator.cluster.name}. */
  public record Orchestrator(@JsonProperty("cluster") Named cluster) {}

  /** An object with just a {@code name}. */
  public record Named(@JsonProperty("name") String name) {}

  /** An object with just an {@code id} (trace, span). */
  public record Id(@JsonProperty("id") String id) {}
}
