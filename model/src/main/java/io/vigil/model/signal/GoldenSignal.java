package io.vigil.model.signal;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Objects;

/**
 * One golden-signal window for one series (cluster, namespace, service, operation), as written to
 * {@code vigil.signals} and indexed into {@code metrics-vigil.signals-default}.
 *
 * <p>Sections with no data ({@code traffic}, {@code errors}, {@code latency_ms}, {@code
 * saturation}) and {@code operation} may be null and are then omitted from the JSON.
 *
 * <p>Saturation is measured per node and per pod, not per request: its records carry {@code node}
 * (a node's or host's utilization; no service) or {@code pod} (a pod's utilization against its
 * limits, with the service it belongs to), only the {@code saturation} section, and a series of
 * their own, so they never mix with the request series of the same service.
 *
 * <p>Log volume is counted per service in records of its own as well: {@code logs} (log records,
 * and those of severity ERROR or worse, in the window), no {@code traffic}; their series key ends
 * in {@code /logs} ({@link #logsSeriesKey}).
 *
 * <p>{@code revision} is null on a window's record. Data that reaches the processor after its
 * window was emitted goes out as a <em>late supplement</em>: a record for the same window that
 * carries only the late part, with {@code revision} = the wall-clock time (epoch ms) it was
 * emitted. Summing the records of a window gives its full counts; each record keeps its own id.
 */
public record GoldenSignal(
    @JsonProperty("@timestamp") Instant timestamp,
    @JsonProperty("window") Window window,
    @JsonProperty("cluster") String cluster,
    @JsonProperty("namespace") String namespace,
    @JsonProperty("service") String service,
    @JsonProperty("operation") String operation,
    @JsonProperty("node") String node,
    @JsonProperty("pod") String pod,
    @JsonProperty("traffic") Traffic traffic,
    @JsonProperty("errors") Errors errors,
    @JsonProperty("latency_ms") Latency latencyMs,
    @JsonProperty("saturation") Saturation saturation,
    @JsonProperty("logs") Logs logs,
    @JsonProperty("revision") Long revision) {

  /** Validates the fields every consumer relies on. */
  public GoldenSignal {
    Objects.requireNonNull(window, "window");
    if (service == null && node == null) {
      throw new NullPointerException("service: required unless the record is a node's");
    }
    if (timestamp == null) {
      timestamp = window.end();
    }
  }

  /** A window's own record (no revision). */
  public GoldenSignal(
      Instant timestamp,
      Window window,
      String cluster,
      String namespace,
      String service,
      String operation,
      Traffic traffic,
      Errors errors,
      Latency latencyMs,
      Saturation saturation) {
    this(
        timestamp,
        window,
        cluster,
        namespace,
        service,
        operation,
        null,
        null,
        traffic,
        errors,
        latencyMs,
        saturation,
        null,
        null);
  }

  /** A request series' record (no node, no pod), maybe a late supplement. */
  public GoldenSignal(
      Instant timestamp,
      Window window,
      String cluster,
      String namespace,
      String service,
      String operation,
      Traffic traffic,
      Errors errors,
      Latency latencyMs,
      Saturation saturation,
      Long revision) {
    this(
        timestamp,
        window,
        cluster,
        namespace,
        service,
        operation,
        null,
        null,
        traffic,
        errors,
        latencyMs,
        saturation,
        null,
        revision);
  }

  /** A saturation record of a node ({@code pod} null) or a pod. */
  public static GoldenSignal saturation(
      Instant timestamp,
      Window window,
      String cluster,
      String namespace,
      String service,
      String node,
      String pod,
      Saturation saturation,
      Long revision) {
    return new GoldenSignal(
        timestamp,
        window,
        cluster,
        namespace,
        service,
        null,
        node,
        pod,
        null,
        null,
        null,
        saturation,
        null,
        revision);
  }

  /** A record of a service's log volume. */
  public static GoldenSignal logs(
      Instant timestamp,
      Window window,
      String cluster,
      String namespace,
      String service,
      Logs logs,
      Long revision) {
    return new GoldenSignal(
        timestamp,
        window,
        cluster,
        namespace,
        service,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        Objects.requireNonNull(logs, "logs"),
        revision);
  }

  /**
   * The series this window belongs to: {@code cluster/namespace/service/operation}, for a node's or
   * a pod's saturation {@code /node/pod} after it, and for a service's log volume {@code /logs}.
   */
  @JsonIgnore
  public String seriesKey() {
    if (logs != null && traffic == null) {
      return logsSeriesKey(cluster, namespace, service);
    }
    return seriesKey(cluster, namespace, service, operation, node, pod);
  }

  /**
   * The key of a service's log-volume series: its request series' key and {@code /logs}, so it
   * never shares a key (and ids) with the request or saturation series.
   */
  public static String logsSeriesKey(String cluster, String namespace, String service) {
    return seriesKey(cluster, namespace, service, null) + "/logs";
  }

  /**
   * Stable id (series + window start, then {@code ~revision} on a late supplement), so a
   * re-delivered record overwrites rather than duplicates.
   */
  @JsonProperty(value = "id", access = JsonProperty.Access.READ_ONLY)
  public String id() {
    String id = seriesKey() + "@" + window.start().toEpochMilli();
    return revision == null ? id : id + "~" + revision;
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

  /**
   * A series key with a node and pod after the four request-series parts; without either it is the
   * request series' key, so a saturation series never shares a key (and ids) with a request series.
   */
  public static String seriesKey(
      String cluster, String namespace, String service, String operation, String node, String pod) {
    String key = seriesKey(cluster, namespace, service, operation);
    if (node == null && pod == null) {
      return key;
    }
    return key + "/" + nullToEmpty(node) + "/" + nullToEmpty(pod);
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

  /**
   * Log records in the window, of a service.
   *
   * @param records every log record
   * @param errors those of severity ERROR or worse (OTLP severity number 17 and above)
   * @param ratePerS records per second over the window
   * @param errorRatePerS errors per second over the window
   */
  public record Logs(
      @JsonProperty("records") long records,
      @JsonProperty("errors") long errors,
      @JsonProperty("rate_per_s") double ratePerS,
      @JsonProperty("error_rate_per_s") double errorRatePerS) {}

  /** Resource utilisation ratios (0..1). */
  public record Saturation(
      @JsonProperty("cpu_utilization") Double cpuUtilization,
      @JsonProperty("memory_utilization") Double memoryUtilization) {}
}
