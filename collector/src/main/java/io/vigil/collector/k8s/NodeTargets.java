package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.vigil.collector.scrape.DiscoveredTarget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The scrape targets among nodes (role {@code node}), as Prometheus' {@code kubernetes_sd} finds
 * them: one per node, at its first address of the first type present in Prometheus' order ({@code
 * InternalIP}, {@code InternalDNS}, {@code ExternalIP}, {@code ExternalDNS}, {@code LegacyHostIP},
 * {@code Hostname}) and the kubelet's port ({@code status.daemonEndpoints.kubeletEndpoint.port}),
 * with {@code instance} = the node's name; a node without any of these addresses is no target. And
 * the node labels other roles get with {@code attach_metadata: {node: true}}. Pure.
 */
public final class NodeTargets {
  /** Prometheus' order of preference of a node's address types. */
  static final List<String> ADDRESS_TYPES =
      List.of("InternalIP", "InternalDNS", "ExternalIP", "ExternalDNS", "LegacyHostIP", "Hostname");

  private static final String NODE = MetaLabels.PREFIX + "node_";

  private NodeTargets() {}

  /** One target per node that has an address. */
  public static List<DiscoveredTarget> all(List<Node> nodes) {
    List<DiscoveredTarget> targets = new ArrayList<>();
    for (Node node : nodes) {
      Map<String, String> firstByType = new LinkedHashMap<>();
      if (node.getStatus() != null) {
        for (NodeAddress address : PodTargets.list(node.getStatus().getAddresses())) {
          if (address.getType() != null && address.getAddress() != null) {
            firstByType.putIfAbsent(address.getType(), address.getAddress());
          }
        }
      }
      String host =
          ADDRESS_TYPES.stream()
              .map(firstByType::get)
              .filter(a -> a != null)
              .findFirst()
              .orElse(null);
      if (host == null) {
        continue; // Prometheus: "No node address found"
      }
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put(
          NODE + "provider_id", node.getSpec() == null ? null : node.getSpec().getProviderID());
      MetaLabels.object("node", node.getMetadata(), labels);
      labels.put(DiscoveredTarget.ADDRESS, PodTargets.hostPort(host, kubeletPort(node)));
      labels.put("instance", node.getMetadata().getName());
      firstByType.forEach(
          (type, address) -> labels.put(NODE + "address_" + MetaLabels.sanitize(type), address));
      targets.add(
          new DiscoveredTarget(labels, Map.of("k8s.node.name", node.getMetadata().getName())));
    }
    return targets;
  }

  /** The kubelet's port, 0 when the node does not say (as Prometheus, which reads Go's zero). */
  private static int kubeletPort(Node node) {
    var status = node.getStatus();
    if (status == null
        || status.getDaemonEndpoints() == null
        || status.getDaemonEndpoints().getKubeletEndpoint() == null
        || status.getDaemonEndpoints().getKubeletEndpoint().getPort() == null) {
      return 0;
    }
    return status.getDaemonEndpoints().getKubeletEndpoint().getPort();
  }

  /**
   * {@code targets} with the labels of their node ({@code __meta_kubernetes_node_name}, {@code
   * _node_label_*}, {@code _node_labelpresent_*}, {@code _node_annotation_*}, {@code
   * _node_annotationpresent_*}) where {@code nodes} knows it: the node named by the label {@code
   * nodeLabel} (a pod's or an endpoint's node), else by an endpoint whose target is a Node.
   */
  static List<DiscoveredTarget> attach(
      List<DiscoveredTarget> targets, String nodeLabel, Function<String, Node> nodes) {
    List<DiscoveredTarget> attached = new ArrayList<>(targets.size());
    for (DiscoveredTarget target : targets) {
      String name = target.labels().get(nodeLabel);
      if (name == null) {
        for (String role : List.of("endpoint_", "endpointslice_")) {
          if ("Node"
              .equals(target.labels().get(MetaLabels.PREFIX + role + "address_target_kind"))) {
            name = target.labels().get(MetaLabels.PREFIX + role + "address_target_name");
          }
        }
      }
      Node node = name == null ? null : nodes.apply(name);
      if (node == null) {
        attached.add(target);
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>(target.labels());
      MetaLabels.object("node", node.getMetadata(), labels);
      attached.add(new DiscoveredTarget(labels, target.resource()));
    }
    return attached;
  }
}
