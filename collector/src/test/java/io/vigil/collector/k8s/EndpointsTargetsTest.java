package io.vigil.collector.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.vigil.collector.scrape.DiscoveredTarget;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Role {@code endpoints}, as Prometheus' {@code endpoints.go} builds it. */
class EndpointsTargetsTest {
  private static final Service SERVICE =
      new ServiceBuilder()
          .withNewMetadata()
          .withName("kube-state-metrics")
          .withNamespace("monitoring")
          .addToLabels("app.kubernetes.io/name", "kube-state-metrics")
          .addToAnnotations("prometheus.io/scrape", "true")
          .endMetadata()
          .build();

  /** Its pod: ports 8080 (http-metrics) and 8081 (telemetry), and 9102 no endpoint port has. */
  private static final Pod POD =
      new PodBuilder()
          .withNewMetadata()
          .withName("kube-state-metrics-0")
          .withNamespace("monitoring")
          .withUid("uid-ksm-0")
          .addToLabels("app.kubernetes.io/name", "kube-state-metrics")
          .endMetadata()
          .withNewSpec()
          .withNodeName("node-a")
          .addNewContainer()
          .withName("kube-state-metrics")
          .withImage("registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0")
          .addNewPort()
          .withName("http-metrics")
          .withContainerPort(8080)
          .withProtocol("TCP")
          .endPort()
          .addNewPort()
          .withName("telemetry")
          .withContainerPort(8081)
          .withProtocol("TCP")
          .endPort()
          .endContainer()
          .addNewContainer()
          .withName("sidecar")
          .withImage("envoy")
          .addNewPort()
          .withName("admin")
          .withContainerPort(9102)
          .withProtocol("TCP")
          .endPort()
          .endContainer()
          .endSpec()
          .withNewStatus()
          .withPodIP("10.1.0.5")
          .withPhase("Running")
          .endStatus()
          .build();

  private static final Endpoints ENDPOINTS =
      new EndpointsBuilder()
          .withNewMetadata()
          .withName("kube-state-metrics")
          .withNamespace("monitoring")
          .addToLabels("app.kubernetes.io/name", "kube-state-metrics")
          .endMetadata()
          .addNewSubset()
          .addNewAddress()
          .withIp("10.1.0.5")
          .withNodeName("node-a")
          .withNewTargetRef()
          .withKind("Pod")
          .withName("kube-state-metrics-0")
          .withNamespace("monitoring")
          .endTargetRef()
          .endAddress()
          .addNewNotReadyAddress()
          .withIp("10.1.1.9")
          .withNodeName("node-b")
          .withHostname("ksm-1")
          .endNotReadyAddress()
          .addNewPort()
          .withName("http-metrics")
          .withPort(8080)
          .withProtocol("TCP")
          .endPort()
          .addNewPort()
          .withName("telemetry")
          .withPort(8081)
          .withProtocol("TCP")
          .endPort()
          .endSubset()
          .build();

  private static List<DiscoveredTarget> targets(String nodeName) {
    return EndpointsTargets.all(
        List.of(SERVICE),
        List.of(ENDPOINTS),
        nodeName,
        (ns, name) -> ns.equals("monitoring") && name.equals("kube-state-metrics-0") ? POD : null,
        null);
  }

  @Test
  void onePerPortAndAddressReadyOrNotAndOnePerUncoveredContainerPort() {
    List<DiscoveredTarget> targets = targets(null);

    assertThat(targets)
        .extracting(
            t ->
                t.labels().get("__address__")
                    + " ready="
                    + t.labels().get("__meta_kubernetes_endpoint_ready"))
        .containsExactly(
            "10.1.0.5:8080 ready=true",
            "10.1.1.9:8080 ready=false",
            "10.1.0.5:8081 ready=true",
            "10.1.1.9:8081 ready=false",
            "10.1.0.5:9102 ready=null"); // the sidecar's port, from the pod, not the endpoints
  }

  @Test
  void givesTheEndpointsServicePodAndContainerLabels() {
    DiscoveredTarget first = targets(null).get(0);

    assertThat(first.labels())
        .containsEntry("__meta_kubernetes_namespace", "monitoring")
        .containsEntry("__meta_kubernetes_endpoints_name", "kube-state-metrics")
        .containsEntry(
            "__meta_kubernetes_endpoints_label_app_kubernetes_io_name", "kube-state-metrics")
        .containsEntry("__meta_kubernetes_endpoints_labelpresent_app_kubernetes_io_name", "true")
        .containsEntry("__meta_kubernetes_service_name", "kube-state-metrics")
        .containsEntry("__meta_kubernetes_service_annotation_prometheus_io_scrape", "true")
        .containsEntry("__meta_kubernetes_endpoint_port_name", "http-metrics")
        .containsEntry("__meta_kubernetes_endpoint_port_protocol", "TCP")
        .containsEntry("__meta_kubernetes_endpoint_address_target_kind", "Pod")
        .containsEntry("__meta_kubernetes_endpoint_address_target_name", "kube-state-metrics-0")
        .containsEntry("__meta_kubernetes_endpoint_node_name", "node-a")
        .containsEntry("__meta_kubernetes_pod_name", "kube-state-metrics-0")
        .containsEntry("__meta_kubernetes_pod_ip", "10.1.0.5")
        .containsEntry("__meta_kubernetes_pod_node_name", "node-a")
        .containsEntry("__meta_kubernetes_pod_container_name", "kube-state-metrics")
        .containsEntry("__meta_kubernetes_pod_container_port_name", "http-metrics")
        .containsEntry("__meta_kubernetes_pod_container_port_number", "8080")
        .doesNotContainKey("__meta_kubernetes_endpoint_hostname");
    assertThat(targets(null).get(1).labels())
        .as("not a known pod: no pod labels")
        .containsEntry("__meta_kubernetes_endpoint_hostname", "ksm-1")
        .doesNotContainKey("__meta_kubernetes_pod_name");
    assertThat(first.resource())
        .containsEntry("k8s.namespace.name", "monitoring")
        .containsEntry("k8s.service.name", "kube-state-metrics")
        .containsEntry("k8s.pod.name", "kube-state-metrics-0")
        .containsEntry("k8s.node.name", "node-a");
    assertThat(targets(null).get(4).labels())
        .containsEntry("__meta_kubernetes_pod_container_name", "sidecar")
        .containsEntry("__meta_kubernetes_pod_container_port_number", "9102")
        .containsEntry("__meta_kubernetes_service_name", "kube-state-metrics")
        .doesNotContainKey("__meta_kubernetes_endpoint_port_name");
  }

  @Test
  void withANodeNameOnlyTheAddressesOnThatNode() {
    assertThat(targets("node-b"))
        .extracting(t -> t.labels().get("__address__"))
        .containsExactly("10.1.1.9:8080", "10.1.1.9:8081");
    assertThat(targets("node-c")).isEmpty();
  }

  @Test
  void anEndpointsWithoutItsServiceHasNoServiceLabels() {
    List<DiscoveredTarget> targets =
        EndpointsTargets.all(List.of(), List.of(ENDPOINTS), null, null, null);

    assertThat(targets).hasSize(4);
    assertThat(targets.get(0).labels())
        .doesNotContainKey("__meta_kubernetes_service_name")
        .containsEntry("__meta_kubernetes_endpoints_name", "kube-state-metrics");
  }
}
