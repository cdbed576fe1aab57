package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Service;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code __meta_kubernetes_*} labels Prometheus' {@code kubernetes_sd} gives a target, shared
 * by the roles (an object's name, labels and annotations; a pod's; a Service's): the same names,
 * the same values, label and annotation keys sanitized as Prometheus does (every character but
 * {@code [a-zA-Z0-9_]} becomes {@code _}). Pure.
 */
final class MetaLabels {
  static final String PREFIX = "__meta_kubernetes_";
  static final String NAMESPACE = PREFIX + "namespace";

  private MetaLabels() {}

  /** A label or annotation key as part of a label name: {@code app.kubernetes.io/name} → … */
  static String sanitize(String key) {
    StringBuilder sb = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      sb.append(ok || c == '_' ? c : '_');
    }
    return sb.toString();
  }

  /**
   * {@code __meta_kubernetes_<role>_name}, {@code _<role>_label_<key>}, {@code
   * _<role>_labelpresent_<key>}, {@code _<role>_annotation_<key>}, {@code
   * _<role>_annotationpresent_<key>}.
   */
  static void object(String role, ObjectMeta meta, Map<String, String> out) {
    String prefix = PREFIX + role + "_";
    out.put(prefix + "name", meta.getName());
    if (meta.getLabels() != null) {
      meta.getLabels()
          .forEach(
              (k, v) -> {
                out.put(prefix + "label_" + sanitize(k), v);
                out.put(prefix + "labelpresent_" + sanitize(k), "true");
              });
    }
    if (meta.getAnnotations() != null) {
      meta.getAnnotations()
          .forEach(
              (k, v) -> {
                out.put(prefix + "annotation_" + sanitize(k), v);
                out.put(prefix + "annotationpresent_" + sanitize(k), "true");
              });
    }
  }

  /** A pod's labels (not its containers'), without the namespace: Prometheus' {@code podLabels}. */
  static void pod(Pod pod, Map<String, String> out) {
    var status = pod.getStatus();
    var spec = pod.getSpec();
    out.put(PREFIX + "pod_ip", status == null ? null : status.getPodIP());
    out.put(PREFIX + "pod_ready", ready(pod));
    out.put(PREFIX + "pod_phase", status == null ? null : status.getPhase());
    out.put(PREFIX + "pod_node_name", spec == null ? null : spec.getNodeName());
    out.put(PREFIX + "pod_host_ip", status == null ? null : status.getHostIP());
    out.put(PREFIX + "pod_uid", pod.getMetadata().getUid());
    object("pod", pod.getMetadata(), out);
    List<OwnerReference> owners = pod.getMetadata().getOwnerReferences();
    if (owners != null) {
      for (OwnerReference owner : owners) {
        if (Boolean.TRUE.equals(owner.getController())) {
          out.put(PREFIX + "pod_controller_kind", owner.getKind());
          out.put(PREFIX + "pod_controller_name", owner.getName());
          break;
        }
      }
    }
  }

  /** {@code true}, {@code false} or {@code unknown}: the pod's Ready condition, lower case. */
  private static String ready(Pod pod) {
    if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
      for (PodCondition condition : pod.getStatus().getConditions()) {
        if ("Ready".equals(condition.getType()) && condition.getStatus() != null) {
          return condition.getStatus().toLowerCase(Locale.ROOT);
        }
      }
    }
    return "unknown";
  }

  /** A container's labels: name, id (from the pod's status), image, whether an init container. */
  static void container(Pod pod, Container container, boolean init, Map<String, String> out) {
    out.put(PREFIX + "pod_container_name", container.getName());
    out.put(PREFIX + "pod_container_id", containerId(pod, container.getName(), init));
    out.put(PREFIX + "pod_container_image", container.getImage());
    out.put(PREFIX + "pod_container_init", Boolean.toString(init));
  }

  /** A container port's labels: name, number, protocol. */
  static void port(ContainerPort port, Map<String, String> out) {
    out.put(PREFIX + "pod_container_port_name", port.getName());
    out.put(
        PREFIX + "pod_container_port_number",
        port.getContainerPort() == null ? null : port.getContainerPort().toString());
    out.put(PREFIX + "pod_container_port_protocol", port.getProtocol());
  }

  private static String containerId(Pod pod, String name, boolean init) {
    if (pod.getStatus() == null) {
      return null;
    }
    List<ContainerStatus> statuses =
        init ? pod.getStatus().getInitContainerStatuses() : pod.getStatus().getContainerStatuses();
    if (statuses != null) {
      for (ContainerStatus status : statuses) {
        if (name != null && name.equals(status.getName())) {
          return status.getContainerID();
        }
      }
    }
    return null;
  }

  /** A Service's labels: its namespace, {@code _service_name}, its labels and annotations. */
  static void service(Service service, Map<String, String> out) {
    out.put(NAMESPACE, service.getMetadata().getNamespace());
    object("service", service.getMetadata(), out);
  }
}
