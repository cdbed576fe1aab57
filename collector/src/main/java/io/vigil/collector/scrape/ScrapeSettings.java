package io.vigil.collector.scrape;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
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
   * @param bearerTokenFile a file whose content is sent as {@code Authorization: Bearer}, read
   *     again at every scrape (a Kubernetes service-account token rotates); null: none
   * @param tlsConfig how an {@code https} target is verified and how the collector identifies
   *     itself; null: the JVM's trusted CAs, no client certificate
   * @param metricRelabelConfigs rules applied to every scraped sample before it is stored, as
   *     Prometheus' {@code metric_relabel_configs} ({@link MetricRelabel}); default none
   */
  public record Job(
      @JsonProperty("job") String job,
      @JsonProperty("targets") List<String> targets,
      @JsonProperty("path") String path,
      @JsonProperty("scheme") String scheme,
      @JsonProperty("labels") Map<String, String> labels,
      @JsonProperty("bearer_token_file") String bearerTokenFile,
      @JsonProperty("tls_config") TlsConfig tlsConfig,
      @JsonProperty("metric_relabel_configs") List<MetricRelabel> metricRelabelConfigs) {

    /** A job without credentials, TLS settings or relabelling. */
    public Job(
        String job, List<String> targets, String path, String scheme, Map<String, String> labels) {
      this(job, targets, path, scheme, labels, null, null, null);
    }

    /** A job without relabelling. */
    public Job(
        String job,
        List<String> targets,
        String path,
        String scheme,
        Map<String, String> labels,
        String bearerTokenFile,
        TlsConfig tlsConfig) {
      this(job, targets, path, scheme, labels, bearerTokenFile, tlsConfig, null);
    }

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
      String at = PREFIX + "jobs[" + job + "].";
      if (bearerTokenFile != null && bearerTokenFile.isBlank()) {
        throw new ConfigException(at + "bearer_token_file", bearerTokenFile, "must name a file");
      }
      if (tlsConfig != null) {
        tlsConfig.check(at + "tls_config.");
      }
      metricRelabelConfigs =
          metricRelabelConfigs == null ? List.of() : List.copyOf(metricRelabelConfigs);
      for (int i = 0; i < metricRelabelConfigs.size(); i++) {
        metricRelabelConfigs.get(i).check(at + "metric_relabel_configs[" + i + "].");
      }
    }

    /** How this job's targets are reached: credentials and TLS, or null for neither. */
    public Access access() {
      return bearerTokenFile == null && tlsConfig == null
          ? null
          : new Access(bearerTokenFile, tlsConfig);
    }
  }

  /**
   * Prometheus' {@code tls_config} for {@code https} targets, PEM files.
   *
   * @param caFile the CA that signs the targets' certificates; null: the JVM's trusted CAs
   * @param certFile the collector's client certificate (chain), for targets that ask for one
   * @param keyFile its private key (PKCS#8)
   * @param insecureSkipVerify accept any certificate and name (a kubelet's self-signed serving
   *     certificate); default false
   */
  public record TlsConfig(
      @JsonProperty("ca_file") String caFile,
      @JsonProperty("cert_file") String certFile,
      @JsonProperty("key_file") String keyFile,
      @JsonProperty("insecure_skip_verify") Boolean insecureSkipVerify) {

    /** Applies the default. */
    public TlsConfig {
      if (insecureSkipVerify == null) {
        insecureSkipVerify = false;
      }
    }

    void check(String prefix) {
      if ((certFile == null) != (keyFile == null)) {
        throw new ConfigException(prefix + "cert_file", "cert_file and key_file go together");
      }
      for (String[] file :
          new String[][] {{"ca_file", caFile}, {"cert_file", certFile}, {"key_file", keyFile}}) {
        if (file[1] != null && !Files.isReadable(Path.of(file[1]))) {
          throw new ConfigException(prefix + file[0], file[1], "no such readable file");
        }
      }
    }
  }

  /**
   * How a target is reached beyond its address: a bearer token file and TLS settings, either may be
   * null.
   */
  public record Access(String bearerTokenFile, TlsConfig tlsConfig) {}

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
