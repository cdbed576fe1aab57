package io.vigil.collector.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.vigil.collector.scrape.DiscoveredTarget;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The targets of role pod, with the labels Prometheus' kubernetes_sd gives them. */
class PodTargetsTest {
  private static final String META = "__meta_kubernetes_";

  /** A checkout pod: app with two ports, a sidecar without, an init container with one. */
  private static Pod pod(String ip) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("checkout-7d9f-x1")
        .withNamespace("shop")
        .withUid("uid-1")
        .addToLabels("app.kubernetes.io/name", "checkout")
        .addToAnnotations("prometheus.io/scrape", "true")
        .addNewOwnerReference()
        .withKind("ReplicaSet")
        .withName("checkout-7d9f")
        .withController(true)
        .endOwnerReference()
        .endMetadata()
        .withNewSpec()
        .withNodeName("node-a")
        .addNewContainer()
        .withName("app")
        .withImage("shop/checkout:1.4")
        .addNewPort()
        .withName("http")
        .withContainerPort(8080)
        .withProtocol("TCP")
        .endPort()
        .addNewPort()
        .withName("metrics")
        .withContainerPort(9090)
        .withProtocol("TCP")
        .endPort()
        .endContainer()
        .addNewContainer()
        .withName("envoy")
        .withImage("envoy:1.31")
        .endContainer()
        .addNewInitContainer()
        .withName("migrate")
        .withImage("shop/migrate:1.4")
        .addNewPort()
        .withContainerPort(7000)
        .endPort()
        .endInitContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .withHostIP("192.168.1.10")
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .endCondition()
        .addNewContainerStatus()
        .withName("app")
        .withContainerID("containerd://abc")
        .endContainerStatus()
        .endStatus()
        .build();
  }

  @Test
  void everyContainerPortIsATargetWithPrometheusLabels() {
    List<DiscoveredTarget> targets = PodTargets.all(List.of(pod("10.1.2.3")), null);

    assertThat(targets)
        .extracting(t -> t.labels().get(DiscoveredTarget.ADDRESS))
        .containsExactly("10.1.2.3:8080", "10.1.2.3:9090", "10.1.2.3", "10.1.2.3:7000");
    assertThat(targets.get(1).labels())
        .containsAllEntriesOf(
            Map.ofEntries(
                Map.entry(META + "namespace", "shop"),
                Map.entry(META + "pod_name", "checkout-7d9f-x1"),
                Map.entry(META + "pod_ip", "10.1.2.3"),
                Map.entry(META + "pod_uid", "uid-1"),
                Map.entry(META + "pod_ready", "true"),
                Map.entry(META + "pod_phase", "Running"),
                Map.entry(META + "pod_node_name", "node-a"),
                Map.entry(META + "pod_host_ip", "192.168.1.10"),
                Map.entry(META + "pod_label_app_kubernetes_io_name", "checkout"),
                Map.entry(META + "pod_labelpresent_app_kubernetes_io_name", "true"),
                Map.entry(META + "pod_annotation_prometheus_io_scrape", "true"),
                Map.entry(META + "pod_annotationpresent_prometheus_io_scrape", "true"),
                Map.entry(META + "pod_controller_kind", "ReplicaSet"),
                Map.entry(META + "pod_controller_name", "checkout-7d9f"),
                Map.entry(META + "pod_container_name", "app"),
                Map.entry(META + "pod_container_id", "containerd://abc"),
                Map.entry(META + "pod_container_image", "shop/checkout:1.4"),
                Map.entry(META + "pod_container_init", "false"),
                Map.entry(META + "pod_container_port_name", "metrics"),
                Map.entry(META + "pod_container_port_number", "9090"),
                Map.entry(META + "pod_container_port_protocol", "TCP")));
    assertThat(targets.get(2).labels())
        .as("a container without ports: the pod's IP, for a rule to add the port")
        .containsEntry(META + "pod_container_name", "envoy")
        .doesNotContainKeys(META + "pod_container_port_number", META + "pod_container_id");
    assertThat(targets.get(3).labels()).containsEntry(META + "pod_container_init", "true");
    assertThat(targets.get(0).resource())
        .containsEntry("k8s.namespace.name", "shop")
        .containsEntry("k8s.pod.name", "checkout-7d9f-x1")
        .containsEntry("k8s.pod.uid", "uid-1");
  }

  @Test
  void aPodWithoutAnIpHasNoTargetYet() {
    assertThat(PodTargets.all(List.of(pod(null)), null)).isEmpty();
    assertThat(PodTargets.annotated(List.of(pod(null)), null)).isEmpty();
  }

  @Test
  void withoutRulesAnAnnotatedPodIsScrapedOnItsFirstPort() {
    List<DiscoveredTarget> targets = PodTargets.annotated(List.of(pod("10.1.2.3")), null);

    assertThat(targets).hasSize(1);
    assertThat(targets.get(0).labels())
        .containsEntry(DiscoveredTarget.ADDRESS, "10.1.2.3:8080")
        .doesNotContainKeys(DiscoveredTarget.METRICS_PATH, DiscoveredTarget.SCHEME);
  }
}
