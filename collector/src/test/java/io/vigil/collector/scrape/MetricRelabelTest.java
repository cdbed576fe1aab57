package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.collector.CollectorConfig;
import io.vigil.model.config.ConfigLoader;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Prometheus' metric_relabel_configs on the kubelet's real cAdvisor page. */
class MetricRelabelTest {
  private static final String CADVISOR =
      ExpositionTest.fixture("kubelet-metrics-cadvisor-k8s1.35.excerpt.txt");

  private static MetricRelabel rules(String yaml) {
    CollectorConfig config =
        ConfigLoader.load(
            """
            kafka: {bootstrap_servers: localhost:9092}
            scrape:
              jobs:
                - job: kubelet
                  targets: ['10.0.0.5:10250']
                  metric_relabel_configs:
            %s
            """
                .formatted(yaml.indent(8)),
            Map.of(),
            CollectorConfig.class);
    return new MetricRelabel(config.scrape().jobs().get(0).metricRelabelConfigs());
  }

  private static List<Exposition.Family> page() throws Exception {
    return Exposition.parse(CADVISOR, Exposition.Format.TEXT);
  }

  private static Set<String> names(List<Exposition.Family> families) {
    return families.stream().map(Exposition.Family::name).collect(Collectors.toSet());
  }

  @Test
  void keepsOnlyWhatSaturationNeedsOfACadvisorPage() throws Exception {
    MetricRelabel keep =
        rules(
            """
            - source_labels: [__name__]
              regex: container_(cpu_usage_seconds_total|memory_working_set_bytes|spec_cpu_(quota|period)|spec_memory_limit_bytes)|machine_(cpu_cores|memory_bytes)
              action: keep
            """);

    List<Exposition.Family> all = page();
    List<Exposition.Family> kept = keep.apply(all);

    assertThat(names(kept))
        .containsExactlyInAnyOrder(
            "container_cpu_usage_seconds_total",
            "container_memory_working_set_bytes",
            "container_spec_cpu_quota",
            "container_spec_cpu_period",
            "container_spec_memory_limit_bytes",
            "machine_cpu_cores",
            "machine_memory_bytes");
    long before = all.stream().mapToLong(f -> f.samples().size()).sum();
    long after = kept.stream().mapToLong(f -> f.samples().size()).sum();
    assertThat(after).isLessThan(before / 5);
  }

  @Test
  void dropsThePauseContainersAndRewritesAndDropsLabels() throws Exception {
    MetricRelabel rules =
        rules(
            """
            - source_labels: [__name__, image]
              regex: 'container_.*;registry.k8s.io/pause:.*'
              action: drop
            - source_labels: [namespace, pod]
              separator: /
              regex: '(.+)/(.+)'
              target_label: workload_pod
              replacement: '${1}:$2'
            - regex: id|name|image
              action: labeldrop
            """);

    List<Exposition.Family> out = rules.apply(page());

    Exposition.Family cpu =
        out.stream()
            .filter(f -> f.name().equals("container_cpu_usage_seconds_total"))
            .findFirst()
            .orElseThrow();
    assertThat(cpu.samples()).hasSize(6); // 8 in the page, 2 of them pause containers
    assertThat(cpu.samples())
        .allSatisfy(s -> assertThat(s.labels()).doesNotContainKeys("id", "name", "image"));
    assertThat(cpu.samples())
        .anySatisfy(
            s ->
                assertThat(s.labels())
                    .containsEntry("workload_pod", "scraper:e2e-scraper-5f97dc94d8-vkcjl"));
    assertThat(cpu.samples())
        .as("the node's root cgroup has no pod: no label written")
        .anySatisfy(s -> assertThat(s.labels()).doesNotContainKey("workload_pod"));
  }

  @Test
  void aRuleThatCannotWorkIsAnErrorNamingIt() {
    assertThatThrownBy(() -> rules("- {source_labels: [__name__], action: keepp}"))
        .hasMessageContaining("collector.scrape.jobs[kubelet].metric_relabel_configs[0].action")
        .hasMessageContaining("keepp");
    assertThatThrownBy(() -> rules("- {source_labels: [a], regex: '(', action: drop}"))
        .hasMessageContaining("metric_relabel_configs[0].regex")
        .hasMessageContaining("not an RE2 expression");
    assertThatThrownBy(() -> rules("- {source_labels: [a], regex: '(.*)'}"))
        .hasMessageContaining("metric_relabel_configs[0].target_label");
    assertThatThrownBy(() -> rules("- {source_labels: [a], target_label: __name__}"))
        .hasMessageContaining("cannot be renamed");
    assertThatThrownBy(() -> rules("- {action: keep}"))
        .hasMessageContaining("metric_relabel_configs[0].source_labels");
  }
}
