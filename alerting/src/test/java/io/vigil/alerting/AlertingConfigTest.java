package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.elasticsearch.ElasticsearchSettings;
import io.vigil.model.config.ConfigException;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.runtime.AdminSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertingConfigTest {
  @Test
  void loadsYamlWithDefaultsAndEnvironment() {
    AlertingConfig config =
        AlertingConfig.load(
            """
            kafka: {bootstrap_servers: "${KAFKA:-127.0.0.1:9092}"}
            rule_files: [rules/golden-signals.yaml]
            alertmanager_config: alertmanager.yml
            elasticsearch: {url: http://es:9200, username: elastic, password: "${ES_PASSWORD}"}
            """,
            Map.of("KAFKA", "broker:9093", "ES_PASSWORD", "s3cret"));

    assertThat(config.kafka().bootstrapServers()).isEqualTo("broker:9093");
    assertThat(config.ruleFilePaths()).containsExactly(Path.of("rules/golden-signals.yaml"));
    assertThat(config.alertmanagerConfigPath()).isEqualTo(Path.of("alertmanager.yml"));
    assertThat(config.elasticsearch().password().reveal()).isEqualTo("s3cret");
    assertThat(config.externalUrl()).isEqualTo("http://localhost:8890");
    assertThat(config.admin().portOr(AlertingConfig.DEFAULT_ADMIN_PORT)).isEqualTo(8890);
    assertThat(config.toString()).doesNotContain("s3cret");
  }

  @Test
  void requiresRuleFilesAndRouting() {
    assertThatThrownBy(() -> AlertingConfig.load("alertmanager_config: am.yml", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("rule_files: at least one rule file is required");
    assertThatThrownBy(() -> AlertingConfig.load("rule_files: [r.yaml]", Map.of()))
        .hasMessageStartingWith("alertmanager_config: path of an alertmanager.yml is required");
  }

  @Test
  void rejectsUnknownKeysAndBadUrls() {
    assertThatThrownBy(
            () ->
                AlertingConfig.load("rule_files: [r]\nalertmanager_config: a\nrules: []", Map.of()))
        .hasMessageStartingWith("rules: unknown key");
    assertThatThrownBy(
            () ->
                AlertingConfig.load(
                    "rule_files: [r]\nalertmanager_config: a\nelasticsearch: {url: 'es:9200'}",
                    Map.of()))
        .hasMessageStartingWith("elasticsearch.url: must be http(s)://host:port");
  }

  @Test
  void canBeBuiltInCode() {
    AlertingConfig config =
        AlertingConfig.of(
            KafkaSettings.of("127.0.0.1:19092"),
            List.of(Path.of("/tmp/demo/rules.yaml")),
            Path.of("/tmp/demo/alertmanager.yml"),
            ElasticsearchSettings.of("http://127.0.0.1:19200"),
            "http://localhost:18890",
            new AdminSettings("127.0.0.1", 0));

    assertThat(config.ruleFiles()).containsExactly("/tmp/demo/rules.yaml");
    assertThat(config.admin().port()).isZero();
  }

  @Test
  void webConfigFileIsOptionalAndMustBeAPath() {
    String base = "rule_files: [r]\nalertmanager_config: a\n";
    assertThat(AlertingConfig.load(base, Map.of()).webConfigFile()).isNull();
    assertThat(AlertingConfig.load(base + "web_config_file: web.yml", Map.of()).webConfigFile())
        .isEqualTo("web.yml");
    assertThatThrownBy(() -> AlertingConfig.load(base + "web_config_file: ' '", Map.of()))
        .hasMessageStartingWith("web_config_file: must be a path");
  }

  @Test
  void aBadWebConfigStopsTheStartBeforeKafkaNamingFileAndKey(@TempDir Path dir) throws Exception {
    Path rules =
        Files.writeString(
            dir.resolve("rules.yaml"),
            "groups: [{name: g, rules: [{alert: A, expr: errors.ratio > 0.05}]}]\n");
    Path routing =
        Files.writeString(
            dir.resolve("alertmanager.yml"), "route: {receiver: r}\nreceivers: [{name: r}]\n");
    Path web =
        Files.writeString(
            dir.resolve("web.yml"),
            "tls_server_config: {cert_file: missing.crt, key_file: missing.key}\n");
    AlertingConfig config =
        AlertingConfig.of(
                KafkaSettings.of("127.0.0.1:1"),
                List.of(rules),
                routing,
                ElasticsearchSettings.of("http://127.0.0.1:1"),
                null,
                new AdminSettings("127.0.0.1", 0))
            .withWebConfigFile(web);

    assertThatThrownBy(() -> AlertingService.start(config, new PrometheusRegistry()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("web_config_file: " + web)
        .hasMessageContaining("tls_server_config.cert_file: cannot read")
        .hasMessageContaining("missing.crt");
  }
}
