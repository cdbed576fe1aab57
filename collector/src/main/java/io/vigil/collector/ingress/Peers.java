package io.vigil.collector.ingress;

import java.net.InetAddress;
import java.util.Map;

/**
 * Who sent a request, as resource attributes, by the address it came from: a pod's namespace, name,
 * labels and owners when the Kubernetes API knows a pod with that address ({@link
 * io.vigil.collector.k8s.PodCatalog#attributesAt}), else nothing.
 */
@FunctionalInterface
public interface Peers {
  /** The attributes of the sender at {@code address}; empty when it is not known. */
  Map<String, String> attributes(InetAddress address);

  /** Nobody is known. */
  static Peers none() {
    return address -> Map.of();
  }
}
