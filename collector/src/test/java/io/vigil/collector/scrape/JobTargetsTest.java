package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.collector.CollectorConfig;
import io.vigil.collector.scrape.Scraper.TargetSpec;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A target's labels before relabelling, and what the labels after it make of the target. */
class JobTargetsTest {

  /** The first job of a configuration whose scrape section is {@code scrape}. */
  private static JobTargets job(String scrape) {
    CollectorConfig config =
        CollectorConfig.load(
            "kafka: {bootstrap_servers: localhost:9092}\nscrape:\n" + scrape.indent(2), Map.of());
    return new JobTargets(config.scrape(), config.scrape().jobs().get(0));
  }

  private static TargetSpec active(JobTargets job, DiscoveredTarget found) {
    JobTargets.Outcome outcome = job.resolve(found);
    assertThat(outcome).isInstanceOf(JobTargets.Active.class);
    return ((JobTargets.Active) outcome).spec();
  }

  @Test
  void aTargetStartsWithPrometheusLabels() {
    JobTargets job =
        job(
            """
            interval: 30s
            timeout: 5s
            jobs:
              - job: node
                targets: ['10.0.0.5:9100']
                path: /probe
                scheme: https
                params: {module: [http_2xx, other]}
                labels: {env: prod, k8s.cluster.name: eu-1}
            """);

    assertThat(job.labels(DiscoveredTarget.at("10.0.0.5:9100")))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "__address__", "10.0.0.5:9100",
                "job", "node",
                "__scheme__", "https",
                "__metrics_path__", "/probe",
                "__scrape_interval__", "30s",
                "__scrape_timeout__", "5s",
                "__param_module", "http_2xx",
                "env", "prod",
                "k8s.cluster.name", "eu-1"));
  }

  @Test
  void withoutRulesATargetIsScrapedAsConfigured() {
    TargetSpec spec =
        active(
            job(
                """
                jobs:
                  - {job: node, targets: ['10.0.0.5:9100'], labels: {env: prod}}
                """),
            DiscoveredTarget.at("10.0.0.5:9100"));

    assertThat(spec.url()).isEqualTo(URI.create("http://10.0.0.5:9100/metrics"));
    assertThat(spec.interval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(spec.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(spec.resource())
        .containsExactly(
            Map.entry("service.name", "node"),
            Map.entry("service.instance.id", "10.0.0.5:9100"),
            Map.entry("server.address", "10.0.0.5"),
            Map.entry("server.port", "9100"),
            Map.entry("url.scheme", "http"),
            Map.entry("env", "prod"));
    assertThat(spec)
        .as("the same as a target made by hand")
        .isEqualTo(
            new TargetSpec(
                "node",
                URI.create("http://10.0.0.5:9100/metrics"),
                Duration.ofSeconds(15),
                Duration.ofSeconds(10),
                spec.resource(),
                null));
  }

  /** Prometheus' blackbox exporter example: the target becomes a parameter and the instance. */
  @Test
  void rulesMakeTheUrlFromAddressPathSchemeAndParams() {
    JobTargets job =
        job(
            """
            jobs:
              - job: blackbox
                targets: ['https://shop.example.com/health']
                path: /probe
                params: {module: [http_2xx]}
                relabel_configs:
                  - source_labels: [__address__]
                    target_label: __param_target
                  - source_labels: [__param_target]
                    target_label: instance
                  - target_label: __address__
                    replacement: 127.0.0.1:9115
                  - {target_label: __param_debug, replacement: 'a b&c'}
            """);

    TargetSpec spec = active(job, DiscoveredTarget.at("https://shop.example.com/health"));

    assertThat(spec.url())
        .isEqualTo(
            URI.create(
                "http://127.0.0.1:9115/probe?debug=a+b%26c&module=http_2xx"
                    + "&target=https%3A%2F%2Fshop.example.com%2Fhealth"));
    assertThat(spec.resource())
        .containsEntry("service.name", "blackbox")
        .containsEntry("service.instance.id", "https://shop.example.com/health")
        .doesNotContainKeys("instance", "__param_target", "__address__");
  }

  @Test
  void rulesShapeTheLabelsThatBecomeResourceAttributes() {
    JobTargets job =
        job(
            """
            jobs:
              - job: node
                targets: ['node-a.internal:9100']
                labels: {env: prod}
                relabel_configs:
                  - {source_labels: [__address__], regex: '([^.]+)\\..*', target_label: node}
                  - {source_labels: [__address__], regex: '(.*):\\d+', target_label: instance}
                  - {target_label: __tmp_ignored, replacement: x}
                  - {target_label: job, replacement: nodes}
                  - {source_labels: [__address__], regex: '(.*):9100', replacement: '$1:9200', target_label: __address__}
                  - {target_label: __metrics_path__, replacement: 'federate'}
                  - {source_labels: [env], target_label: k8s.cluster.name, replacement: 'eu-$1'}
            """);

    TargetSpec spec =
        active(
            job,
            new DiscoveredTarget(
                Map.of("__address__", "node-a.internal:9100"),
                Map.of("k8s.node.name", "from-discovery", "k8s.cluster.name", "overridden")));

    assertThat(spec.url()).isEqualTo(URI.create("http://node-a.internal:9200/federate"));
    assertThat(spec.job()).as("still the job of its settings").isEqualTo("node");
    assertThat(spec.resource())
        .containsEntry("service.name", "nodes")
        .containsEntry("service.instance.id", "node-a.internal")
        .containsEntry("server.address", "node-a.internal")
        .doesNotContainKey("server.port")
        .containsEntry("node", "node-a")
        .containsEntry("env", "prod")
        .containsEntry("k8s.node.name", "from-discovery")
        .containsEntry("k8s.cluster.name", "eu-prod")
        .doesNotContainKeys("__tmp_ignored", "job", "instance");
  }

  @Test
  void rulesCanSetATargetsIntervalAndTimeout() {
    String jobs =
        """
        interval: 15s
        jobs:
          - job: slow
            targets: ['a:1', 'b:1', 'c:1']
            relabel_configs:
              - {source_labels: [__address__], regex: 'a:1', target_label: __scrape_interval__, replacement: 1m}
              - {source_labels: [__address__], regex: 'b:1', target_label: __scrape_timeout__, replacement: 20s}
              - {source_labels: [__address__], regex: 'c:1', target_label: __scrape_interval__, replacement: soon}
        """;
    JobTargets job = job(jobs);

    TargetSpec a = active(job, DiscoveredTarget.at("a:1"));
    assertThat(a.interval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(a.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(job.resolve(DiscoveredTarget.at("b:1")))
        .as("a timeout longer than the interval")
        .isInstanceOfSatisfying(
            JobTargets.Invalid.class,
            i -> {
              assertThat(i.reason()).isEqualTo("invalid_interval");
              assertThat(i.message()).contains("b:1", "15s", "20s");
            });
    assertThat(job.resolve(DiscoveredTarget.at("c:1")))
        .isInstanceOfSatisfying(
            JobTargets.Invalid.class, i -> assertThat(i.reason()).isEqualTo("invalid_interval"));
  }

  @Test
  void droppedTargetsAndTargetsLeftWithoutAnAddressAreNotScraped() {
    JobTargets job =
        job(
            """
            jobs:
              - job: j
                targets: ['keep:1', 'drop:1', 'gone:1', 'empty:1', 'ftp:1']
                relabel_configs:
                  - {source_labels: [__address__], regex: 'drop:.*', action: drop}
                  - {source_labels: [__address__], regex: 'gone:1', target_label: __address__, replacement: ''}
                  - {source_labels: [__address__], regex: 'empty:1', target_label: __tmp_empty, replacement: 'yes'}
                  - {source_labels: [__tmp_empty], regex: 'yes', action: drop}
                  - {source_labels: [__address__], regex: 'ftp:1', target_label: __scheme__, replacement: ftp}
            """);

    assertThat(job.resolve(DiscoveredTarget.at("keep:1"))).isInstanceOf(JobTargets.Active.class);
    assertThat(job.resolve(DiscoveredTarget.at("drop:1"))).isInstanceOf(JobTargets.Dropped.class);
    assertThat(job.resolve(DiscoveredTarget.at("empty:1"))).isInstanceOf(JobTargets.Dropped.class);
    assertThat(job.resolve(DiscoveredTarget.at("gone:1")))
        .isInstanceOfSatisfying(
            JobTargets.Invalid.class, i -> assertThat(i.reason()).isEqualTo("no_address"));
    assertThat(job.resolve(DiscoveredTarget.at("ftp:1")))
        .isInstanceOfSatisfying(
            JobTargets.Invalid.class, i -> assertThat(i.reason()).isEqualTo("invalid_scheme"));
  }

  @Test
  void aLabelSetLeftEmptyHasNoAddress() {
    JobTargets job =
        job(
            """
            jobs:
              - job: j
                targets: ['a:1']
                relabel_configs: [{regex: '.*', action: labeldrop}]
            """);

    assertThat(job.resolve(DiscoveredTarget.at("a:1")))
        .isInstanceOfSatisfying(
            JobTargets.Invalid.class, i -> assertThat(i.reason()).isEqualTo("no_address"));
  }

  @Test
  void anIpv6AddressIsSplitIntoHostAndPort() {
    TargetSpec spec =
        active(
            job("jobs: [{job: j, targets: ['[fd00::1]:9100']}]"),
            DiscoveredTarget.at("[fd00::1]:9100"));

    assertThat(spec.url()).isEqualTo(URI.create("http://[fd00::1]:9100/metrics"));
    assertThat(spec.resource())
        .containsEntry("server.address", "fd00::1")
        .containsEntry("server.port", "9100");
  }
}
