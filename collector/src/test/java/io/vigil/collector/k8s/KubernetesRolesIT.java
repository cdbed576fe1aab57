package io.vigil.collector.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.vigil.collector.CollectorConfig;
import io.vigil.collector.scrape.Scraper;
import io.vigil.collector.scrape.Scraper.TargetSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Roles {@code node}, {@code service}, {@code endpoints} and {@code ingress}, and the options
 * {@code namespaces}, {@code selectors} and {@code attach_metadata}, through fabric8 informers,
 * with Prometheus' own example jobs ({@code fixtures/prometheus/kubernetes-sd-jobs.yaml}): the
 * targets the scraper is given, after the jobs' rules, as a user would see them. No Kubernetes API
 * server can run on the build machine: the API is fabric8's {@code kubernetes-server-mock} in CRUD
 * mode (objects created through the client are listed and watched back; it applies label selectors,
 * not field selectors). The scrape interval is an hour: the targets are looked at, not scraped.
 */
class KubernetesRolesIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private KubernetesMockServer server;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  private static String fixture(String name) {
    try (InputStream in = KubernetesRolesIT.class.getClassLoader().getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A collector configuration with {@code jobs} (YAML, a list) under scrape.jobs. */
  private static CollectorConfig config(String jobs) {
    String indented =
        jobs.lines().map(line -> "    " + line).collect(Collectors.joining("\n", "", "\n"));
    return CollectorConfig.load(
        """
        kafka: {bootstrap_servers: localhost:9092}
        kubernetes: {enabled: true}
        scrape:
          enabled: true
          interval: 1h
          timeout: 10s
          jobs:
        """
            + indented,
        Map.of());
  }

  private static Scraper scraper(CollectorConfig config) {
    return Scraper.start(
        config.scrape(),
        records -> CompletableFuture.completedFuture(null),
        new PrometheusRegistry());
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(20); // polling the informers' caches, with a deadline
    }
  }

  /** The URLs the scraper has for {@code job}, sorted. */
  private static Set<String> urls(Scraper scraper, String job) {
    return scraper.specs().stream()
        .filter(s -> s.job().equals(job))
        .map(s -> s.url().toString())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** The one target of {@code job} at {@code url}. */
  private static TargetSpec target(Scraper scraper, String job, String url) {
    List<TargetSpec> found =
        scraper.specs().stream()
            .filter(s -> s.job().equals(job) && s.url().toString().equals(url))
            .toList();
    assertThat(found).as(job + " " + url).hasSize(1);
    return found.get(0);
  }

  private void node(String name, String ip, String zone) {
    client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("kubernetes.io/hostname", name)
                .addToLabels("topology.kubernetes.io/zone", zone)
                .endMetadata()
                .withNewSpec()
                .withProviderID("kind://docker/kind/" + name)
                .endSpec()
                .withNewStatus()
                .addNewAddress()
                .withType("InternalIP")
                .withAddress(ip)
                .endAddress()
                .addNewAddress()
                .withType("Hostname")
                .withAddress(name)
                .endAddress()
                .withNewDaemonEndpoints()
                .withNewKubeletEndpoint()
                .withPort(10250)
                .endKubeletEndpoint()
                .endDaemonEndpoints()
                .endStatus()
                .build())
        .create();
  }

  private void service(String namespace, String name, Map<String, String> labels, int... ports) {
    ServiceBuilder service =
        new ServiceBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .withType("ClusterIP")
            .withClusterIP("10.96.0." + (ports[0] % 200))
            .endSpec();
    for (int port : ports) {
      service.editSpec().addNewPort().withName("p" + port).withPort(port).endPort().endSpec();
    }
    client.services().inNamespace(namespace).resource(service.build()).create();
  }

  /** The cluster of Prometheus' example: an API server, kube-state-metrics, a shop. */
  private void cluster() {
    node("kind-control-plane", "172.18.0.2", "eu-west-1a");
    node("kind-worker", "172.18.0.3", "eu-west-1b");
    service(
        "default", "kubernetes", Map.of("component", "apiserver", "provider", "kubernetes"), 443);
    client
        .services()
        .inNamespace("default")
        .withName("kubernetes")
        .edit(
            s ->
                new ServiceBuilder(s)
                    .editSpec()
                    .editFirstPort()
                    .withName("https")
                    .endPort()
                    .endSpec()
                    .build());
    client
        .endpoints()
        .inNamespace("default")
        .resource(
            new EndpointsBuilder()
                .withNewMetadata()
                .withName("kubernetes")
                .withNamespace("default")
                .endMetadata()
                .addNewSubset()
                .addNewAddress()
                .withIp("172.18.0.2")
                .endAddress()
                .addNewPort()
                .withName("https")
                .withPort(6443)
                .withProtocol("TCP")
                .endPort()
                .endSubset()
                .build())
        .create();
    service(
        "monitoring",
        "kube-state-metrics",
        Map.of("app.kubernetes.io/name", "kube-state-metrics"),
        8080,
        8081);
    client
        .pods()
        .inNamespace("monitoring")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("kube-state-metrics-0")
                .withNamespace("monitoring")
                .addToLabels("app.kubernetes.io/name", "kube-state-metrics")
                .endMetadata()
                .withNewSpec()
                .withNodeName("kind-worker")
                .addNewContainer()
                .withName("kube-state-metrics")
                .withImage("registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0")
                .addNewPort()
                .withName("http-metrics")
                .withContainerPort(8080)
                .endPort()
                .addNewPort()
                .withName("telemetry")
                .withContainerPort(8081)
                .endPort()
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP("10.244.1.5")
                .endStatus()
                .build())
        .create();
    client
        .endpoints()
        .inNamespace("monitoring")
        .resource(
            new EndpointsBuilder()
                .withNewMetadata()
                .withName("kube-state-metrics")
                .withNamespace("monitoring")
                .endMetadata()
                .addNewSubset()
                .addNewAddress()
                .withIp("10.244.1.5")
                .withNodeName("kind-worker")
                .withNewTargetRef()
                .withKind("Pod")
                .withName("kube-state-metrics-0")
                .withNamespace("monitoring")
                .endTargetRef()
                .endAddress()
                .addNewPort()
                .withName("http-metrics")
                .withPort(8080)
                .withProtocol("TCP")
                .endPort()
                .endSubset()
                .build())
        .create();
    service("shop", "checkout", Map.of("app", "checkout"), 80);
    client
        .network()
        .v1()
        .ingresses()
        .inNamespace("shop")
        .resource(
            new IngressBuilder()
                .withNewMetadata()
                .withName("shop")
                .withNamespace("shop")
                .addToLabels("app", "shop")
                .endMetadata()
                .withNewSpec()
                .withIngressClassName("nginx")
                .addNewTl()
                .withHosts("shop.example.com")
                .endTl()
                .addNewRule()
                .withHost("shop.example.com")
                .withNewHttp()
                .addNewPath()
                .withPath("/")
                .withPathType("Prefix")
                .endPath()
                .addNewPath()
                .withPath("/api")
                .withPathType("Prefix")
                .endPath()
                .endHttp()
                .endRule()
                .endSpec()
                .build())
        .create();
  }

  /**
   * A rollout changes many pods within a second: the job's targets are worked out again once the
   * changes settle, not once per change (each time walks every pod of the role).
   */
  @Test
  void aBurstOfChangesIsWorkedOutOnceItSettles() throws Exception {
    CollectorConfig config = config("- job: pods\n  kubernetes_sd_configs: [{role: pod}]");
    PrometheusRegistry registry = new PrometheusRegistry();
    try (KubernetesDiscovery discovery =
            KubernetesDiscovery.start(config.kubernetes(), config.scrape(), client);
        Scraper scraper =
            Scraper.start(
                config.scrape(), records -> CompletableFuture.completedFuture(null), registry)) {
      discovery.feed(scraper);
      for (int i = 0; i < 40; i++) {
        client
            .pods()
            .inNamespace("shop")
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("web-" + i)
                    .withNamespace("shop")
                    .addToAnnotations("prometheus.io/scrape", "true")
                    .addToAnnotations("prometheus.io/port", "8080")
                    .endMetadata()
                    .withNewSpec()
                    .withNodeName("kind-worker")
                    .endSpec()
                    .withNewStatus()
                    .withPhase("Running")
                    .withPodIP("10.244.2." + (i + 1))
                    .endStatus()
                    .build())
            .create();
      }
      await(() -> urls(scraper, "pods").size() == 40, "the 40 pods scraped");

      double updates =
          registry.scrape().stream()
              .filter(m -> m.getMetadata().getPrometheusName().equals("vigil_collector_sd_updates"))
              .flatMap(m -> ((CounterSnapshot) m).getDataPoints().stream())
              .filter(d -> "pods".equals(d.getLabels().get("job")))
              .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue)
              .sum();
      assertThat(updates)
          .as("target lists worked out for 40 pod creations (the first list included)")
          .isBetween(2.0, 20.0); // one per change would be 41 or more
    }
  }

  @Test
  void prometheusExampleJobsFindTheirTargetsAndFollowChanges() throws Exception {
    cluster();
    CollectorConfig config = config(fixture("fixtures/prometheus/kubernetes-sd-jobs.yaml"));
    try (KubernetesDiscovery discovery =
            KubernetesDiscovery.start(config.kubernetes(), config.scrape(), client);
        Scraper scraper = scraper(config)) {
      discovery.feed(scraper);

      assertThat(discovery.watchedKinds())
          .as("the kinds the jobs' roles read, nothing else")
          .containsExactly("endpoints", "ingresses", "nodes", "services");

      assertThat(urls(scraper, "kubernetes-apiservers"))
          .as("the keep rule leaves the default/kubernetes https endpoint")
          .containsExactly("https://172.18.0.2:6443/metrics");

      assertThat(urls(scraper, "kubernetes-nodes"))
          .containsExactly("https://172.18.0.2:10250/metrics", "https://172.18.0.3:10250/metrics");
      assertThat(urls(scraper, "kubernetes-cadvisor"))
          .containsExactly(
              "https://172.18.0.2:10250/metrics/cadvisor",
              "https://172.18.0.3:10250/metrics/cadvisor");
      assertThat(target(scraper, "kubernetes-nodes", "https://172.18.0.3:10250/metrics").resource())
          .containsEntry("service.name", "kubernetes-nodes")
          .as("instance: the node's name, as Prometheus sets it")
          .containsEntry("service.instance.id", "kind-worker")
          .containsEntry("kubernetes_io_hostname", "kind-worker")
          .containsEntry("topology_kubernetes_io_zone", "eu-west-1b")
          .containsEntry("k8s.node.name", "kind-worker");

      assertThat(urls(scraper, "kubernetes-service-endpoints"))
          .as("each endpoint address and port, and the pod's container port no endpoint has")
          .containsExactly(
              "http://10.244.1.5:8080/metrics",
              "http://10.244.1.5:8081/metrics",
              "http://172.18.0.2:6443/metrics");
      assertThat(
              target(scraper, "kubernetes-service-endpoints", "http://10.244.1.5:8080/metrics")
                  .resource())
          .containsEntry("service.instance.id", "10.244.1.5:8080")
          .containsEntry("app_kubernetes_io_name", "kube-state-metrics")
          .containsEntry("kubernetes_namespace", "monitoring")
          .containsEntry("kubernetes_name", "kube-state-metrics")
          .containsEntry("k8s.pod.name", "kube-state-metrics-0")
          .containsEntry("k8s.node.name", "kind-worker");
      assertThat(
              target(scraper, "kubernetes-service-endpoints", "http://172.18.0.2:6443/metrics")
                  .resource())
          .containsEntry("component", "apiserver")
          .containsEntry("provider", "kubernetes")
          .containsEntry("kubernetes_namespace", "default");

      assertThat(urls(scraper, "kubernetes-services"))
          .as("each Service port, probed through the blackbox exporter")
          .containsExactly(
              "http://blackbox-exporter.example.com:9115/probe?module=http_2xx&target=checkout.shop.svc%3A80",
              "http://blackbox-exporter.example.com:9115/probe?module=http_2xx&target=kube-state-metrics.monitoring.svc%3A8080",
              "http://blackbox-exporter.example.com:9115/probe?module=http_2xx&target=kube-state-metrics.monitoring.svc%3A8081",
              "http://blackbox-exporter.example.com:9115/probe?module=http_2xx&target=kubernetes.default.svc%3A443");
      assertThat(
              target(
                      scraper,
                      "kubernetes-services",
                      "http://blackbox-exporter.example.com:9115/probe?module=http_2xx&target=checkout.shop.svc%3A80")
                  .resource())
          .containsEntry("service.instance.id", "checkout.shop.svc:80")
          .containsEntry("app", "checkout")
          .containsEntry("kubernetes_namespace", "shop")
          .containsEntry("kubernetes_name", "checkout");

      assertThat(urls(scraper, "kubernetes-ingresses"))
          .as("each rule host and path, https where TLS covers the host")
          .containsExactly(
              "http://blackbox-exporter.example.com:9115/probe?module=http_2xx&target=https%3A%2F%2Fshop.example.com%2F",
              "http://blackbox-exporter.example.com:9115/probe?module=http_2xx&target=https%3A%2F%2Fshop.example.com%2Fapi");
      assertThat(
              target(
                      scraper,
                      "kubernetes-ingresses",
                      "http://blackbox-exporter.example.com:9115/probe?module=http_2xx&target=https%3A%2F%2Fshop.example.com%2Fapi")
                  .resource())
          .containsEntry("service.instance.id", "https://shop.example.com/api")
          .containsEntry("app", "shop")
          .containsEntry("kubernetes_name", "shop");

      // Changes: a node relabelled and one gone, an endpoint port gone, an ingress gone.
      client
          .nodes()
          .withName("kind-worker")
          .edit(
              n ->
                  new NodeBuilder(n)
                      .editMetadata()
                      .addToLabels("topology.kubernetes.io/zone", "eu-west-1c")
                      .endMetadata()
                      .build());
      await(
          () ->
              "eu-west-1c"
                  .equals(
                      target(scraper, "kubernetes-nodes", "https://172.18.0.3:10250/metrics")
                          .resource()
                          .get("topology_kubernetes_io_zone")),
          "a node's new label on its target");
      client.nodes().withName("kind-control-plane").delete();
      await(
          () -> urls(scraper, "kubernetes-nodes").size() == 1,
          "a deleted node is no longer a target");
      assertThat(urls(scraper, "kubernetes-nodes"))
          .containsExactly("https://172.18.0.3:10250/metrics");

      client.endpoints().inNamespace("default").withName("kubernetes").delete();
      await(
          () -> urls(scraper, "kubernetes-apiservers").isEmpty(),
          "the API server's endpoints gone: no target");
      // Each job recomputes its targets on its own (debounced): wait for this one too.
      await(
          () -> urls(scraper, "kubernetes-service-endpoints").size() == 2,
          "the API server's endpoints gone from the endpoints job");
      assertThat(urls(scraper, "kubernetes-service-endpoints"))
          .containsExactly("http://10.244.1.5:8080/metrics", "http://10.244.1.5:8081/metrics");

      client.network().v1().ingresses().inNamespace("shop").withName("shop").delete();
      await(() -> urls(scraper, "kubernetes-ingresses").isEmpty(), "a deleted ingress");

      service("shop", "payments", Map.of("app", "payments"), 8443);
      await(() -> urls(scraper, "kubernetes-services").size() == 5, "a new Service is probed");
    }
  }

  @Test
  void namespacesAndSelectorsRestrictWhatIsWatchedAndFound() throws Exception {
    cluster();
    service("shop", "orders", Map.of("app", "orders", "team", "payments"), 8080);
    service("billing", "invoices", Map.of("app", "invoices", "team", "payments"), 8080);
    String own = client.getNamespace();
    service(own, "collector-peer", Map.of("team", "payments"), 9000);
    CollectorConfig config =
        config(
            """
            - job: payments-services
              kubernetes_sd_configs:
                - role: service
                  namespaces: {names: [shop], own_namespace: true}
                  selectors: [{role: service, label: team=payments}]
            - job: shop-nodes-eu-west-1b
              kubernetes_sd_configs:
                - role: node
                  selectors: [{role: node, label: topology.kubernetes.io/zone=eu-west-1b}]
            - job: kube-state-metrics
              kubernetes_sd_configs:
                - role: endpoints
                  namespaces: {names: [monitoring]}
                  attach_metadata: {node: true}
              relabel_configs:
                - source_labels: [__meta_kubernetes_endpoint_port_name]
                  regex: http-metrics
                  action: keep
                - source_labels: [__meta_kubernetes_node_label_topology_kubernetes_io_zone]
                  target_label: zone
                - source_labels: [__meta_kubernetes_node_name]
                  target_label: node
            """);
    try (KubernetesDiscovery discovery =
            KubernetesDiscovery.start(config.kubernetes(), config.scrape(), client);
        Scraper scraper = scraper(config)) {
      discovery.feed(scraper);

      assertThat(discovery.watchedKinds())
          .containsExactly("endpoints", "nodes", "pods", "services");
      assertThat(urls(scraper, "payments-services"))
          .as("the payments team's Services in shop and in the collector's own namespace only")
          .containsExactly(
              "http://collector-peer." + own + ".svc:9000/metrics",
              "http://orders.shop.svc:8080/metrics");
      assertThat(urls(scraper, "shop-nodes-eu-west-1b"))
          .containsExactly("http://172.18.0.3:10250/metrics");
      assertThat(urls(scraper, "kube-state-metrics"))
          .containsExactly("http://10.244.1.5:8080/metrics");
      assertThat(target(scraper, "kube-state-metrics", "http://10.244.1.5:8080/metrics").resource())
          .as("attach_metadata: the labels of the endpoint's node")
          .containsEntry("zone", "eu-west-1b")
          .containsEntry("node", "kind-worker");

      client
          .services()
          .inNamespace("shop")
          .withName("checkout")
          .edit(
              s ->
                  new ServiceBuilder(s)
                      .editMetadata()
                      .addToLabels("team", "payments")
                      .endMetadata()
                      .build());
      await(
          () -> urls(scraper, "payments-services").contains("http://checkout.shop.svc:80/metrics"),
          "a Service that comes to match the selector");
      client.services().inNamespace("shop").withName("orders").delete();
      await(
          () -> !urls(scraper, "payments-services").contains("http://orders.shop.svc:8080/metrics"),
          "a deleted Service");
      assertThat(urls(scraper, "payments-services"))
          .doesNotContain("http://invoices.billing.svc:8080/metrics");

      client
          .nodes()
          .withName("kind-worker")
          .edit(
              n ->
                  new NodeBuilder(n)
                      .editMetadata()
                      .addToLabels("topology.kubernetes.io/zone", "eu-west-1c")
                      .endMetadata()
                      .build());
      await(
          () ->
              "eu-west-1c"
                  .equals(
                      target(scraper, "kube-state-metrics", "http://10.244.1.5:8080/metrics")
                          .resource()
                          .get("zone")),
          "the node's labels follow the node");
    }
  }
}
