package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.vigil.collector.scrape.DiscoveredTarget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The scrape targets behind Services through their (v1) Endpoints (role {@code endpoints}, still
 * what most shipped Prometheus jobs use), as Prometheus' {@code kubernetes_sd} finds them: for each
 * subset, one per port and address (ready ones, then not ready ones, {@code
 * __meta_kubernetes_endpoint_ready} saying which), with the Endpoints' and the Service's labels,
 * and the pod's and its matching container port's when the address is a known pod; then one per
 * container port of those pods that no endpoint port covers ({@link EndpointTargets.SeenPods}, as
 * for EndpointSlices). With a node name (a DaemonSet's collector) only the addresses on that node.
 * Pure.
 */
public final class EndpointsTargets {
  private static final String ENDPOINT = MetaLabels.PREFIX + "endpoint_";

  private EndpointsTargets() {}

  /**
   * Every target of {@code endpoints}; pods looked up in {@code lookup} (namespace, name; null:
   * none), their owners in {@code catalog} (may be null).
   */
  static List<DiscoveredTarget> all(
      List<Service> services,
      List<Endpoints> endpoints,
      String nodeName,
      BiFunction<String, String, Pod> lookup,
      PodCatalog catalog) {
    Map<String, Service> byName = EndpointTargets.byName(services);
    List<DiscoveredTarget> targets = new ArrayList<>();
    for (Endpoints eps : endpoints) {
      String namespace = eps.getMetadata().getNamespace();
      String serviceName = eps.getMetadata().getName(); // an Endpoints is named as its Service
      Map<String, String> common = new LinkedHashMap<>();
      common.put(MetaLabels.NAMESPACE, namespace);
      Service service = byName.get(namespace + "/" + serviceName);
      if (service != null) {
        MetaLabels.service(service, common);
      }
      MetaLabels.object("endpoints", eps.getMetadata(), common);
      EndpointTargets.SeenPods seen = new EndpointTargets.SeenPods();
      for (EndpointSubset subset : PodTargets.list(eps.getSubsets())) {
        for (EndpointPort port : PodTargets.list(subset.getPorts())) {
          for (EndpointAddress address : PodTargets.list(subset.getAddresses())) {
            add(
                common,
                namespace,
                serviceName,
                address,
                port,
                "true",
                nodeName,
                lookup,
                catalog,
                seen,
                targets);
          }
          for (EndpointAddress address : PodTargets.list(subset.getNotReadyAddresses())) {
            add(
                common,
                namespace,
                serviceName,
                address,
                port,
                "false",
                nodeName,
                lookup,
                catalog,
                seen,
                targets);
          }
        }
      }
      seen.uncovered(common, serviceName, catalog, targets);
    }
    return targets;
  }

  private static void add(
      Map<String, String> common,
      String namespace,
      String serviceName,
      EndpointAddress address,
      EndpointPort port,
      String ready,
      String nodeName,
      BiFunction<String, String, Pod> lookup,
      PodCatalog catalog,
      EndpointTargets.SeenPods seen,
      List<DiscoveredTarget> targets) {
    if (nodeName != null && !nodeName.equals(address.getNodeName())) {
      return;
    }
    Map<String, String> labels = new LinkedHashMap<>(common);
    labels.put(DiscoveredTarget.ADDRESS, PodTargets.hostPort(address.getIp(), port.getPort()));
    labels.put(ENDPOINT + "port_name", port.getName());
    labels.put(ENDPOINT + "port_protocol", port.getProtocol());
    labels.put(ENDPOINT + "ready", ready);
    if (address.getTargetRef() != null) {
      labels.put(ENDPOINT + "address_target_kind", address.getTargetRef().getKind());
      labels.put(ENDPOINT + "address_target_name", address.getTargetRef().getName());
    }
    labels.put(ENDPOINT + "node_name", address.getNodeName());
    labels.put(ENDPOINT + "hostname", address.getHostname());
    Pod pod = EndpointTargets.pod(address.getTargetRef(), namespace, lookup);
    if (pod != null) {
      seen.add(pod, port.getPort());
      MetaLabels.pod(pod, labels);
      EndpointTargets.containerPort(pod, port.getPort(), labels);
    }
    targets.add(
        new DiscoveredTarget(
            labels,
            EndpointTargets.resource(
                namespace, serviceName, address.getNodeName(), address.getTargetRef(), catalog)));
  }
}
