package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.vigil.collector.scrape.DiscoveredTarget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scrape targets among pods (role {@code pod}). {@link #all}: as Prometheus' {@code
 * kubernetes_sd} finds them, for a job's {@code relabel_configs} to choose from. {@link
 * #annotated}: as Prometheus' usual {@code kubernetes-pods} job keeps them, for a job without rules
 * — a running pod with an IP and the annotation {@code prometheus.io/scrape: "true"}, on {@code
 * prometheus.io/port} (else its first declared container port), at {@code prometheus.io/path} (else
 * the job's path), over {@code prometheus.io/scheme} (else the job's scheme). Each target carries
 * its pod's resource attributes: namespace, pod, uid, node, labels and owners. Pure.
 */
public final class PodTargets {
  /** The annotation that asks for a pod to be scraped. */
  public static final String SCRAPE = "prometheus.io/scrape";

  private PodTargets() {}

  /**
   * Every target Prometheus' role {@code pod} gives: for each pod with an IP, one per port of each
   * container and init container ({@code __address__} = IP:port), and one per container without
   * ports ({@code __address__} = IP; a rule adds the port).
   */
  public static List<DiscoveredTarget> all(List<Pod> pods, PodCatalog catalog) {
    List<DiscoveredTarget> targets = new ArrayList<>();
    for (Pod pod : pods) {
      String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
      if (ip == null || ip.isEmpty() || pod.getSpec() == null) {
        continue; // starting or evicted: no address yet
      }
      Map<String, String> common = new LinkedHashMap<>();
      MetaLabels.pod(pod, common);
      common.put(MetaLabels.NAMESPACE, pod.getMetadata().getNamespace());
      Map<String, String> resource = resource(pod, catalog);
      List<Container> containers = new ArrayList<>(list(pod.getSpec().getContainers()));
      int regular = containers.size();
      containers.addAll(list(pod.getSpec().getInitContainers()));
      for (int i = 0; i < containers.size(); i++) {
        Container container = containers.get(i);
        Map<String, String> labels = new LinkedHashMap<>(common);
        MetaLabels.container(pod, container, i >= regular, labels);
        List<ContainerPort> ports = list(container.getPorts());
        if (ports.isEmpty()) {
          labels.put(DiscoveredTarget.ADDRESS, ip);
          targets.add(new DiscoveredTarget(labels, resource));
        }
        for (ContainerPort port : ports) {
          Map<String, String> withPort = new LinkedHashMap<>(labels);
          MetaLabels.port(port, withPort);
          withPort.put(DiscoveredTarget.ADDRESS, hostPort(ip, port.getContainerPort()));
          targets.add(new DiscoveredTarget(withPort, resource));
        }
      }
    }
    return targets;
  }

  /** The targets annotated, running pods ask for (a job without {@code relabel_configs}). */
  public static List<DiscoveredTarget> annotated(List<Pod> pods, PodCatalog catalog) {
    List<DiscoveredTarget> targets = new ArrayList<>();
    for (Pod pod : pods) {
      Map<String, String> annotations = pod.getMetadata().getAnnotations();
      if (annotations == null || !"true".equals(annotations.get(SCRAPE))) {
        continue;
      }
      if (pod.getStatus() == null
          || !"Running".equals(pod.getStatus().getPhase())
          || pod.getStatus().getPodIP() == null) {
        continue;
      }
      Integer port = port(pod, annotations.get("prometheus.io/port"));
      if (port == null) {
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>();
      MetaLabels.pod(pod, labels);
      labels.put(MetaLabels.NAMESPACE, pod.getMetadata().getNamespace());
      labels.put(DiscoveredTarget.ADDRESS, hostPort(pod.getStatus().getPodIP(), port));
      labels.put(DiscoveredTarget.METRICS_PATH, annotations.get("prometheus.io/path"));
      labels.put(DiscoveredTarget.SCHEME, annotations.get("prometheus.io/scheme"));
      targets.add(new DiscoveredTarget(labels, resource(pod, catalog)));
    }
    return targets;
  }

  /** The pod's resource attributes; its owners and labels only when a catalog is given. */
  static Map<String, String> resource(Pod pod, PodCatalog catalog) {
    Map<String, String> resource = new LinkedHashMap<>();
    resource.put("k8s.namespace.name", pod.getMetadata().getNamespace());
    resource.put("k8s.pod.name", pod.getMetadata().getName());
    if (pod.getMetadata().getUid() != null) {
      resource.put("k8s.pod.uid", pod.getMetadata().getUid());
    }
    if (catalog != null) {
      resource.putAll(catalog.attributes(pod));
    }
    return resource;
  }

  static String hostPort(String ip, Integer port) {
    String host = ip.contains(":") ? "[" + ip + "]" : ip;
    return port == null ? host : host + ":" + port;
  }

  static <T> List<T> list(List<T> items) {
    return items == null ? List.of() : items;
  }

  private static Integer port(Pod pod, String annotated) {
    if (annotated != null) {
      try {
        return Integer.valueOf(annotated.trim());
      } catch (NumberFormatException e) {
        return null; // a pod asking to be scraped on no port: skipped
      }
    }
    if (pod.getSpec() == null) {
      return null;
    }
    for (Container container : list(pod.getSpec().getContainers())) {
      for (ContainerPort port : list(container.getPorts())) {
        return port.getContainerPort();
      }
    }
    return null;
  }
}
