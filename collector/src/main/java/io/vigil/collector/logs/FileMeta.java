package io.vigil.collector.logs;

import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.otlp.OtlpAttributes;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a log file's path says about where its lines come from. For the kubelet's layout, {@code
 * /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log}: the namespace, pod, pod uid,
 * container and restart count, with {@code service.name} the container's name (the processor and
 * the rules group logs by it); any other file is a plain log whose service is its file name. Extra
 * resource attributes from the configuration (cluster, node, environment) are added to every
 * file's.
 *
 * @param resource the OTLP resource of the file's records
 * @param service the Kafka key: the resource's {@code service.name}
 * @param podUid the pod's uid from the path, or null for a plain file
 */
record FileMeta(Resource resource, String service, String podUid) {

  static FileMeta of(Path path, Map<String, String> extra) {
    Resource.Builder resource = Resource.newBuilder();
    String service;
    String uid = null;
    Path container = path.getParent();
    Path pod = container == null ? null : container.getParent();
    String[] podParts = pod == null ? new String[0] : pod.getFileName().toString().split("_", -1);
    String file = path.getFileName().toString();
    if (podParts.length == 3 && file.endsWith(".log")) {
      service = container.getFileName().toString();
      put(resource, OtlpAttributes.K8S_NAMESPACE, podParts[0]);
      put(resource, "k8s.pod.name", podParts[1]);
      put(resource, "k8s.pod.uid", podParts[2]);
      uid = podParts[2];
      put(resource, "k8s.container.name", service);
      String restart = file.substring(0, file.length() - ".log".length());
      if (!restart.isEmpty() && restart.chars().allMatch(Character::isDigit)) {
        resource.addAttributes(
            OtlpAttributes.integer("k8s.container.restart_count", Long.parseLong(restart)));
      }
    } else {
      int dot = file.lastIndexOf('.');
      service = dot > 0 ? file.substring(0, dot) : file;
    }
    put(resource, OtlpAttributes.SERVICE_NAME, service);
    extra.forEach((key, value) -> put(resource, key, value));
    return new FileMeta(resource.build(), service, uid);
  }

  /** The resource with {@code more} attributes (a pod's labels and owners) added. */
  Resource with(Map<String, String> more) {
    if (more.isEmpty()) {
      return resource;
    }
    Resource.Builder out = resource.toBuilder();
    more.forEach((key, value) -> put(out, key, value));
    return out.build();
  }

  private static void put(Resource.Builder resource, String key, String value) {
    resource.addAttributes(OtlpAttributes.string(key, value));
  }
}
