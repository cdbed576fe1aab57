package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.vigil.collector.scrape.DiscoveredTarget;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The scrape targets behind Services, through their EndpointSlices (role {@code endpointslice}).
 * {@link #all}: as Prometheus' {@code kubernetes_sd} finds them, for a job's {@code
 * relabel_configs}. {@link #annotated}: as Prometheus' usual {@code kubernetes-service-endpoints}
 * job keeps them, for a job without rules — a Service annotated {@code prometheus.io/scrape:
 * "true"} is scraped at each ready endpoint address, on {@code prometheus.io/port} (else every TCP
 * port of the slice), at {@code prometheus.io/path}, over {@code prometheus.io/scheme}. With a node
 * name (a DaemonSet's collector) only the endpoints on that node are found either way, so each is
 * scraped once in the cluster. Each target carries the namespace, service, pod and node, and the
 * pod's labels and owners when the pod catalog knows it. Pure.
 */
public final class EndpointTargets {
  private static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  private static final String SLICE = MetaLabels.PREFIX + "endpointslice_";

  private EndpointTargets() {}

  /**
   * Every target Prometheus' role {@code endpointslice} gives (of the endpoints on {@code nodeName}
   * if given): one per address and port of each endpoint, with its slice's, its Service's and its
   * pod's labels; and one per container port of those pods that no port of the slice covers.
   */
  public static List<DiscoveredTarget> all(
      List<Service> services, List<EndpointSlice> slices, String nodeName, PodCatalog pods) {
    return all(services, slices, nodeName, pods == null ? null : pods::pod, pods);
  }

  /**
   * As {@link #all(List, List, String, PodCatalog)}, the endpoints' pods looked up in {@code
   * lookup} (namespace, name; null: none), their owners in {@code catalog} (may be null).
   */
  static List<DiscoveredTarget> all(
      List<Service> services,
      List<EndpointSlice> slices,
      String nodeName,
      BiFunction<String, String, Pod> lookup,
      PodCatalog catalog) {
    Map<String, Service> byName = byName(services);
    List<DiscoveredTarget> targets = new ArrayList<>();
    for (EndpointSlice slice : slices) {
      String namespace = slice.getMetadata().getNamespace();
      String serviceName = serviceName(slice);
      Map<String, String> common = common(slice, byName.get(namespace + "/" + serviceName));
      SeenPods seen = new SeenPods();
      for (Endpoint endpoint : PodTargets.list(slice.getEndpoints())) {
        if (nodeName != null && !nodeName.equals(endpoint.getNodeName())) {
          continue;
        }
        Pod pod = pod(endpoint.getTargetRef(), namespace, lookup);
        Map<String, String> resource =
            resource(
                namespace, serviceName, endpoint.getNodeName(), endpoint.getTargetRef(), catalog);
        for (EndpointPort port : PodTargets.list(slice.getPorts())) {
          for (String address : PodTargets.list(endpoint.getAddresses())) {
            Map<String, String> labels = new LinkedHashMap<>(common);
            endpoint(endpoint, port, labels);
            labels.put(DiscoveredTarget.ADDRESS, PodTargets.hostPort(address, port.getPort()));
            if (pod != null) {
              seen.add(pod, port.getPort());
              MetaLabels.pod(pod, labels);
              containerPort(pod, port.getPort(), labels);
            }
            targets.add(new DiscoveredTarget(labels, resource));
          }
        }
      }
      seen.uncovered(common, serviceName, catalog, targets);
    }
    return targets;
  }

  /**
   * The pods an object's endpoints point at and the ports they were found on, in order: their other
   * container ports are targets of their own (Prometheus' {@code seenPods}).
   */
  static final class SeenPods {
    private final Map<String, Pod> pods = new LinkedHashMap<>();
    private final Map<String, Set<Integer>> covered = new LinkedHashMap<>();

    void add(Pod pod, Integer port) {
      String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
      pods.put(key, pod);
      covered.computeIfAbsent(key, k -> new HashSet<>()).add(port);
    }

    /**
     * One target per container port of the pods seen that no endpoint port covers, with {@code
     * common} labels and the pod's, at the pod's IP.
     */
    void uncovered(
        Map<String, String> common,
        String serviceName,
        PodCatalog catalog,
        List<DiscoveredTarget> targets) {
      pods.forEach(
          (key, pod) -> {
            String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
            if (ip == null || ip.isEmpty() || pod.getSpec() == null) {
              return; // starting or evicted
            }
            Map<String, String> resource = PodTargets.resource(pod, catalog);
            if (serviceName != null) {
              resource.put("k8s.service.name", serviceName);
            }
            for (Container container : PodTargets.list(pod.getSpec().getContainers())) {
              for (ContainerPort cport : PodTargets.list(container.getPorts())) {
                if (covered.get(key).contains(cport.getContainerPort())) {
                  continue;
                }
                Map<String, String> labels = new LinkedHashMap<>(common);
                labels.put(MetaLabels.PREFIX + "pod_container_name", container.getName());
                labels.put(MetaLabels.PREFIX + "pod_container_image", container.getImage());
                MetaLabels.port(cport, labels);
                MetaLabels.pod(pod, labels);
                labels.put(
                    DiscoveredTarget.ADDRESS, PodTargets.hostPort(ip, cport.getContainerPort()));
                targets.add(new DiscoveredTarget(labels, resource));
              }
            }
          });
    }
  }

  /** The targets annotated Services ask for (a job without {@code relabel_configs}). */
  public static List<DiscoveredTarget> annotated(
      List<Service> services, List<EndpointSlice> slices, String nodeName, PodCatalog pods) {
    Map<String, Service> byName = byName(services);
    List<DiscoveredTarget> targets = new ArrayList<>();
    for (EndpointSlice slice : slices) {
      String namespace = slice.getMetadata().getNamespace();
      String serviceName = serviceName(slice);
      Service service = byName.get(namespace + "/" + serviceName);
      Map<String, String> annotations =
          service == null ? null : service.getMetadata().getAnnotations();
      if (annotations == null || !"true".equals(annotations.get(PodTargets.SCRAPE))) {
        continue;
      }
      Map<String, String> common = common(slice, service);
      List<EndpointPort> ports = ports(slice, annotations.get("prometheus.io/port"));
      for (Endpoint endpoint : PodTargets.list(slice.getEndpoints())) {
        if (!ready(endpoint) || (nodeName != null && !nodeName.equals(endpoint.getNodeName()))) {
          continue;
        }
        Map<String, String> resource =
            resource(namespace, serviceName, endpoint.getNodeName(), endpoint.getTargetRef(), pods);
        for (String address : PodTargets.list(endpoint.getAddresses())) {
          for (EndpointPort port : ports) {
            Map<String, String> labels = new LinkedHashMap<>(common);
            endpoint(endpoint, port, labels);
            labels.put(DiscoveredTarget.ADDRESS, PodTargets.hostPort(address, port.getPort()));
            labels.put(DiscoveredTarget.METRICS_PATH, annotations.get("prometheus.io/path"));
            labels.put(DiscoveredTarget.SCHEME, annotations.get("prometheus.io/scheme"));
            targets.add(new DiscoveredTarget(labels, resource));
          }
        }
      }
    }
    return targets;
  }

  static Map<String, Service> byName(List<Service> services) {
    Map<String, Service> byName = new LinkedHashMap<>();
    for (Service service : services) {
      byName.put(
          service.getMetadata().getNamespace() + "/" + service.getMetadata().getName(), service);
    }
    return byName;
  }

  private static String serviceName(EndpointSlice slice) {
    Map<String, String> labels = slice.getMetadata().getLabels();
    return labels == null ? null : labels.get(SERVICE_NAME_LABEL);
  }

  /** A slice's labels and its Service's, common to all its targets. */
  private static Map<String, String> common(EndpointSlice slice, Service service) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(MetaLabels.NAMESPACE, slice.getMetadata().getNamespace());
    labels.put(SLICE + "address_type", slice.getAddressType());
    MetaLabels.object("endpointslice", slice.getMetadata(), labels);
    if (service != null) {
      MetaLabels.service(service, labels);
    }
    return labels;
  }

  /** An endpoint's and a port's labels, as Prometheus names them. */
  private static void endpoint(Endpoint endpoint, EndpointPort port, Map<String, String> out) {
    out.put(SLICE + "port_name", port.getName());
    out.put(SLICE + "port_protocol", port.getProtocol());
    out.put(SLICE + "port", port.getPort() == null ? null : port.getPort().toString());
    out.put(SLICE + "port_app_protocol", port.getAppProtocol());
    EndpointConditions conditions = endpoint.getConditions();
    if (conditions != null) {
      out.put(SLICE + "endpoint_conditions_ready", bool(conditions.getReady()));
      out.put(SLICE + "endpoint_conditions_serving", bool(conditions.getServing()));
      out.put(SLICE + "endpoint_conditions_terminating", bool(conditions.getTerminating()));
    }
    out.put(SLICE + "endpoint_hostname", endpoint.getHostname());
    ObjectReference ref = endpoint.getTargetRef();
    if (ref != null) {
      out.put(SLICE + "address_target_kind", ref.getKind());
      out.put(SLICE + "address_target_name", ref.getName());
    }
    out.put(SLICE + "endpoint_node_name", endpoint.getNodeName());
    out.put(SLICE + "endpoint_zone", endpoint.getZone());
    if (endpoint.getDeprecatedTopology() != null) {
      endpoint
          .getDeprecatedTopology()
          .forEach(
              (k, v) -> {
                out.put(SLICE + "endpoint_topology_" + MetaLabels.sanitize(k), v);
                out.put(SLICE + "endpoint_topology_present_" + MetaLabels.sanitize(k), "true");
              });
    }
  }

  /** The labels of the pod's container port that an endpoint port is, if one is. */
  static void containerPort(Pod pod, Integer port, Map<String, String> out) {
    if (port == null || pod.getSpec() == null) {
      return;
    }
    for (Container container : PodTargets.list(pod.getSpec().getContainers())) {
      for (ContainerPort cport : PodTargets.list(container.getPorts())) {
        if (port.equals(cport.getContainerPort())) {
          out.put(MetaLabels.PREFIX + "pod_container_name", container.getName());
          out.put(MetaLabels.PREFIX + "pod_container_image", container.getImage());
          MetaLabels.port(cport, out);
          return;
        }
      }
    }
  }

  private static String bool(Boolean value) {
    return value == null ? null : value.toString();
  }

  /** The pod an endpoint points at, when {@code lookup} knows it. */
  static Pod pod(ObjectReference ref, String namespace, BiFunction<String, String, Pod> lookup) {
    if (lookup == null || ref == null || !"Pod".equals(ref.getKind())) {
      return null;
    }
    return lookup.apply(ref.getNamespace() != null ? ref.getNamespace() : namespace, ref.getName());
  }

  /** An endpoint's resource attributes: namespace, service, node, pod and what is known of it. */
  static Map<String, String> resource(
      String namespace, String serviceName, String nodeName, ObjectReference ref, PodCatalog pods) {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("k8s.namespace.name", namespace);
    if (serviceName != null) {
      attributes.put("k8s.service.name", serviceName);
    }
    if (nodeName != null) {
      attributes.put("k8s.node.name", nodeName);
    }
    if (ref != null && "Pod".equals(ref.getKind())) {
      attributes.put("k8s.pod.name", ref.getName());
      if (ref.getUid() != null) {
        attributes.put("k8s.pod.uid", ref.getUid());
      }
      if (pods != null) {
        String podNamespace = ref.getNamespace() != null ? ref.getNamespace() : namespace;
        attributes.putAll(pods.attributes(podNamespace, ref.getName()));
      }
    }
    return attributes;
  }

  /** An endpoint is ready unless its conditions say it is not (as kube-proxy reads them). */
  private static boolean ready(Endpoint endpoint) {
    return endpoint.getConditions() == null
        || endpoint.getConditions().getReady() == null
        || endpoint.getConditions().getReady();
  }

  /** The annotated port (as a port of its own), else every TCP port of the slice. */
  private static List<EndpointPort> ports(EndpointSlice slice, String annotated) {
    if (annotated != null) {
      try {
        int number = Integer.parseInt(annotated.trim());
        for (EndpointPort port : PodTargets.list(slice.getPorts())) {
          if (Integer.valueOf(number).equals(port.getPort())) {
            return List.of(port);
          }
        }
        EndpointPort port = new EndpointPort();
        port.setPort(number);
        return List.of(port);
      } catch (NumberFormatException e) {
        return List.of(); // a service asking to be scraped on no port: skipped
      }
    }
    List<EndpointPort> ports = new ArrayList<>();
    for (EndpointPort port : PodTargets.list(slice.getPorts())) {
      if (port.getPort() != null
          && (port.getProtocol() == null || "TCP".equals(port.getProtocol()))) {
        ports.add(port);
      }
    }
    return ports;
  }
}
