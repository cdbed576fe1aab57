package io.vigil.collector.scrape;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Prometheus scraping ({@code scrape} in the collector's configuration).
 *
 * @param enabled whether to scrape at all; default false
 * @param interval how often each target is scraped; default 15s
 * @param timeout how long one scrape may take, headers to last byte; default 10s, at most the
 *     interval
 * @param maxBodyBytes the largest page read (after gunzip); a larger one fails the scrape; default
 *     32 MiB
 * @param jobs static targets, grouped by job
 */
public record ScrapeSettings(
    @JsonProperty("enabled") Boolean enabled,
    @JsonProperty("interval") Duration interval,
    @JsonProperty("timeout") Duration timeout,
    @JsonProperty("max_body_bytes") Integer maxBodyBytes,
    @JsonProperty("jobs") List<Job> jobs) {

  private static final String PREFIX = "collector.scrape.";

  /**
   * One job's static targets.
   *
   * @param job the job name: {@code service.name} of its targets' metrics, and their Kafka key
   * @param targets {@code host:port} of each target
   * @param path the metrics path; default {@code /metrics}
   * @param scheme {@code http} (default) or {@code https}
   * @param labels added to every target's resource attributes
   */
  public record Job(
      @JsonProperty("job") String job,
      @JsonProperty("targets") List<String> targets,
      @JsonProperty("path") String path,
      @JsonProperty("scheme") String scheme,
      @JsonProperty("labels") Map<String, String> labels) {

    /** Applies defaults and checks values. */
    public Job {
      if (job == null || job.isBlank()) {
        throw new ConfigException(PREFIX + "jobs[].job", String.valueOf(job), "is required");
      }
      if (targets == null || targets.isEmpty()) {
        throw new ConfigException(PREFIX + "jobs[" + job + "].targets", "at least one is required");
      }
      for (String target : targets) {
        int colon = target.lastIndexOf(':');
        if (colon <= 0 || !target.substring(colon + 1).matches("\\d{1,5}")) {
          throw new ConfigException(
              PREFIX + "jobs[" + job + "].targets", target, "must be host:port");
        }
      }
      targets = List.copyOf(targets);
      if (path == null) {
        path = "/metrics";
      }
      if (!path.startsWith("/")) {
        throw new ConfigException(PREFIX + "jobs[" + job + "].path", path, "must start with /");
      }
      if (scheme == null) {
        scheme = "http";
      }
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new ConfigException(
            PREFIX + "jobs[" + job + "].scheme", scheme, "must be http or https");
      }
      labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
  }

  /** Applies defaults and checks values. */
  public ScrapeSettings {
    if (enabled == null) {
      enabled = false;
    }
    if (interval == null) {
      interval = Duration.ofSeconds(15);
    }
    if (interval.compareTo(Duration.ofMillis(100)) < 0) {
      throw new ConfigException(PREFIX + "interval", interval, "must be >= 100ms");
    }
    if (timeout == null) {
      timeout = interval.compareTo(Duration.ofSeconds(10)) < 0 ? interval : Duration.ofSeconds(10);
    }
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(interval) > 0) {
      throw new ConfigException(PREFIX + "timeout", timeout, "must be > 0 and <= the interval");
    }
    if (maxBodyBytes == null) {
      maxBodyBytes = 32 * 1024 * 1024;
    }
    if (maxBodyBytes < 1) {
      throw new ConfigException(PREFIX + "max_body_bytes", maxBodyBytes, "must be >= 1");
    }
    jobs = jobs == null ? List.of() : List.copyOf(jobs);
  }

  /** Scraping off. */
  public static ScrapeSettings defaults() {
    return new ScrapeSettings(null, null, null, null, null);
  }
}
