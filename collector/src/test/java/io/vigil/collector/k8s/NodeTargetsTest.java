package io.vigil.collector.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.vigil.collector.scrape.DiscoveredTarget;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Role {@code node}, as Prometheus' {@code node.go} builds it. */
class NodeTargetsTest {
  private static NodeBuilder node(String name) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels("kubernetes.io/os", "linux")
        .addToLabels("node-role.kubernetes.io/control-plane", "")
        .addToAnnotations("node.alpha.kubernetes.io/ttl", "0")
        .endMetadata()
        .withNewSpec()
        .withProviderID("aws:///eu-west-1a/i-0abc")
        .endSpec();
  }

  @Test
  void oneTargetPerNodeAtItsInternalIpAndKubeletPortNamedByTheNode() {
    Node node =
        node("ip-10-0-1-7")
            .withNewStatus()
            .addNewAddress()
            .withType("Hostname")
            .withAddress("ip-10-0-1-7.ec2.internal")
            .endAddress()
            .addNewAddress()
            .withType("ExternalIP")
            .withAddress("54.1.2.3")
            .endAddress()
            .addNewAddress()
            .withType("InternalIP")
            .withAddress("10.0.1.7")
            .endAddress()
            .addNewAddress()
            .withType("InternalIP")
            .withAddress("10.0.1.8")
            .endAddress()
            .withNewDaemonEndpoints()
            .withNewKubeletEndpoint()
            .withPort(10250)
            .endKubeletEndpoint()
            .endDaemonEndpoints()
            .endStatus()
            .build();

    List<DiscoveredTarget> targets = NodeTargets.all(List.of(node));

    assertThat(targets).hasSize(1);
    assertThat(targets.get(0).labels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.ofEntries(
                Map.entry("__address__", "10.0.1.7:10250"),
                Map.entry("instance", "ip-10-0-1-7"),
                Map.entry("__meta_kubernetes_node_name", "ip-10-0-1-7"),
                Map.entry("__meta_kubernetes_node_provider_id", "aws:///eu-west-1a/i-0abc"),
                Map.entry("__meta_kubernetes_node_label_kubernetes_io_os", "linux"),
                Map.entry("__meta_kubernetes_node_labelpresent_kubernetes_io_os", "true"),
                // an empty label value is no label, but it is present
                Map.entry(
                    "__meta_kubernetes_node_labelpresent_node_role_kubernetes_io_control_plane",
                    "true"),
                Map.entry("__meta_kubernetes_node_annotation_node_alpha_kubernetes_io_ttl", "0"),
                Map.entry(
                    "__meta_kubernetes_node_annotationpresent_node_alpha_kubernetes_io_ttl",
                    "true"),
                Map.entry("__meta_kubernetes_node_address_InternalIP", "10.0.1.7"),
                Map.entry("__meta_kubernetes_node_address_ExternalIP", "54.1.2.3"),
                Map.entry("__meta_kubernetes_node_address_Hostname", "ip-10-0-1-7.ec2.internal")));
    assertThat(targets.get(0).resource())
        .containsExactlyEntriesOf(Map.of("k8s.node.name", "ip-10-0-1-7"));
  }

  @Test
  void prefersAddressTypesInPrometheusOrderAndSkipsANodeWithoutAddress() {
    Node dnsOnly =
        node("a")
            .withNewStatus()
            .addNewAddress()
            .withType("Hostname")
            .withAddress("a.local")
            .endAddress()
            .addNewAddress()
            .withType("InternalDNS")
            .withAddress("a.internal")
            .endAddress()
            .endStatus()
            .build();
    Node v6 =
        node("b")
            .withNewStatus()
            .addNewAddress()
            .withType("InternalIP")
            .withAddress("fd00::7")
            .endAddress()
            .withNewDaemonEndpoints()
            .withNewKubeletEndpoint()
            .withPort(10250)
            .endKubeletEndpoint()
            .endDaemonEndpoints()
            .endStatus()
            .build();
    Node none = node("c").withNewStatus().endStatus().build();

    List<DiscoveredTarget> targets = NodeTargets.all(List.of(dnsOnly, v6, none));

    assertThat(targets)
        .extracting(t -> t.labels().get("__address__"))
        .as("InternalDNS before Hostname; no kubelet port: 0; IPv6 in brackets; c has none")
        .containsExactly("a.internal:0", "[fd00::7]:10250");
  }

  @Test
  void attachesTheNodeOfAPodTarget() {
    Node node = node("node-a").build();
    DiscoveredTarget pod =
        new DiscoveredTarget(
            Map.of("__address__", "10.1.0.4:8080", "__meta_kubernetes_pod_node_name", "node-a"),
            Map.of());
    DiscoveredTarget elsewhere =
        new DiscoveredTarget(
            Map.of("__address__", "10.1.0.5:8080", "__meta_kubernetes_pod_node_name", "node-z"),
            Map.of());

    List<DiscoveredTarget> attached =
        NodeTargets.attach(
            List.of(pod, elsewhere),
            "__meta_kubernetes_pod_node_name",
            name -> name.equals("node-a") ? node : null);

    assertThat(attached.get(0).labels())
        .containsEntry("__meta_kubernetes_node_name", "node-a")
        .containsEntry("__meta_kubernetes_node_label_kubernetes_io_os", "linux")
        .containsEntry("__meta_kubernetes_node_labelpresent_kubernetes_io_os", "true")
        .containsEntry("__meta_kubernetes_node_annotation_node_alpha_kubernetes_io_ttl", "0")
        .doesNotContainKey("__meta_kubernetes_node_provider_id");
    assertThat(attached.get(1)).as("a node not known: unchanged").isEqualTo(elsewhere);
  }
}
