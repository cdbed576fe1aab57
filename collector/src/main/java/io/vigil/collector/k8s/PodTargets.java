package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.vigil.collector.scrape.Scraper.TargetSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scrape targets among pods, found as Prometheus' usual {@code kubernetes-pods} job finds them:
 * a running pod with an IP and the annotation {@code prometheus.io/scrape: "true"} is scraped on
 * {@code prometheus.io/port} (else its first declared container port), at {@code
 * prometheus.io/path} (else {@code /metrics}), over {@code prometheus.io/scheme} (else http). Each
 * target carries {@code kubernetes_sd}-style labels as resource attributes: namespace, pod, uid,
 * node, the pod's labels and owners. Pure.
 */
public final class PodTargets {
  /** The annotation that asks for a pod to be scraped. */
  public static final String SCRAPE = "prometheus.io/scrape";

  private PodTargets() {}

  /** The targets among {@code pods}, in job {@code job}. */
  public static List<TargetSpec> of(List<Pod> pods, PodCatalog catalog, String job) {
    List<TargetSpec> targets = new ArrayList<>();
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
      String path = annotations.getOrDefault("prometheus.io/path", "/metrics");
      String scheme = annotations.getOrDefault("prometheus.io/scheme", "http");
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put("k8s.namespace.name", pod.getMetadata().getNamespace());
      labels.put("k8s.pod.name", pod.getMetadata().getName());
      labels.put("k8s.pod.uid", pod.getMetadata().getUid());
      labels.putAll(catalog.attributes(pod));
      String ip = pod.getStatus().getPodIP();
      String host = ip.contains(":") ? "[" + ip + "]" : ip;
      targets.add(
          new TargetSpec(
              job, host + ":" + port, path.startsWith("/") ? path : "/" + path, scheme, labels));
    }
    return targets;
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
    for (Container container : pod.getSpec().getContainers()) {
      for (ContainerPort port : container.getPorts()) {
        return port.getContainerPort();
      }
    }
    return null;
  }
}
