package io.vigil.collector.logs;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.vigil.model.config.ConfigException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The log file tailer ({@code logs} in the collector's configuration).
 *
 * @param enabled whether to tail at all; default false
 * @param include glob patterns of the files to read; default the kubelet's {@code
 *     /var/log/pods/*}{@code /*}{@code /*.log}
 * @param exclude glob patterns of files not to read, e.g. the collector's own; default none
 * @param startAt where to start in a file found at the very first start, with no checkpoint yet:
 *     {@code end} (default) or {@code beginning}. Files that appear later are always read from
 *     their beginning
 * @param pollInterval how often the files are looked at for new lines and new files; default 200ms
 * @param multilineStart a regular expression (RE2 syntax) a line matching which starts a record;
 *     lines that do not match are appended to the record before them. Default none: one line, one
 *     record
 * @param multilineTimeout how long a multiline record waits for more lines before it is sent;
 *     default 1s
 * @param maxLineBytes the longest record, in characters; longer ones are cut and counted; default 1
 *     MiB
 * @param checkpointId names this tailer's offsets in Kafka: one per node (default {@code
 *     ${NODE_NAME}} or the host name)
 * @param resource attributes added to every record's resource, e.g. {@code k8s.cluster.name},
 *     {@code k8s.node.name}, {@code deployment.environment}
 * @param parseJson read an application's JSON log line into the record: its message as the body,
 *     its trace and span ids, its other fields as attributes ({@link StructuredLine}); default true
 * @param parseLogfmt the same for a logfmt line ({@code key=value …}, only pairs); default true
 */
public record LogsSettings(
    @JsonProperty("enabled") Boolean enabled,
    @JsonProperty("include") List<String> include,
    @JsonProperty("exclude") List<String> exclude,
    @JsonProperty("start_at") String startAt,
    @JsonProperty("poll_interval") Duration pollInterval,
    @JsonProperty("multiline_start") String multilineStart,
    @JsonProperty("multiline_timeout") Duration multilineTimeout,
    @JsonProperty("max_line_bytes") Integer maxLineBytes,
    @JsonProperty("checkpoint_id") String checkpointId,
    @JsonProperty("resource") Map<String, String> resource,
    @JsonProperty("parse_json") Boolean parseJson,
    @JsonProperty("parse_logfmt") Boolean parseLogfmt) {

  /** Default longest record: 256 KiB. */
  public static final int DEFAULT_MAX_LINE_BYTES = 256 * 1024;

  /** Longest record allowed: 512 KiB, so one record fits Kafka's default 1 MiB message size. */
  public static final int MAX_LINE_BYTES = 512 * 1024;

  /** Where the kubelet keeps container logs. */
  public static final String KUBELET_PODS = "/var/log/pods/*/*/*.log";

  private static final String PREFIX = "collector.logs.";

  /** Applies defaults and checks values. */
  public LogsSettings {
    if (enabled == null) {
      enabled = false;
    }
    include = include == null ? List.of(KUBELET_PODS) : List.copyOf(include);
    exclude = exclude == null ? List.of() : List.copyOf(exclude);
    if (startAt == null) {
      startAt = "end";
    }
    if (!startAt.equals("end") && !startAt.equals("beginning")) {
      throw new ConfigException(PREFIX + "start_at", startAt, "must be 'end' or 'beginning'");
    }
    if (pollInterval == null) {
      pollInterval = Duration.ofMillis(200);
    }
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new ConfigException(PREFIX + "poll_interval", pollInterval, "must be > 0");
    }
    if (multilineStart != null) {
      try {
        Pattern.compile(multilineStart);
      } catch (PatternSyntaxException e) {
        throw new ConfigException(
            PREFIX + "multiline_start",
            multilineStart,
            "invalid regular expression: " + e.getMessage());
      }
    }
    if (multilineTimeout == null) {
      multilineTimeout = Duration.ofSeconds(1);
    }
    if (maxLineBytes == null) {
      maxLineBytes = DEFAULT_MAX_LINE_BYTES;
    }
    if (maxLineBytes < 16 || maxLineBytes > MAX_LINE_BYTES) {
      throw new ConfigException(
          PREFIX + "max_line_bytes",
          maxLineBytes,
          "must be in 16.." + MAX_LINE_BYTES + " (a record must fit in Kafka's 1 MiB messages)");
    }
    if (checkpointId == null || checkpointId.isBlank()) {
      checkpointId = defaultCheckpointId();
    }
    resource = resource == null ? Map.of() : Map.copyOf(resource);
    if (parseJson == null) {
      parseJson = true;
    }
    if (parseLogfmt == null) {
      parseLogfmt = true;
    }
  }

  /**
   * These settings with {@code base} under {@code resource}: the attributes of both, this one's
   * value where both have a key.
   */
  public LogsSettings withBaseResource(Map<String, String> base) {
    if (base.isEmpty()) {
      return this;
    }
    Map<String, String> merged = new LinkedHashMap<>(base);
    merged.putAll(resource);
    return new LogsSettings(
        enabled,
        include,
        exclude,
        startAt,
        pollInterval,
        multilineStart,
        multilineTimeout,
        maxLineBytes,
        checkpointId,
        merged,
        parseJson,
        parseLogfmt);
  }

  /** Tailing off. */
  public static LogsSettings defaults() {
    return new LogsSettings(null, null, null, null, null, null, null, null, null, null, null, null);
  }

  /** The compiled start pattern, or null. */
  Pattern startPattern() {
    return multilineStart == null ? null : Pattern.compile(multilineStart);
  }

  private static String defaultCheckpointId() {
    String node = System.getenv("NODE_NAME");
    if (node != null && !node.isBlank()) {
      return node;
    }
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }
}
