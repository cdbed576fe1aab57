package io.vigil.collector.ingress;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Which pod sent some data, as resource attributes (namespace, name, uid, labels, owners), the way
 * the OpenTelemetry Collector's {@code k8sattributes} associates it: by the resource's own {@code
 * k8s.pod.uid}, else its {@code k8s.pod.ip} (data relayed by a gateway or an agent), else the
 * address the request came from ({@link #identify}). Implemented by {@link
 * io.vigil.collector.k8s.PodCatalog}.
 */
public interface Peers {
  /** The identity of the pod with IP address {@code address}; empty when it is not known. */
  Map<String, String> attributesAt(String address);

  /** The identity of the pod with {@code uid}; empty when it is not known. */
  Map<String, String> identityOf(String uid);

  /**
   * The identity of a resource's pod: by {@code uid}, else by {@code ip} (the resource's own
   * attributes, either may be null), else by {@code connection}, the first that is known.
   */
  default Map<String, String> identify(String uid, String ip, String connection) {
    Map<String, String> found = uid == null ? Map.of() : identityOf(uid);
    if (found.isEmpty() && ip != null) {
      found = attributesAt(ip);
    }
    return found.isEmpty() ? attributesAt(connection) : found;
  }

  /** Nobody is known. */
  Peers NONE =
      new Peers() {
        @Override
        public Map<String, String> attributesAt(String address) {
          return Map.of();
        }

        @Override
        public Map<String, String> identityOf(String uid) {
          return Map.of();
        }
      };

  /** Nobody is known. */
  static Peers none() {
    return NONE;
  }

  /** Whoever {@code current} knows when asked; nobody while it gives null (not started yet). */
  static Peers deferred(Supplier<? extends Peers> current) {
    return new Peers() {
      @Override
      public Map<String, String> attributesAt(String address) {
        Peers peers = current.get();
        return peers == null ? Map.of() : peers.attributesAt(address);
      }

      @Override
      public Map<String, String> identityOf(String uid) {
        Peers peers = current.get();
        return peers == null ? Map.of() : peers.identityOf(uid);
      }
    };
  }
}
