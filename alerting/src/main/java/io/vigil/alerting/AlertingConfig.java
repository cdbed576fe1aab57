package io.vigil.alerting;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.alerting.elasticsearch.ElasticsearchSettings;
import io.vigil.alerting.notify.Links;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.ConfigLoader;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.runtime.AdminSettings;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Configuration of the alerting service.
 *
 * <pre>
 * kafka: {bootstrap_servers: 127.0.0.1:9092}
 * rule_files: [rules/golden-signals.yaml]
 * alertmanager_config: alertmanager.yml
 * elasticsearch: {url: http://127.0.0.1:9200}
 * external_url: http://localhost:8890
 * admin: {host: 0.0.0.0, port: 8890}
 * state_dir: /var/lib/vigil/alerting
 * links: {grafana_url: https://grafana.example.org, kibana_url: https://kibana.example.org}
 * web_config_file: web.yml
 * </pre>
 *
 * Relative paths are resolved against the working directory.
 *
 * @param kafka how to reach Kafka; default the embedded broker on 127.0.0.1:9092
 * @param ruleFiles rule files (Prometheus-style, see {@code io.vigil.alerting.rules}); at least one
 * @param alertmanagerConfig routing and receivers in Alertmanager's format; required
 * @param elasticsearch where alerts and signals are indexed; default {@code http://127.0.0.1:9200}
 * @param externalUrl base of alert links ({@code generatorUrl}); default {@code
 *     http://localhost:8890}
 * @param admin admin endpoint; default {@code 0.0.0.0:8890}
 * @param stateDir the Kafka Streams state directory (rule and group state are in-memory stores
 *     restored from their changelogs; the folder holds locks and offsets); default {@code
 *     <java.io.tmpdir>/vigil-alerting}
 * @param links where notifications link to (Grafana, Kibana); default none
 * @param webConfigFile TLS and authentication of the admin/API port, in the format of
 *     Alertmanager's {@code --web.config.file} ({@link io.vigil.model.web.WebConfig}); default
 *     none: plain HTTP, no authentication
 */
public record AlertingConfig(
    @JsonProperty("kafka") KafkaSettings kafka,
    @JsonProperty("rule_files") List<String> ruleFiles,
    @JsonProperty("alertmanager_config") String alertmanagerConfig,
    @JsonProperty("elasticsearch") ElasticsearchSettings elasticsearch,
    @JsonProperty("external_url") String externalUrl,
    @JsonProperty("admin") AdminSettings admin,
    @JsonProperty("state_dir") String stateDir,
    @JsonProperty("links") Links links,
    @JsonProperty("web_config_file") String webConfigFile) {

  /** Default admin and API port. */
  public static final int DEFAULT_ADMIN_PORT = 8890;

  /** Default {@code external_url}. */
  public static final String DEFAULT_EXTERNAL_URL = "http://localhost:8890";

  /** Applies defaults and checks required keys. */
  public AlertingConfig {
    kafka = kafka == null ? KafkaSettings.defaults() : kafka;
    if (ruleFiles == null || ruleFiles.isEmpty()) {
      throw new ConfigException("rule_files", ruleFiles, "at least one rule file is required");
    }
    for (int i = 0; i < ruleFiles.size(); i++) {
      if (ruleFiles.get(i) == null || ruleFiles.get(i).isBlank()) {
        throw new ConfigException("rule_files[" + i + "]", ruleFiles.get(i), "must be a path");
      }
    }
    ruleFiles = List.copyOf(ruleFiles);
    if (alertmanagerConfig == null || alertmanagerConfig.isBlank()) {
      throw new ConfigException(
          "alertmanager_config", alertmanagerConfig, "path of an alertmanager.yml is required");
    }
    elasticsearch = elasticsearch == null ? ElasticsearchSettings.defaults() : elasticsearch;
    externalUrl = externalUrl == null || externalUrl.isBlank() ? DEFAULT_EXTERNAL_URL : externalUrl;
    try {
      URI uri = URI.create(externalUrl);
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw new ConfigException("external_url", externalUrl, "must be an absolute URL");
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigException("external_url", externalUrl, "not a URL");
    }
    admin = admin == null ? AdminSettings.defaults() : admin;
    links = links == null ? Links.none() : links;
    if (stateDir == null || stateDir.isBlank()) {
      stateDir = Path.of(System.getProperty("java.io.tmpdir"), "vigil-alerting").toString();
    }
    if (webConfigFile != null && webConfigFile.isBlank()) {
      throw new ConfigException("web_config_file", webConfigFile, "must be a path");
    }
  }

  /** Parses a YAML configuration, substituting {@code ${VAR:-default}} from {@code env}. */
  public static AlertingConfig load(String yaml, Map<String, String> env) {
    return ConfigLoader.load(yaml, env, AlertingConfig.class);
  }

  /**
   * A configuration built in code, e.g. by {@code vigil demo} after writing its rule file and
   * alertmanager.yml into a folder.
   */
  public static AlertingConfig of(
      KafkaSettings kafka,
      List<Path> ruleFiles,
      Path alertmanagerConfig,
      ElasticsearchSettings elasticsearch,
      String externalUrl,
      AdminSettings admin) {
    return new AlertingConfig(
        kafka,
        ruleFiles.stream().map(Path::toString).toList(),
        alertmanagerConfig.toString(),
        elasticsearch,
        externalUrl,
        admin,
        null,
        null,
        null);
  }

  /** This configuration with Kafka Streams state in {@code dir}. */
  public AlertingConfig withStateDir(Path dir) {
    return new AlertingConfig(
        kafka,
        ruleFiles,
        alertmanagerConfig,
        elasticsearch,
        externalUrl,
        admin,
        dir.toString(),
        links,
        webConfigFile);
  }

  /** This configuration with the API's TLS and authentication read from {@code file}. */
  public AlertingConfig withWebConfigFile(Path file) {
    return new AlertingConfig(
        kafka,
        ruleFiles,
        alertmanagerConfig,
        elasticsearch,
        externalUrl,
        admin,
        stateDir,
        links,
        file.toString());
  }

  /** The rule files as paths. */
  public List<Path> ruleFilePaths() {
    return ruleFiles.stream().map(Path::of).toList();
  }

  /** The Alertmanager configuration as a path. */
  public Path alertmanagerConfigPath() {
    return Path.of(alertmanagerConfig);
  }
}
