package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLS;
import io.vigil.collector.scrape.DiscoveredTarget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scrape targets among Ingresses ({@code networking.k8s.io/v1}, role {@code ingress}), as
 * Prometheus' {@code kubernetes_sd} finds them: one per path of each rule ({@code /} for a rule
 * without paths or an empty path), at the rule's host, {@code https} when a TLS entry's host (or
 * wildcard {@code *.example.com}) covers it. Usually probed through the blackbox exporter. Pure.
 */
public final class IngressTargets {
  private static final String INGRESS = MetaLabels.PREFIX + "ingress_";

  private IngressTargets() {}

  /** One target per rule and path of each of {@code ingresses}. */
  public static List<DiscoveredTarget> all(List<Ingress> ingresses) {
    List<DiscoveredTarget> targets = new ArrayList<>();
    for (Ingress ingress : ingresses) {
      Map<String, String> common = new LinkedHashMap<>();
      common.put(MetaLabels.NAMESPACE, ingress.getMetadata().getNamespace());
      MetaLabels.object("ingress", ingress.getMetadata(), common);
      if (ingress.getSpec() == null) {
        continue;
      }
      common.put(INGRESS + "class_name", ingress.getSpec().getIngressClassName());
      Map<String, String> resource =
          Map.of("k8s.namespace.name", ingress.getMetadata().getNamespace());
      for (IngressRule rule : PodTargets.list(ingress.getSpec().getRules())) {
        String host = rule.getHost() == null ? "" : rule.getHost();
        String scheme = "http";
        for (IngressTLS tls : PodTargets.list(ingress.getSpec().getTls())) {
          if (PodTargets.list(tls.getHosts()).stream().anyMatch(p -> matches(p, host))) {
            scheme = "https";
            break;
          }
        }
        for (String path : paths(rule)) {
          Map<String, String> labels = new LinkedHashMap<>(common);
          labels.put(DiscoveredTarget.ADDRESS, host);
          labels.put(INGRESS + "scheme", scheme);
          labels.put(INGRESS + "host", host);
          labels.put(INGRESS + "path", path);
          targets.add(new DiscoveredTarget(labels, resource));
        }
      }
    }
    return targets;
  }

  private static List<String> paths(IngressRule rule) {
    if (rule.getHttp() == null) {
      return List.of("/");
    }
    List<String> paths = new ArrayList<>();
    for (HTTPIngressPath path : PodTargets.list(rule.getHttp().getPaths())) {
      paths.add(path.getPath() == null || path.getPath().isEmpty() ? "/" : path.getPath());
    }
    return paths;
  }

  /** Prometheus' {@code matchesHostnamePattern}: equal, or {@code *.rest} over one label. */
  static boolean matches(String pattern, String host) {
    if (pattern == null) {
      return false;
    }
    if (pattern.equals(host)) {
      return true;
    }
    String[] patternParts = pattern.split("\\.", -1);
    String[] hostParts = host.split("\\.", -1);
    if (!patternParts[0].equals("*") || patternParts.length != hostParts.length) {
      return false;
    }
    for (int i = 1; i < patternParts.length; i++) {
      if (!patternParts[i].equals(hostParts[i])) {
        return false;
      }
    }
    return true;
  }
}
