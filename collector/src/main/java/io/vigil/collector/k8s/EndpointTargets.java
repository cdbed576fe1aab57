package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.vigil.collector.scrape.Scraper.TargetSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scrape targets behind annotated Services, found as Prometheus' usual {@code
 * kubernetes-service-endpoints} job finds them: a Service annotated {@code prometheus.io/scrape:
 * "true"} is scraped at each ready endpoint address of its EndpointSlices, on {@code
 * prometheus.io/port} (else every TCP port of the slice), at {@code prometheus.io/path} (else
 * {@code /metrics}), over {@code prometheus.io/scheme} (else http). With a node name (a DaemonSet's
 * collector) only the endpoints on that node are its targets, so each endpoint is scraped once in
 * the cluster. Each target carries the namespace, service, pod and node, and the pod's labels and
 * owners when the pod catalog knows it. Pure.
 */
public final class EndpointTargets {
  private static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private EndpointTargets() {}

  /** The targets behind {@code services}, through {@code slices}, on {@code nodeName} if given. */
  public static List<TargetSpec> of(
      List<Service> services,
      List<EndpointSlice> slices,
      String nodeName,
      PodCatalog pods,
      String job) {
    Map<String, Service> annotated = new LinkedHashMap<>();
    for (Service service : services) {
      Map<String, String> annotations = service.getMetadata().getAnnotations();
      if (annotations != null && "true".equals(annotations.get(PodTargets.SCRAPE))) {
        annotated.put(
            service.getMetadata().getNamespace() + "/" + service.getMetadata().getName(), service);
      }
    }
    List<TargetSpec> targets = new ArrayList<>();
    for (EndpointSlice slice : slices) {
      Map<String, String> labels = slice.getMetadata().getLabels();
      String serviceName = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
      Service service = annotated.get(slice.getMetadata().getNamespace() + "/" + serviceName);
      if (service == null) {
        continue;
      }
      Map<String, String> annotations = service.getMetadata().getAnnotations();
      List<Integer> ports = ports(slice, annotations.get("prometheus.io/port"));
      String path = annotations.getOrDefault("prometheus.io/path", "/metrics");
      String scheme = annotations.getOrDefault("prometheus.io/scheme", "http");
      for (Endpoint endpoint : slice.getEndpoints()) {
        if (!ready(endpoint) || (nodeName != null && !nodeName.equals(endpoint.getNodeName()))) {
          continue;
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("k8s.namespace.name", slice.getMetadata().getNamespace());
        attributes.put("k8s.service.name", serviceName);
        if (endpoint.getNodeName() != null) {
          attributes.put("k8s.node.name", endpoint.getNodeName());
        }
        ObjectReference ref = endpoint.getTargetRef();
        if (ref != null && "Pod".equals(ref.getKind())) {
          attributes.put("k8s.pod.name", ref.getName());
          if (ref.getUid() != null) {
            attributes.put("k8s.pod.uid", ref.getUid());
          }
          if (pods != null) {
            String namespace =
                ref.getNamespace() != null
                    ? ref.getNamespace()
                    : slice.getMetadata().getNamespace();
            attributes.putAll(pods.attributes(namespace, ref.getName()));
          }
        }
        for (String address : endpoint.getAddresses()) {
          String host = address.contains(":") ? "[" + address + "]" : address;
          for (int port : ports) {
            targets.add(
                new TargetSpec(
                    job,
                    host + ":" + port,
                    path.startsWith("/") ? path : "/" + path,
                    scheme,
                    attributes));
          }
        }
      }
    }
    return targets;
  }

  /** An endpoint is ready unless its conditions say it is not (as kube-proxy reads them). */
  private static boolean ready(Endpoint endpoint) {
    return endpoint.getConditions() == null
        || endpoint.getConditions().getReady() == null
        || endpoint.getConditions().getReady();
  }

  private static List<Integer> ports(EndpointSlice slice, String annotated) {
    if (annotated != null) {
      try {
        return List.of(Integer.valueOf(annotated.trim()));
      } catch (NumberFormatException e) {
        return List.of(); // a service asking to be scraped on no port: skipped
      }
    }
    List<Integer> ports = new ArrayList<>();
    for (EndpointPort port : slice.getPorts()) {
      if (port.getPort() != null
          && (port.getProtocol() == null || "TCP".equals(port.getProtocol()))) {
        ports.add(port.getPort());
      }
    }
    return ports;
  }
}
