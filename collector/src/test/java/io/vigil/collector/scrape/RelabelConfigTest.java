package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.collector.CollectorConfig;
import io.vigil.model.config.ConfigException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** relabel_configs and metric_relabel_configs as an operator writes them, right and wrong. */
class RelabelConfigTest {

  private static CollectorConfig load(String key, String rules) {
    return CollectorConfig.load(
        """
        kafka: {bootstrap_servers: localhost:9092}
        scrape:
          jobs:
            - job: pods
              targets: ['10.0.0.5:9100']
              %s:
        %s
        """
            .formatted(key, rules.indent(8)),
        Map.of());
  }

  private static void refused(String rules, String key, String... words) {
    assertThatThrownBy(() -> load("relabel_configs", rules))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("collector.scrape.jobs[pods].relabel_configs[0]." + key + ":")
        .hasMessageContainingAll(words);
  }

  @Test
  void prometheusUsualKubernetesPodsRulesLoadWithTheirDefaults() {
    CollectorConfig config =
        load(
            "relabel_configs",
            """
            - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
              action: keep
              regex: true
            - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
              action: replace
              target_label: __metrics_path__
              regex: (.+)
            - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
              action: replace
              regex: ([^:]+)(?::\\d+)?;(\\d+)
              replacement: $1:$2
              target_label: __address__
            - action: labelmap
              regex: __meta_kubernetes_pod_label_(.+)
            - source_labels: [__meta_kubernetes_namespace]
              action: replace
              target_label: kubernetes_namespace
            - source_labels: [__address__]
              modulus: 4
              target_label: __tmp_hash
              action: hashmod
            """);

    List<RelabelConfig> rules = config.scrape().jobs().get(0).relabelConfigs();
    assertThat(rules).hasSize(6);
    assertThat(rules.get(0))
        .isEqualTo(
            new RelabelConfig(
                List.of("__meta_kubernetes_pod_annotation_prometheus_io_scrape"),
                ";",
                "true",
                null,
                null,
                "$1",
                "keep"));
    assertThat(rules.get(3).replacement()).isEqualTo("$1");
    assertThat(rules.get(4).regex()).isEqualTo("(.*)");
    assertThat(rules.get(5).modulus()).isEqualTo(4L);
  }

  @Test
  void aRuleThatCannotWorkIsRefusedNamingItsKey() {
    refused("- {source_labels: [a], action: keepp}", "action", "'keepp'", "hashmod");
    refused("- {source_labels: [a], regex: '(', action: drop}", "regex", "not an RE2 expression");
    refused("- {source_labels: [a], regex: '(.*)'}", "target_label", "replace needs");
    refused("- {source_labels: [a], target_label: b, action: hashmod}", "modulus", "modulus > 0");
    refused(
        "- {source_labels: [a], target_label: b, modulus: 0, action: hashmod}", "modulus", "'0'");
    refused("- {source_labels: [a], action: lowercase}", "target_label", "lowercase needs");
    refused("- {source_labels: [a], action: keepequal}", "target_label", "keepequal needs");
    refused(
        "- {source_labels: [a], target_label: b, regex: 'x', action: dropequal}",
        "regex",
        "compares values");
    refused(
        "- {source_labels: [a], target_label: b, replacement: x, action: uppercase}",
        "replacement",
        "takes no replacement");
    refused("- {source_labels: [a], regex: b, action: labeldrop}", "source_labels", "regex only");
    refused("- {target_label: a, regex: b, action: labelkeep}", "target_label", "regex only");
    refused("- {regex: b, modulus: 3, action: labelkeep}", "modulus", "takes no modulus");
    refused("- {regex: '(.*)', replacement: '', action: labelmap}", "replacement", "name");
  }

  @Test
  void metricRelabelConfigsKeepTheirRestrictions() {
    assertThatThrownBy(
            () -> load("metric_relabel_configs", "- {source_labels: [a], target_label: __name__}"))
        .hasMessageContaining("metric_relabel_configs[0].target_label")
        .hasMessageContaining("cannot be renamed");
    assertThatThrownBy(
            () ->
                load(
                    "metric_relabel_configs",
                    "- {source_labels: [a], target_label: __name__, action: uppercase}"))
        .hasMessageContaining("cannot be renamed");
    assertThatThrownBy(() -> load("metric_relabel_configs", "- {action: keep}"))
        .hasMessageContaining("metric_relabel_configs[0].source_labels");
    assertThat(load("relabel_configs", "- {action: keep}").scrape().jobs().get(0).relabelConfigs())
        .as("a target rule as Prometheus takes it")
        .hasSize(1);
    assertThat(
            load(
                    "metric_relabel_configs",
                    "- {source_labels: [pod], target_label: pod_shard, modulus: 8, action: hashmod}")
                .scrape()
                .jobs()
                .get(0)
                .metricRelabelConfigs())
        .as("every action works on samples too")
        .hasSize(1);
  }

  @Test
  void anUnknownKeyInARuleIsRefused() {
    assertThatThrownBy(() -> load("relabel_configs", "- {source_label: [a], action: keep}"))
        .hasMessageContaining("relabel_configs[0].source_label")
        .hasMessageContaining("unknown key");
  }
}
