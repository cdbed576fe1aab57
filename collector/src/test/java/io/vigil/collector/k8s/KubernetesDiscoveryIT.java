package io.vigil.collector.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.CollectorConfig;
import io.vigil.collector.ReceiversUnderTest;
import io.vigil.collector.TestRequests;
import io.vigil.collector.scrape.ScrapeSettings;
import io.vigil.collector.scrape.Scraper;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.otlp.OtlpAttributes;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pods, their owners and annotated scrape targets through fabric8 informers. No Kubernetes API
 * server can run on the build machine: the API is fabric8's {@code kubernetes-server-mock} in CRUD
 * mode (objects created through the client are listed and watched back).
 */
class KubernetesDiscoveryIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private KubernetesMockServer server;
  private KubernetesClient client;
  private HttpServer page;

  @BeforeEach
  void start() throws Exception {
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    page = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    page.createContext(
        "/custom-metrics",
        exchange -> {
          byte[] body =
              "# TYPE orders_total counter\norders_total 42\n".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    page.start();
  }

  @AfterEach
  void stop() {
    page.stop(0);
    client.close();
    server.destroy();
  }

  /** A Deployment's ReplicaSet and one pod of it; returns the uid the API gave the pod. */
  private String deploy(String name, String node, boolean scrape) {
    client
        .apps()
        .replicaSets()
        .inNamespace("shop")
        .resource(
            new ReplicaSetBuilder()
                .withNewMetadata()
                .withName(name + "-7d9f")
                .withNamespace("shop")
                .addNewOwnerReference()
                .withKind("Deployment")
                .withName(name)
                .withApiVersion("apps/v1")
                .withUid(name + "-deployment-uid")
                .withController(true)
                .endOwnerReference()
                .endMetadata()
                .build())
        .create();
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name + "-7d9f-x1")
            .withNamespace("shop")
            .addToLabels("app.kubernetes.io/name", name)
            .addToAnnotations(PodTargets.SCRAPE, Boolean.toString(scrape))
            .addToAnnotations("prometheus.io/port", Integer.toString(page.getAddress().getPort()))
            .addToAnnotations("prometheus.io/path", "/custom-metrics")
            .addNewOwnerReference()
            .withKind("ReplicaSet")
            .withName(name + "-7d9f")
            .withApiVersion("apps/v1")
            .withUid(name + "-rs-uid")
            .withController(true)
            .endOwnerReference()
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .addNewContainer()
            .withName("app")
            .withImage("shop/" + name)
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase("Running")
            .withPodIP("127.0.0.1")
            .endStatus()
            .build();
    return client.pods().inNamespace("shop").resource(pod).create().getMetadata().getUid();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(20); // polling the informer's cache, with a deadline
    }
  }

  @Test
  void givesAPodsLabelsAndOwnersByItsUid() throws Exception {
    String checkout = deploy("checkout", "node-a", false);
    try (PodCatalog catalog = PodCatalog.start(client, null)) {
      Map<String, String> attributes = catalog.attributes(checkout);

      assertThat(attributes)
          .containsEntry("k8s.deployment.name", "checkout")
          .containsEntry("k8s.replicaset.name", "checkout-7d9f")
          .containsEntry("k8s.pod.label.app.kubernetes.io/name", "checkout")
          .containsEntry("k8s.node.name", "node-a");
      assertThat(catalog.attributes("no-such-uid")).isEmpty();

      String payments = deploy("payments", "node-a", false); // later: the watch brings it
      await(() -> !catalog.attributes(payments).isEmpty(), "the new pod is known");
      assertThat(catalog.attributes(payments)).containsEntry("k8s.deployment.name", "payments");
    }
  }

  /**
   * OTLP sent from a pod's address carries the pod's identity — namespace, name, uid, labels,
   * owners — as the OpenTelemetry Collector's {@code k8sattributes} associates by the connection; a
   * pod on the host's network with the same address is never the one.
   */
  @Test
  void otlpFromAPodsAddressCarriesThePodsIdentity() throws Exception {
    String uid = deploy("checkout", "node-a", false);
    client
        .pods()
        .inNamespace("kube-system")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("node-agent")
                .withNamespace("kube-system")
                .endMetadata()
                .withNewSpec()
                .withHostNetwork(true)
                .withNodeName("node-a")
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP("127.0.0.1")
                .endStatus()
                .build())
        .create();
    List<SinkRecord> stored = storedFromAPod(TestRequests.metrics(1, "checkout"));

    var resource =
        ExportMetricsServiceRequest.parseFrom(stored.get(0).value())
            .getResourceMetrics(0)
            .getResource()
            .getAttributesList();
    assertThat(OtlpAttributes.get(resource, "service.name")).isEqualTo("checkout");
    assertThat(OtlpAttributes.get(resource, "k8s.namespace.name")).isEqualTo("shop");
    assertThat(OtlpAttributes.get(resource, "k8s.pod.name")).isEqualTo("checkout-7d9f-x1");
    assertThat(OtlpAttributes.get(resource, "k8s.pod.uid")).isEqualTo(uid);
    assertThat(OtlpAttributes.get(resource, "k8s.deployment.name")).isEqualTo("checkout");
    assertThat(OtlpAttributes.get(resource, "k8s.pod.label.app.kubernetes.io/name"))
        .isEqualTo("checkout");
  }

  /**
   * Data relayed for pods by something else (an agent or a gateway, here the pod at the request's
   * address) is given the identity of the pod its resource names — by {@code k8s.pod.uid}, else
   * {@code k8s.pod.ip} — and the connection's pod only where the resource names none that is known.
   */
  @Test
  void otlpRelayedForAPodCarriesThePodItsResourceNames() throws Exception {
    deploy("gateway", "node-a", false); // at 127.0.0.1, where the requests come from
    Pod cart =
        client
            .pods()
            .inNamespace("shop")
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("cart-1")
                    .withNamespace("shop")
                    .addToLabels("app", "cart")
                    .endMetadata()
                    .withNewSpec()
                    .withNodeName("node-b")
                    .endSpec()
                    .withNewStatus()
                    .withPhase("Running")
                    .withPodIP("10.1.2.3")
                    .endStatus()
                    .build())
            .create();
    ExportMetricsServiceRequest.Builder request = ExportMetricsServiceRequest.newBuilder();
    // The mock API gives the pod its uid, as a real API server does.
    request.addResourceMetrics(resource("by-uid", "k8s.pod.uid", cart.getMetadata().getUid()));
    request.addResourceMetrics(resource("by-ip", "k8s.pod.ip", "10.1.2.3"));
    request.addResourceMetrics(resource("unknown-ip", "k8s.pod.ip", "10.9.9.9"));
    request.addResourceMetrics(resource("unnamed", null, null));
    List<SinkRecord> stored = storedFromAPod(request.build());

    Map<String, String> podOf = new HashMap<>();
    Map<String, String> appOf = new HashMap<>();
    for (SinkRecord record : stored) {
      for (var rm :
          ExportMetricsServiceRequest.parseFrom(record.value()).getResourceMetricsList()) {
        var attributes = rm.getResource().getAttributesList();
        String service = OtlpAttributes.get(attributes, "service.name");
        podOf.put(
            service,
            OtlpAttributes.get(attributes, "k8s.namespace.name")
                + "/"
                + OtlpAttributes.get(attributes, "k8s.pod.name"));
        appOf.put(service, String.valueOf(OtlpAttributes.get(attributes, "k8s.pod.label.app")));
      }
    }
    assertThat(podOf)
        .containsOnly(
            Map.entry("by-uid", "shop/cart-1"),
            Map.entry("by-ip", "shop/cart-1"),
            Map.entry("unknown-ip", "shop/gateway-7d9f-x1"),
            Map.entry("unnamed", "shop/gateway-7d9f-x1"));
    assertThat(appOf).containsEntry("by-uid", "cart").containsEntry("by-ip", "cart");
  }

  /**
   * What the receivers store of {@code request} sent from 127.0.0.1, knowing the pods of the mock
   * API; fails unless it is answered 200.
   */
  private List<SinkRecord> storedFromAPod(ExportMetricsServiceRequest request) throws Exception {
    List<SinkRecord> stored = new CopyOnWriteArrayList<>();
    try (PodCatalog catalog = PodCatalog.start(client, null);
        ReceiversUnderTest receiver =
            ReceiversUnderTest.start(
                records -> {
                  stored.addAll(records);
                  return CompletableFuture.completedFuture(null);
                },
                catalog)) {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + receiver.httpPort() + "/v1/metrics"))
                      .header("Content-Type", "application/x-protobuf")
                      .POST(HttpRequest.BodyPublishers.ofByteArray(request.toByteArray()))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
    }
    return stored;
  }

  /** A resource of {@code service} with one metric, and {@code key} = {@code value} if given. */
  private static io.opentelemetry.proto.metrics.v1.ResourceMetrics resource(
      String service, String key, String value) {
    var resource = TestRequests.metrics(1, service).getResourceMetrics(0).toBuilder();
    if (key != null) {
      resource.getResourceBuilder().addAttributes(OtlpAttributes.string(key, value));
    }
    return resource.build();
  }

  @Test
  void namesTheCronJobOfAPodRunByOneOfItsJobs() throws Exception {
    client
        .batch()
        .v1()
        .jobs()
        .inNamespace("data")
        .resource(
            new JobBuilder()
                .withNewMetadata()
                .withName("orders-daily-29431")
                .withNamespace("data")
                .addNewOwnerReference()
                .withKind("CronJob")
                .withName("orders-daily")
                .withApiVersion("batch/v1")
                .withUid("cronjob-uid")
                .withController(true)
                .endOwnerReference()
                .endMetadata()
                .build())
        .create();
    String uid =
        client
            .pods()
            .inNamespace("data")
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("orders-daily-29431-x7k2p")
                    .withNamespace("data")
                    .addNewOwnerReference()
                    .withKind("Job")
                    .withName("orders-daily-29431")
                    .withApiVersion("batch/v1")
                    .withUid("job-uid")
                    .withController(true)
                    .endOwnerReference()
                    .endMetadata()
                    .build())
            .create()
            .getMetadata()
            .getUid();
    try (PodCatalog catalog = PodCatalog.start(client, null)) {
      assertThat(catalog.attributes(uid))
          .containsEntry("k8s.job.name", "orders-daily-29431")
          .containsEntry("k8s.cronjob.name", "orders-daily");
    }
  }

  @Test
  void scrapesTheReadyEndpointsOfAnnotatedServices() throws Exception {
    String checkoutUid = deploy("checkout", "node-a", false);
    client
        .services()
        .inNamespace("shop")
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("checkout")
                .withNamespace("shop")
                .addToAnnotations(PodTargets.SCRAPE, "true")
                .addToAnnotations(
                    "prometheus.io/port", Integer.toString(page.getAddress().getPort()))
                .addToAnnotations("prometheus.io/path", "/custom-metrics")
                .endMetadata()
                .build())
        .create();
    client
        .services()
        .inNamespace("shop")
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("quiet")
                .withNamespace("shop")
                .endMetadata()
                .build())
        .create();
    client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("shop")
        .resource(
            new EndpointSliceBuilder()
                .withNewMetadata()
                .withName("checkout-abc12")
                .withNamespace("shop")
                .addToLabels("kubernetes.io/service-name", "checkout")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint()
                .withAddresses("127.0.0.1")
                .withNodeName("node-a")
                .withNewConditions()
                .withReady(true)
                .endConditions()
                .withNewTargetRef()
                .withKind("Pod")
                .withName("checkout-7d9f-x1")
                .withNamespace("shop")
                .withUid(checkoutUid)
                .endTargetRef()
                .endEndpoint()
                .addNewEndpoint() // on another node: that node's collector scrapes it
                .withAddresses("127.0.0.2")
                .withNodeName("node-b")
                .endEndpoint()
                .addNewEndpoint() // not ready: not scraped
                .withAddresses("127.0.0.3")
                .withNodeName("node-a")
                .withNewConditions()
                .withReady(false)
                .endConditions()
                .endEndpoint()
                .addNewPort()
                .withName("http")
                .withPort(8080)
                .withProtocol("TCP")
                .endPort()
                .build())
        .create();
    List<ExportMetricsServiceRequest> stored = new CopyOnWriteArrayList<>();
    ScrapeSettings scrape =
        new ScrapeSettings(true, Duration.ofMillis(200), Duration.ofMillis(150), null, List.of());
    // No node name: the mock API does not apply field selectors (EndpointTargetsTest covers the
    // node filter); a DaemonSet's collector would take node-a's endpoint only.
    KubernetesSettings settings = new KubernetesSettings(true, null, false, null, true, null);
    try (KubernetesDiscovery discovery = KubernetesDiscovery.start(settings, scrape, client);
        Scraper scraper = Scraper.start(scrape, storeInto(stored), new PrometheusRegistry())) {
      discovery.feed(scraper);

      await(
          () -> stored.stream().anyMatch(r -> scrapedFrom(r, "127.0.0.1")),
          "the annotated service's endpoint scraped");
      assertThat(scraper.targets()).as("the two ready endpoints").isEqualTo(2);
      var resource =
          stored.stream()
              .filter(r -> scrapedFrom(r, "127.0.0.1"))
              .findFirst()
              .orElseThrow()
              .getResourceMetrics(0)
              .getResource()
              .getAttributesList();
      assertThat(OtlpAttributes.get(resource, "service.name"))
          .isEqualTo("kubernetes-service-endpoints");
      assertThat(OtlpAttributes.get(resource, "k8s.service.name")).isEqualTo("checkout");
      assertThat(OtlpAttributes.get(resource, "k8s.pod.name")).isEqualTo("checkout-7d9f-x1");
      assertThat(OtlpAttributes.get(resource, "k8s.deployment.name")).isEqualTo("checkout");
      assertThat(OtlpAttributes.get(resource, "k8s.node.name")).isEqualTo("node-a");

      client.services().inNamespace("shop").withName("checkout").delete();
      await(() -> scraper.targets() == 0, "a deleted service is no longer scraped");
    }
  }

  private static boolean scrapedFrom(ExportMetricsServiceRequest request, String host) {
    return OtlpAttributes.get(
            request.getResourceMetrics(0).getResource().getAttributesList(), "server.address")
        .equals(host);
  }

  private static io.vigil.collector.sink.RecordSink storeInto(
      List<ExportMetricsServiceRequest> stored) {
    return records -> {
      for (SinkRecord r : records) {
        try {
          stored.add(ExportMetricsServiceRequest.parseFrom(r.value()));
        } catch (Exception e) {
          return CompletableFuture.failedFuture(e);
        }
      }
      return CompletableFuture.completedFuture(null);
    };
  }

  @Test
  void scrapesAnnotatedPodsAndStopsWhenTheyAreGone() throws Exception {
    deploy("checkout", "node-a", true);
    deploy("catalog", "node-a", false); // not annotated for scraping
    List<ExportMetricsServiceRequest> stored = new CopyOnWriteArrayList<>();
    ScrapeSettings settings =
        new ScrapeSettings(true, Duration.ofMillis(200), Duration.ofMillis(150), null, List.of());
    try (PodCatalog catalog = PodCatalog.start(client, null);
        Scraper scraper = Scraper.start(settings, storeInto(stored), new PrometheusRegistry())) {
      ScrapeSettings.Job job = ScrapeSettings.Job.annotated("kubernetes-pods", "pod");
      Runnable refresh =
          () ->
              scraper.discovered("kubernetes", job, PodTargets.annotated(catalog.pods(), catalog));
      catalog.onChange(refresh);
      refresh.run();

      await(() -> !stored.isEmpty(), "the annotated pod scraped");
      assertThat(scraper.targets()).isEqualTo(1);
      var resource = stored.get(0).getResourceMetrics(0).getResource().getAttributesList();
      assertThat(OtlpAttributes.get(resource, "service.name")).isEqualTo("kubernetes-pods");
      assertThat(OtlpAttributes.get(resource, "k8s.pod.name")).isEqualTo("checkout-7d9f-x1");
      assertThat(OtlpAttributes.get(resource, "k8s.namespace.name")).isEqualTo("shop");
      assertThat(OtlpAttributes.get(resource, "k8s.deployment.name")).isEqualTo("checkout");
      assertThat(stored.get(0).getResourceMetrics(0).getScopeMetrics(0).getMetricsList())
          .anySatisfy(m -> assertThat(m.getName()).isEqualTo("orders_total"));

      client.pods().inNamespace("shop").withName("checkout-7d9f-x1").delete();
      await(() -> scraper.targets() == 0, "a deleted pod is no longer scraped");
    }
  }

  /**
   * Prometheus' usual kubernetes-pods job, copied: its rules, not the collector's code, choose the
   * pods, make the address from the port annotation, and map the pod's labels onto the target.
   */
  @Test
  void relabelRulesChooseThePodsAndMapTheirLabelsOntoTheTarget() throws Exception {
    deploy("checkout", "node-a", true);
    deploy("catalog", "node-a", false);
    CollectorConfig config =
        CollectorConfig.load(
            """
            kafka: {bootstrap_servers: localhost:9092}
            kubernetes: {enabled: true}
            scrape:
              enabled: true
              interval: 200ms
              timeout: 150ms
              jobs:
                - job: kubernetes-pods
                  kubernetes_sd_configs: [{role: pod}]
                  relabel_configs:
                    - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
                      action: keep
                      regex: true
                    - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
                      target_label: __metrics_path__
                      regex: (.+)
                    - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
                      regex: ([^:]+)(?::\\d+)?;(\\d+)
                      replacement: $1:$2
                      target_label: __address__
                    - action: labelmap
                      regex: __meta_kubernetes_pod_label_(.+)
                    - source_labels: [__meta_kubernetes_pod_controller_name]
                      target_label: replicaset
            """,
            Map.of());
    List<ExportMetricsServiceRequest> stored = new CopyOnWriteArrayList<>();
    PrometheusRegistry registry = new PrometheusRegistry();
    try (KubernetesDiscovery discovery =
            KubernetesDiscovery.start(config.kubernetes(), config.scrape(), client);
        Scraper scraper = Scraper.start(config.scrape(), storeInto(stored), registry)) {
      discovery.feed(scraper);

      await(
          () -> stored.stream().anyMatch(r -> pod(r).equals("checkout-7d9f-x1") && hasOrders(r)),
          "the pod the rules keep scraped at the annotated port and path");
      assertThat(scraper.targets()).as("the other pod dropped by the keep rule").isEqualTo(1);
      var resource =
          stored.stream()
              .filter(KubernetesDiscoveryIT::hasOrders)
              .findFirst()
              .orElseThrow()
              .getResourceMetrics(0)
              .getResource()
              .getAttributesList();
      assertThat(OtlpAttributes.get(resource, "service.name")).isEqualTo("kubernetes-pods");
      assertThat(OtlpAttributes.get(resource, "app_kubernetes_io_name"))
          .as("the pod's label, through labelmap, its name sanitized")
          .isEqualTo("checkout");
      assertThat(OtlpAttributes.get(resource, "replicaset")).isEqualTo("checkout-7d9f");
      assertThat(OtlpAttributes.get(resource, "k8s.deployment.name"))
          .as("the Kubernetes attributes stay")
          .isEqualTo("checkout");
      assertThat(resource).noneMatch(kv -> kv.getKey().startsWith("__"));

      client
          .pods()
          .inNamespace("shop")
          .withName("catalog-7d9f-x1")
          .edit(
              pod ->
                  new PodBuilder(pod)
                      .editMetadata()
                      .addToAnnotations(PodTargets.SCRAPE, "true")
                      .endMetadata()
                      .build());
      await(() -> scraper.targets() == 2, "a pod annotated later is kept by the rule");
      await(() -> stored.stream().anyMatch(r -> pod(r).equals("catalog-7d9f-x1")), "and scraped");

      client.pods().inNamespace("shop").withName("checkout-7d9f-x1").delete();
      await(() -> scraper.targets() == 1, "a deleted pod is no longer scraped");
    }
  }

  private static String pod(ExportMetricsServiceRequest request) {
    String name =
        OtlpAttributes.get(
            request.getResourceMetrics(0).getResource().getAttributesList(), "k8s.pod.name");
    return name == null ? "" : name;
  }

  private static boolean hasOrders(ExportMetricsServiceRequest request) {
    return request.getResourceMetrics(0).getScopeMetrics(0).getMetricsList().stream()
        .anyMatch(m -> m.getName().equals("orders_total"));
  }
}
