package io.vigil.model.signal;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Objects;

/**
 * One golden-signal window for one series (cluster, namespace, service, operation), as written to
 * {@code vigil.signals} and indexed into {@code metrics-vigil.signals-default}.
 *
 * <p>Sections with no data ({@code latency_ms}, {@code saturation}) and {@code operation} may be
 * null and are then omitted from the JSON.
 */
public record GoldenSignal(
    @JsonProperty("@timestamp") Instant timestamp,
    @JsonProperty("window") Window window,
    @JsonProperty("cluster") String cluster,
    @JsonProperty("namespace") String namespace,
    @JsonProperty("service") String service,
    @JsonProperty("operation") String operation,
    @JsonProperty("traffic") Traffic traffic,
    @JsonProperty("errors") Errors errors,
    @JsonProperty("latency_ms") Latency latencyMs,
    @JsonProperty("saturation") Saturation saturation) {

  /** Validates the fields every consumer relies on. */
  public GoldenSignal {
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(service, "service");
    if (timestamp == null) {
      timestamp = window.end();
    }
  }

  /** The series this window belongs to: {@code cluster/namespace/service/operation}. */
  @JsonIgnore
  public String seriesKey() {
    return seriesKey(cluster, namespace, service, operation);
  }

  /**
   * Stable id (series + window start), so a re-delivered record overwrites rather than duplicates.
   */
  @JsonProperty(value = "id", access = JsonProperty.Access.READ_ONLY)
  public String id() {
    return seriesKey() + "@" + window.start().toEpochMilli();
  }

  /** Builds the series key from its parts; absent parts are written as empty strings. */
  public static String seriesKey(
      String cluster, String namespace, String service, String operation) {
    return String.join(
        "/",
        nullToEmpty(cluster),
        nullToEmpty(namespace),
        nullToEmpty(service),
        nullToEmpty(operation));
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  /** The event-time window the record covers, {@code [start, end)}. */
  public record Window(
      @JsonProperty("start") Instant start,
      @JsonProperty("end") Instant end,
      @JsonProperty("seconds") long seconds) {
    /** Checks the window is not empty. */
    public Window {
      Objects.requireNonNull(start, "window.start");
      Objects.requireNonNull(end, "window.end");
      if (!end.isAfter(start)) {
        throw new IllegalArgumentException(
            "window.end: must be after window.start " + start + ", was " + end);
      }
    }
  }

  /** Request volume in the window. */
  public record Traffic(
      @JsonProperty("requests") long requests, @JsonProperty("rate_per_s") double ratePerS) {}

  /** Failed requests in the window; {@code ratio} is errors / requests, 0 when no requests. */
  public record Errors(@JsonProperty("count") long count, @JsonProperty("ratio") double ratio) {}

  /** Latency quantiles in milliseconds, estimated from histogram buckets. */
  public record Latency(
      @JsonProperty("p50") Double p50,
      @JsonProperty("p90") Double p90,
      @JsonProperty("p95") Double p95,
      @JsonProperty("p99") Double p99,
      @JsonProperty("max") Double max) {}

  /** Resource utilisation ratios (0..1). */
  public record Saturation(
      @JsonProperty("cpu_utilization") Double cpuUtilization,
      @JsonProperty("memory_utilization") Double memoryUtilization) {}
}
