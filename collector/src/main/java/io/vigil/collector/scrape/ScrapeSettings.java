package io.vigil.collector.scrape;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SNIHostName;

/**
 * Prometheus scraping ({@code scrape} in the collector's configuration).
 *
 * @param enabled whether to scrape at all; default false
 * @param interval how often each target is scraped; default 15s
 * @param timeout how long one scrape may take, headers to last byte; default 10s, at most the
 *     interval
 * @param maxBodyBytes the largest page read (after gunzip); a larger one fails the scrape; default
 *     32 MiB
 * @param jobs the scrape jobs: static targets and Kubernetes roles; job names are unique
 */
public record ScrapeSettings(
    @JsonProperty("enabled") Boolean enabled,
    @JsonProperty("interval") Duration interval,
    @JsonProperty("timeout") Duration timeout,
    @JsonProperty("max_body_bytes") Integer maxBodyBytes,
    @JsonProperty("jobs") List<Job> jobs) {

  private static final String PREFIX = "collector.scrape.";

  /**
   * One job: its static targets and the Kubernetes objects whose targets it scrapes, how they are
   * reached, and how their labels and samples are relabelled.
   *
   * @param job the job name: the {@code job} label of its targets (their {@code service.name} and
   *     Kafka key unless relabelling changes it)
   * @param targets each static target's {@code __address__}: {@code host:port}, or with {@code
   *     relabel_configs} anything they turn into one; default none (then {@code
   *     kubernetes_sd_configs} are required)
   * @param path the metrics path ({@code __metrics_path__}); default {@code /metrics}
   * @param scheme {@code http} (default) or {@code https} ({@code __scheme__})
   * @param labels added to every target's labels before relabelling, and so to its resource
   *     attributes; default none
   * @param params query parameters of every scrape (Prometheus' {@code params}: a name and its
   *     values; {@code __param_<name>} before relabelling is the first); default none
   * @param bearerTokenFile a file whose content is sent as {@code Authorization: Bearer}, read
   *     again at every scrape (a Kubernetes service-account token rotates); null: none
   * @param tlsConfig how an {@code https} target is verified and how the collector identifies
   *     itself; null: the JVM's trusted CAs, no client certificate
   * @param kubernetesSdConfigs Kubernetes objects whose targets this job scrapes, as Prometheus'
   *     {@code kubernetes_sd_configs} ({@link KubernetesSdConfig}); needs {@code
   *     kubernetes.enabled}; default none
   * @param relabelConfigs rules applied to every target's labels before it is scraped, as
   *     Prometheus' {@code relabel_configs} ({@link RelabelConfig}): they choose the targets and
   *     shape their URL and labels; default none. For the roles {@code pod} and {@code
   *     endpointslice}, none means the {@code prometheus.io/*} annotations choose, as {@code
   *     kubernetes.scrape_pods} does; for the others, as in Prometheus, every target of the role is
   *     scraped
   * @param metricRelabelConfigs rules applied to every scraped sample before it is stored, as
   *     Prometheus' {@code metric_relabel_configs}; default none
   */
  public record Job(
      @JsonProperty("job") String job,
      @JsonProperty("targets") List<String> targets,
      @JsonProperty("path") String path,
      @JsonProperty("scheme") String scheme,
      @JsonProperty("labels") Map<String, String> labels,
      @JsonProperty("params") Map<String, List<String>> params,
      @JsonProperty("bearer_token_file") String bearerTokenFile,
      @JsonProperty("tls_config") TlsConfig tlsConfig,
      @JsonProperty("kubernetes_sd_configs") List<KubernetesSdConfig> kubernetesSdConfigs,
      @JsonProperty("relabel_configs") List<RelabelConfig> relabelConfigs,
      @JsonProperty("metric_relabel_configs") List<RelabelConfig> metricRelabelConfigs) {

    /** A job of static targets without credentials, TLS settings or relabelling. */
    public Job(
        String job, List<String> targets, String path, String scheme, Map<String, String> labels) {
      this(job, targets, path, scheme, labels, null, null, null, null, null, null);
    }

    /** A job of static targets without relabelling. */
    public Job(
        String job,
        List<String> targets,
        String path,
        String scheme,
        Map<String, String> labels,
        String bearerTokenFile,
        TlsConfig tlsConfig) {
      this(job, targets, path, scheme, labels, null, bearerTokenFile, tlsConfig, null, null, null);
    }

    /**
     * The job {@code kubernetes.scrape_pods} or {@code scrape_services} stands for: the targets of
     * {@code role} chosen by their {@code prometheus.io/*} annotations, defaults otherwise.
     */
    public static Job annotated(String job, String role) {
      return new Job(
          job,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          List.of(new KubernetesSdConfig(role)),
          null,
          null);
    }

    /** Applies defaults and checks values. */
    public Job {
      if (job == null || job.isBlank()) {
        throw new ConfigException(PREFIX + "jobs[].job", String.valueOf(job), "is required");
      }
      String at = PREFIX + "jobs[" + job + "].";
      targets = targets == null ? List.of() : List.copyOf(targets);
      kubernetesSdConfigs =
          kubernetesSdConfigs == null ? List.of() : List.copyOf(kubernetesSdConfigs);
      if (targets.isEmpty() && kubernetesSdConfigs.isEmpty()) {
        throw new ConfigException(
            at + "targets", "at least one is required (or kubernetes_sd_configs)");
      }
      for (int i = 0; i < kubernetesSdConfigs.size(); i++) {
        KubernetesSdConfig sd = kubernetesSdConfigs.get(i);
        String sdAt = at + "kubernetes_sd_configs[" + i + "].";
        if (sd == null) {
          throw new ConfigException(
              sdAt + "role", null, "must be one of " + KubernetesSdConfig.ROLES);
        }
        sd.check(sdAt);
      }
      if (path == null) {
        path = "/metrics";
      }
      if (!path.startsWith("/")) {
        throw new ConfigException(at + "path", path, "must start with /");
      }
      if (scheme == null) {
        scheme = "http";
      }
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new ConfigException(at + "scheme", scheme, "must be http or https");
      }
      labels = labels == null ? Map.of() : Map.copyOf(labels);
      Map<String, List<String>> copied = new LinkedHashMap<>();
      if (params != null) {
        params.forEach(
            (name, values) -> {
              if (name == null || name.isEmpty()) {
                throw new ConfigException(at + "params", name, "a parameter needs a name");
              }
              copied.put(name, values == null ? List.of() : List.copyOf(values));
            });
      }
      params = Collections.unmodifiableMap(copied);
      if (bearerTokenFile != null && bearerTokenFile.isBlank()) {
        throw new ConfigException(at + "bearer_token_file", bearerTokenFile, "must name a file");
      }
      if (tlsConfig != null) {
        tlsConfig.check(at + "tls_config.");
      }
      relabelConfigs = relabelConfigs == null ? List.of() : List.copyOf(relabelConfigs);
      for (int i = 0; i < relabelConfigs.size(); i++) {
        relabelConfigs.get(i).check(at + "relabel_configs[" + i + "].");
      }
      for (String target : targets) {
        int colon = target.lastIndexOf(':');
        if (relabelConfigs.isEmpty()
            ? colon <= 0 || !target.substring(colon + 1).matches("\\d{1,5}")
            : target.isBlank()) {
          // With rules, a target is what they make an address of (a probed URL, for instance).
          throw new ConfigException(
              at + "targets",
              target,
              relabelConfigs.isEmpty() ? "must be host:port" : "must not be blank");
        }
      }
      metricRelabelConfigs =
          metricRelabelConfigs == null ? List.of() : List.copyOf(metricRelabelConfigs);
      for (int i = 0; i < metricRelabelConfigs.size(); i++) {
        metricRelabelConfigs.get(i).checkForSamples(at + "metric_relabel_configs[" + i + "].");
      }
    }

    /** How this job's targets are reached: credentials and TLS, or null for neither. */
    public Access access() {
      return bearerTokenFile == null && tlsConfig == null
          ? null
          : new Access(bearerTokenFile, tlsConfig);
    }

    /** Whether it scrapes the targets of Kubernetes {@code role} ({@code pod}, …). */
    public boolean discovers(String role) {
      return kubernetesSdConfigs.stream().anyMatch(sd -> sd.role().equals(role));
    }
  }

  /**
   * Prometheus' {@code tls_config} for {@code https} targets, PEM files.
   *
   * @param caFile the CA that signs the targets' certificates; null: the JVM's trusted CAs
   * @param certFile the collector's client certificate (chain), for targets that ask for one
   * @param keyFile its private key (PKCS#8)
   * @param serverName the name the target's certificate must be for, instead of the host of its
   *     address, and sent as SNI (e.g. a Service's DNS name when pods are scraped by IP); null: the
   *     address's host
   * @param insecureSkipVerify accept any certificate and name (a kubelet's self-signed serving
   *     certificate); default false
   */
  public record TlsConfig(
      @JsonProperty("ca_file") String caFile,
      @JsonProperty("cert_file") String certFile,
      @JsonProperty("key_file") String keyFile,
      @JsonProperty("server_name") String serverName,
      @JsonProperty("insecure_skip_verify") Boolean insecureSkipVerify) {

    /** Applies the default. */
    public TlsConfig {
      if (insecureSkipVerify == null) {
        insecureSkipVerify = false;
      }
    }

    void check(String prefix) {
      if (serverName != null && !ServerNameTrust.isIpLiteral(serverName)) {
        try {
          new SNIHostName(serverName);
        } catch (IllegalArgumentException e) {
          throw new ConfigException(
              prefix + "server_name", serverName, "must be a host name or an IP address");
        }
      }
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
    Set<String> names = new HashSet<>();
    for (Job job : jobs) {
      if (!names.add(job.job())) {
        throw new ConfigException(PREFIX + "jobs[].job", job.job(), "job names must be unique");
      }
    }
  }

  /** Scraping off. */
  public static ScrapeSettings defaults() {
    return new ScrapeSettings(null, null, null, null, null);
  }
}
