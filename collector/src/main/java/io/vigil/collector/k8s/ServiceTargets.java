package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.vigil.collector.scrape.DiscoveredTarget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scrape targets among Services (role {@code service}), as Prometheus' {@code kubernetes_sd}
 * finds them: one per port of each Service, at {@code <service>.<namespace>.svc:<port>} (for a
 * blackbox probe, typically: a rule moves the address to {@code __param_target}). Pure.
 */
public final class ServiceTargets {
  private static final String SERVICE = MetaLabels.PREFIX + "service_";

  private ServiceTargets() {}

  /** One target per port of each of {@code services}. */
  public static List<DiscoveredTarget> all(List<Service> services) {
    List<DiscoveredTarget> targets = new ArrayList<>();
    for (Service service : services) {
      String name = service.getMetadata().getName();
      String namespace = service.getMetadata().getNamespace();
      Map<String, String> common = new LinkedHashMap<>();
      MetaLabels.service(service, common);
      Map<String, String> resource = new LinkedHashMap<>();
      resource.put("k8s.namespace.name", namespace);
      resource.put("k8s.service.name", name);
      ServiceSpec spec = service.getSpec() == null ? new ServiceSpec() : service.getSpec();
      for (ServicePort port : PodTargets.list(spec.getPorts())) {
        Map<String, String> labels = new LinkedHashMap<>(common);
        String number = port.getPort() == null ? "0" : port.getPort().toString();
        labels.put(DiscoveredTarget.ADDRESS, name + "." + namespace + ".svc:" + number);
        labels.put(SERVICE + "port_name", port.getName());
        labels.put(SERVICE + "port_number", number);
        labels.put(SERVICE + "port_protocol", port.getProtocol());
        labels.put(SERVICE + "type", spec.getType());
        if ("ExternalName".equals(spec.getType())) {
          labels.put(SERVICE + "external_name", spec.getExternalName());
        } else {
          labels.put(SERVICE + "cluster_ip", spec.getClusterIP());
        }
        if ("LoadBalancer".equals(spec.getType())) {
          labels.put(SERVICE + "loadbalancer_ip", spec.getLoadBalancerIP());
        }
        targets.add(new DiscoveredTarget(labels, resource));
      }
    }
    return targets;
  }
}
