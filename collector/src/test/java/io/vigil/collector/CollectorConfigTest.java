package io.vigil.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.collector.otlp.OtlpHttpSettings;
import io.vigil.collector.scrape.KubernetesSdConfig;
import io.vigil.model.config.ConfigException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CollectorConfigTest {

  @Test
  void emptyFileGivesTheDocumentedDefaults() {
    CollectorConfig config = CollectorConfig.load("", Map.of());

    assertThat(config).isEqualTo(CollectorConfig.defaults());
    OtlpHttpSettings http = config.otlp().http();
    assertThat(http.enabled()).isTrue();
    assertThat(http.host()).isEqualTo("0.0.0.0");
    assertThat(http.port()).isEqualTo(4318);
    assertThat(http.maxBodyBytes()).isEqualTo(16_777_216);
    assertThat(http.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.kafka().bootstrapServers()).isEqualTo("127.0.0.1:9092");
    assertThat(config.admin().host()).isEqualTo("0.0.0.0");
    assertThat(config.adminPort()).isEqualTo(8888);
  }

  @Test
  void readsEveryKeyWithEnvironmentSubstitution() {
    String yaml =
        """
        kafka:
          bootstrap_servers: ${KAFKA:-localhost:9092}
          topics: {partitions: 6}
          overrides: {security.protocol: SSL}
        otlp:
          http:
            enabled: false
            host: 127.0.0.1
            port: ${OTLP_PORT:-4318}
            max_body_bytes: 1024
            request_timeout: 2500ms
        admin: {host: 127.0.0.1, port: 0}
        """;

    CollectorConfig config =
        CollectorConfig.load(yaml, Map.of("KAFKA", "kafka-0:9093", "OTLP_PORT", "14318"));

    assertThat(config.kafka().bootstrapServers()).isEqualTo("kafka-0:9093");
    assertThat(config.kafka().topics().partitions()).isEqualTo(6);
    assertThat(config.kafka().overrides()).containsEntry("security.protocol", "SSL");
    assertThat(config.otlp().http())
        .isEqualTo(
            new OtlpHttpSettings(false, "127.0.0.1", 14318, 1024, Duration.ofMillis(2500), null));
    assertThat(config.adminPort()).isZero();
  }

  @Test
  void rejectsPortOutOfRangeNamingKeyAndValue() {
    assertThatThrownBy(() -> CollectorConfig.load("otlp: {http: {port: 70000}}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("collector.otlp.http.port: must be in 0..65535, was '70000'");
  }

  @Test
  void rejectsNonPositiveBodyLimitAndTimeout() {
    assertThatThrownBy(() -> CollectorConfig.load("otlp: {http: {max_body_bytes: 0}}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("collector.otlp.http.max_body_bytes: must be >= 1, was '0'");
    assertThatThrownBy(() -> CollectorConfig.load("otlp: {http: {request_timeout: 0s}}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("collector.otlp.http.request_timeout: must be > 0");
  }

  @Test
  void readsASendersOwnBodyLimitAndRejectsABadOne() {
    CollectorConfig config =
        CollectorConfig.load(
            "otlp: {rate_limit: {max_body_bytes: {checkout: 65536}}, http: {max_body_bytes: 1024}}",
            Map.of());
    assertThat(config.otlp().rateLimit().enabled()).isTrue();
    assertThat(config.otlp().rateLimit().maxBodyBytesOf("checkout", 1 << 20)).isEqualTo(65536);
    assertThat(config.otlp().rateLimit().maxBodyBytesOf("checkout", 1024))
        .as("never above the listener's")
        .isEqualTo(1024);
    assertThat(config.otlp().rateLimit().maxBodyBytesOf("other", 1024)).isEqualTo(1024);
    assertThatThrownBy(
            () -> CollectorConfig.load("otlp: {rate_limit: {max_body_bytes: {cart: 0}}}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "collector.otlp.rate_limit.max_body_bytes.cart: must be 1..2147483647, was '0'");
  }

  @Test
  void rejectsMalformedDurationNamingTheKey() {
    assertThatThrownBy(
            () -> CollectorConfig.load("otlp: {http: {request_timeout: soon}}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("request_timeout")
        .hasMessageContaining("soon");
  }

  @Test
  void readsBearerTokensFromTheConfigurationAndAFileWithoutShowingThem(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = dir.resolve("tokens");
    java.nio.file.Files.writeString(file, "# sender token\npayments  p-token\n\n");
    CollectorConfig config =
        CollectorConfig.load(
            "otlp: {auth: {bearer_tokens: {checkout: ${TOKEN}}, bearer_tokens_file: '%s'}}"
                .formatted(file),
            Map.of("TOKEN", "c-token"));

    assertThat(config.otlp().auth().tokens())
        .containsExactlyInAnyOrderEntriesOf(Map.of("checkout", "c-token", "payments", "p-token"));

    java.nio.file.Files.writeString(file, "payments p-token extra-secret\n");
    assertThatThrownBy(() -> config.otlp().auth().tokens())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("line 1: expected '<sender> <token>'")
        .hasMessageNotContaining("extra-secret");
  }

  @Test
  void theCollectorsResourceGoesUnderTheLogFilesOwn() {
    CollectorConfig config =
        CollectorConfig.load(
            """
            resource: {k8s.cluster.name: prod-eu, deployment.environment: production}
            logs: {resource: {deployment.environment: canary, k8s.node.name: n1}}
            """,
            Map.of());

    assertThat(config.resource())
        .containsExactly(
            Map.entry("k8s.cluster.name", "prod-eu"),
            Map.entry("deployment.environment", "production"));
    assertThat(config.logs().withBaseResource(config.resource()).resource())
        .containsOnly(
            Map.entry("k8s.cluster.name", "prod-eu"),
            Map.entry("deployment.environment", "canary"),
            Map.entry("k8s.node.name", "n1"));
    assertThat(CollectorConfig.defaults().resource()).isEmpty();
    assertThatThrownBy(() -> CollectorConfig.load("resource: {k8s.cluster.name: ''}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("collector.resource.k8s.cluster.name");
  }

  @Test
  void rejectsUnknownKeyNamingIt() {
    assertThatThrownBy(() -> CollectorConfig.load("otlp: {http: {prot: 4318}}", Map.of()))
        .isInstanceOfSatisfying(
            ConfigException.class, e -> assertThat(e.key()).isEqualTo("otlp.http.prot"))
        .hasMessageContaining("unknown key");
  }

  @Test
  void readsAKubernetesJobAsPrometheusWritesIt() {
    CollectorConfig config =
        CollectorConfig.load(
            """
            kubernetes: {enabled: true, node_name: node-a}
            scrape:
              enabled: true
              jobs:
                - job: kubernetes-pods
                  kubernetes_sd_configs: [{role: pod}]
                  relabel_configs:
                    - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
                      action: keep
                      regex: true
                - job: kubernetes-service-endpoints
                  kubernetes_sd_configs: [{role: endpointslice}]
            """,
            Map.of());

    assertThat(config.scrape().jobs().get(0).discovers("pod")).isTrue();
    assertThat(config.scrape().jobs().get(0).targets()).isEmpty();
    assertThat(config.scrape().jobs().get(1).discovers("endpointslice")).isTrue();
    assertThat(config.scrape().jobs().get(1).relabelConfigs())
        .as("none: the prometheus.io annotations choose")
        .isEmpty();
  }

  @Test
  void readsKubernetesSdOptionsAsPrometheusWritesThem() {
    CollectorConfig config =
        CollectorConfig.load(
            """
            kubernetes: {enabled: true}
            scrape:
              enabled: true
              jobs:
                - job: kubernetes-service-endpoints
                  kubernetes_sd_configs:
                    - role: endpoints
                      namespaces: {names: [shop, payments], own_namespace: true}
                      selectors:
                        - {role: service, label: "app.kubernetes.io/part-of=shop"}
                        - {role: pod, field: "status.phase=Running,spec.nodeName!=spare"}
                      attach_metadata: {node: true}
            """,
            Map.of());

    KubernetesSdConfig sd = config.scrape().jobs().get(0).kubernetesSdConfigs().get(0);
    assertThat(sd.role()).isEqualTo("endpoints");
    assertThat(sd.namespaces().names()).containsExactly("shop", "payments");
    assertThat(sd.namespaces().ownNamespace()).isTrue();
    assertThat(sd.selector("service").label()).isEqualTo("app.kubernetes.io/part-of=shop");
    assertThat(KubernetesSdConfig.Selector.fields(sd.selector("pod").field()))
        .containsExactly(
            Map.entry("status.phase", "Running"), Map.entry("spec.nodeName", "!spare"));
    assertThat(sd.selector("endpoints").label()).as("none given: all").isNull();
    assertThat(sd.attachMetadata().node()).isTrue();
  }

  @Test
  void rejectsKubernetesSdOptionsItCannotHonour() {
    String job =
        """
        kubernetes: {enabled: true}
        scrape:
          jobs: [{job: pods, kubernetes_sd_configs: [%s]}]
        """;
    assertThatThrownBy(
            () ->
                CollectorConfig.load(
                    job.formatted("{role: pod, api_server: 'https://10.0.0.1'}"), Map.of()))
        .as("the collector's connection is kubernetes.*: Prometheus' own is refused, not ignored")
        .hasMessageContaining("kubernetes_sd_configs")
        .hasMessageContaining("api_server")
        .hasMessageContaining("unknown key");
    assertThatThrownBy(
            () ->
                CollectorConfig.load(
                    job.formatted("{role: node, kubeconfig_file: /root/.kube/config}"), Map.of()))
        .hasMessageContaining("kubeconfig_file")
        .hasMessageContaining("unknown key");
    assertThatThrownBy(
            () ->
                CollectorConfig.load(
                    job.formatted("{role: pod, selectors: [{role: service, label: a=b}]}"),
                    Map.of()))
        .hasMessageStartingWith(
            "collector.scrape.jobs[pods].kubernetes_sd_configs[0].selectors[0].role:")
        .hasMessageContaining("pod role supports only pod selectors");
    assertThatThrownBy(
            () ->
                CollectorConfig.load(
                    job.formatted(
                        "{role: endpoints, selectors: [{role: pod, label: a=b}, {role: pod}]}"),
                    Map.of()))
        .hasMessageStartingWith(
            "collector.scrape.jobs[pods].kubernetes_sd_configs[0].selectors[1].role:")
        .hasMessageContaining("duplicated selector role");
    assertThatThrownBy(
            () ->
                CollectorConfig.load(
                    job.formatted(
                        "{role: node, selectors: [{role: node, field: 'metadata.name'}]}"),
                    Map.of()))
        .hasMessageStartingWith(
            "collector.scrape.jobs[pods].kubernetes_sd_configs[0].selectors[0].field:")
        .hasMessageContaining("'metadata.name'");
  }

  @Test
  void rejectsKubernetesJobsThatCannotWork() {
    String job =
        """
        kubernetes: {enabled: %s, scrape_pods: true}
        scrape:
          jobs: [{job: %s, kubernetes_sd_configs: [{role: %s}]}]
        """;
    assertThatThrownBy(() -> CollectorConfig.load(job.formatted(true, "pods", "gateway"), Map.of()))
        .hasMessageStartingWith("collector.scrape.jobs[pods].kubernetes_sd_configs[0].role:")
        .hasMessageContaining("pod, endpointslice, endpoints, service, node, ingress")
        .hasMessageContaining("'gateway'");
    assertThatThrownBy(() -> CollectorConfig.load(job.formatted(false, "pods", "pod"), Map.of()))
        .hasMessageStartingWith("collector.scrape.jobs[pods].kubernetes_sd_configs:")
        .hasMessageContaining("kubernetes.enabled");
    assertThatThrownBy(
            () -> CollectorConfig.load(job.formatted(true, "kubernetes-pods", "pod"), Map.of()))
        .hasMessageStartingWith("collector.kubernetes.scrape_job:")
        .hasMessageContaining("also a job of scrape.jobs");
    assertThatThrownBy(() -> CollectorConfig.load("scrape: {jobs: [{job: empty}]}", Map.of()))
        .hasMessageStartingWith("collector.scrape.jobs[empty].targets:")
        .hasMessageContaining("kubernetes_sd_configs");
    assertThatThrownBy(
            () ->
                CollectorConfig.load(
                    "scrape: {jobs: [{job: a, targets: ['h:1']}, {job: a, targets: ['h:2']}]}",
                    Map.of()))
        .hasMessageContaining("job names must be unique")
        .hasMessageContaining("'a'");
    assertThatThrownBy(
            () -> CollectorConfig.load("scrape: {jobs: [{job: a, targets: ['h']}]}", Map.of()))
        .as("without rules, a target is an address")
        .hasMessageContaining("must be host:port");
  }
}
