package io.vigil.collector;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.collector.k8s.KubernetesSettings;
import io.vigil.collector.lag.LagSettings;
import io.vigil.collector.logs.LogsSettings;
import io.vigil.collector.otlp.OtlpSettings;
import io.vigil.collector.scrape.ScrapeSettings;
import io.vigil.collector.sink.SpoolSettings;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.ConfigLoader;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.runtime.AdminSettings;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The collector's configuration: one YAML file, loaded with {@link #load(String, Map)}.
 *
 * <pre>{@code
 * kafka: {bootstrap_servers: 127.0.0.1:9092, topics: {create: true}, overrides: {}}
 * otlp:
 *   http: {enabled: true, host: 0.0.0.0, port: 4318, max_body_bytes: 16777216,
 *          request_timeout: 10s}
 * admin: {host: 0.0.0.0, port: 8888}
 * }</pre>
 *
 * @param kafka where OTLP data is shipped; defaults as {@link KafkaSettings#defaults()}
 * @param otlp the OTLP receivers; defaults as {@link OtlpSettings#defaults()}
 * @param logs the log file tailer; off unless {@code logs.enabled}, see {@link LogsSettings}
 * @param scrape Prometheus scraping; off unless {@code scrape.enabled}, see {@link ScrapeSettings}
 * @param lag consumer-group lag of Kafka clusters; off unless {@code lag.enabled}, see {@link
 *     LagSettings}
 * @param spool the on-disk spool that takes data while Kafka cannot; none unless {@code spool.dir},
 *     see {@link SpoolSettings}
 * @param kubernetes pods and owners from the Kubernetes API, for resources and scrape targets; off
 *     unless {@code kubernetes.enabled}, see {@link KubernetesSettings}
 * @param admin the admin endpoint; port defaults to {@value #DEFAULT_ADMIN_PORT}
 * @param webConfigFile TLS and authentication of the admin port ({@code /metrics}; the probes stay
 *     open), in the format of Prometheus' {@code --web.config.file}, relative paths in it resolved
 *     from its directory; default none. The receivers' ports are not affected
 * @param resource attributes every record's resource is to carry (OTLP received, scraped, lag, log
 *     files), added where the sender did not set them: {@code k8s.cluster.name} (one controlplane
 *     watches many clusters), {@code k8s.node.name} (from the downward API's {@code NODE_NAME}),
 *     {@code deployment.environment}; default none. For log files, {@code logs.resource} wins
 */
public record CollectorConfig(
    @JsonProperty("kafka") KafkaSettings kafka,
    @JsonProperty("otlp") OtlpSettings otlp,
    @JsonProperty("logs") LogsSettings logs,
    @JsonProperty("scrape") ScrapeSettings scrape,
    @JsonProperty("lag") LagSettings lag,
    @JsonProperty("spool") SpoolSettings spool,
    @JsonProperty("kubernetes") KubernetesSettings kubernetes,
    @JsonProperty("admin") AdminSettings admin,
    @JsonProperty("web_config_file") String webConfigFile,
    @JsonProperty("resource") Map<String, String> resource) {

  /** The collector's admin port when {@code admin.port} is not set. */
  public static final int DEFAULT_ADMIN_PORT = 8888;

  /** Applies defaults to absent sections. */
  public CollectorConfig {
    if (kafka == null) {
      kafka = KafkaSettings.defaults();
    }
    if (otlp == null) {
      otlp = OtlpSettings.defaults();
    }
    if (logs == null) {
      logs = LogsSettings.defaults();
    }
    if (scrape == null) {
      scrape = ScrapeSettings.defaults();
    }
    if (lag == null) {
      lag = LagSettings.defaults();
    }
    if (spool == null) {
      spool = SpoolSettings.defaults();
    }
    if (kubernetes == null) {
      kubernetes = KubernetesSettings.defaults();
    }
    if (admin == null) {
      admin = AdminSettings.defaults();
    }
    resource = resource == null ? Map.of() : resource;
    for (Map.Entry<String, String> e : resource.entrySet()) {
      if (e.getKey().isBlank() || e.getValue() == null || e.getValue().isBlank()) {
        throw new ConfigException(
            "collector.resource." + e.getKey(), e.getValue(), "must be a non-empty string");
      }
    }
    resource = Collections.unmodifiableMap(new LinkedHashMap<>(resource));
    if (webConfigFile != null && webConfigFile.isBlank()) {
      throw new ConfigException("collector.web_config_file", webConfigFile, "must be a path");
    }
    for (ScrapeSettings.Job job : scrape.jobs()) {
      if (!job.kubernetesSdConfigs().isEmpty() && !kubernetes.enabled()) {
        throw new ConfigException(
            "collector.scrape.jobs[" + job.job() + "].kubernetes_sd_configs",
            "needs kubernetes.enabled: true (the objects of its roles come from its informers)");
      }
      if (kubernetes.scrapePods() && job.job().equals(kubernetes.scrapeJob())) {
        throw new ConfigException(
            "collector.kubernetes.scrape_job",
            job.job(),
            "is also a job of scrape.jobs: name it differently, or drop scrape_pods");
      }
      if (kubernetes.scrapeServices() && job.job().equals(kubernetes.serviceScrapeJob())) {
        throw new ConfigException(
            "collector.kubernetes.service_scrape_job",
            job.job(),
            "is also a job of scrape.jobs: name it differently, or drop scrape_services");
      }
    }
  }

  /** Every value defaulted. */
  public static CollectorConfig defaults() {
    return new CollectorConfig(null, null, null, null, null, null, null, null, null, null);
  }

  /**
   * Parses {@code yaml}, substituting {@code ${VAR:-default}} from {@code env}.
   *
   * @throws io.vigil.model.config.ConfigException naming the key and value of a bad setting
   */
  public static CollectorConfig load(String yaml, Map<String, String> env) {
    return ConfigLoader.load(yaml, env, CollectorConfig.class);
  }

  /** The admin port to bind: {@code admin.port}, else {@value #DEFAULT_ADMIN_PORT}. */
  public int adminPort() {
    return admin.portOr(DEFAULT_ADMIN_PORT);
  }
}
