package io.vigil.collector.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.vigil.collector.scrape.DiscoveredTarget;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Role {@code service}, as Prometheus' {@code service.go} builds it. */
class ServiceTargetsTest {
  @Test
  void oneTargetPerPortAtTheServicesDnsName() {
    Service service =
        new ServiceBuilder()
            .withNewMetadata()
            .withName("checkout")
            .withNamespace("shop")
            .addToLabels("app.kubernetes.io/name", "checkout")
            .addToAnnotations("example.io/should_be_probed", "true")
            .endMetadata()
            .withNewSpec()
            .withType("ClusterIP")
            .withClusterIP("10.96.0.12")
            .addNewPort()
            .withName("http")
            .withPort(80)
            .withProtocol("TCP")
            .endPort()
            .addNewPort()
            .withPort(9090)
            .withProtocol("TCP")
            .endPort()
            .endSpec()
            .build();

    List<DiscoveredTarget> targets = ServiceTargets.all(List.of(service));

    Map<String, String> common =
        Map.of(
            "__meta_kubernetes_namespace", "shop",
            "__meta_kubernetes_service_name", "checkout",
            "__meta_kubernetes_service_label_app_kubernetes_io_name", "checkout",
            "__meta_kubernetes_service_labelpresent_app_kubernetes_io_name", "true",
            "__meta_kubernetes_service_annotation_example_io_should_be_probed", "true",
            "__meta_kubernetes_service_annotationpresent_example_io_should_be_probed", "true",
            "__meta_kubernetes_service_type", "ClusterIP",
            "__meta_kubernetes_service_cluster_ip", "10.96.0.12",
            "__meta_kubernetes_service_port_protocol", "TCP");
    assertThat(targets).hasSize(2);
    assertThat(targets.get(0).labels())
        .containsAllEntriesOf(common)
        .containsEntry("__address__", "checkout.shop.svc:80")
        .containsEntry("__meta_kubernetes_service_port_name", "http")
        .containsEntry("__meta_kubernetes_service_port_number", "80")
        .hasSize(common.size() + 3);
    assertThat(targets.get(1).labels())
        .containsAllEntriesOf(common)
        .containsEntry("__address__", "checkout.shop.svc:9090")
        .containsEntry("__meta_kubernetes_service_port_number", "9090")
        .as("an unnamed port: no port name label")
        .hasSize(common.size() + 2);
    assertThat(targets.get(0).resource())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("k8s.namespace.name", "shop", "k8s.service.name", "checkout"));
  }

  @Test
  void externalNameAndLoadBalancerServicesSayWhatTheyPointAt() {
    Service external =
        new ServiceBuilder()
            .withNewMetadata()
            .withName("payments-api")
            .withNamespace("shop")
            .endMetadata()
            .withNewSpec()
            .withType("ExternalName")
            .withExternalName("api.payments.example.com")
            .addNewPort()
            .withPort(443)
            .endPort()
            .endSpec()
            .build();
    Service balanced =
        new ServiceBuilder()
            .withNewMetadata()
            .withName("edge")
            .withNamespace("shop")
            .endMetadata()
            .withNewSpec()
            .withType("LoadBalancer")
            .withClusterIP("10.96.0.20")
            .withLoadBalancerIP("34.1.2.3")
            .addNewPort()
            .withPort(443)
            .endPort()
            .endSpec()
            .build();

    List<DiscoveredTarget> targets = ServiceTargets.all(List.of(external, balanced));

    assertThat(targets.get(0).labels())
        .containsEntry("__meta_kubernetes_service_external_name", "api.payments.example.com")
        .doesNotContainKey("__meta_kubernetes_service_cluster_ip");
    assertThat(targets.get(1).labels())
        .containsEntry("__meta_kubernetes_service_cluster_ip", "10.96.0.20")
        .containsEntry("__meta_kubernetes_service_loadbalancer_ip", "34.1.2.3")
        .containsEntry("__meta_kubernetes_service_type", "LoadBalancer");
  }
}
