package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.vigil.collector.ingress.Peers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pods of this node (or of the cluster) and their owners, from the Kubernetes API through
 * fabric8 informers: one list and then a watch each for pods, ReplicaSets and Jobs, kept in memory
 * — no API call per log line or per scrape. Gives a pod's resource attributes by its uid ({@code
 * k8s.pod.label.<key>} for each label, {@code k8s.deployment.name}, {@code k8s.replicaset.name},
 * {@code k8s.daemonset.name}, {@code k8s.statefulset.name}, {@code k8s.job.name}, {@code
 * k8s.cronjob.name}, {@code k8s.node.name}) and tells listeners when pods change.
 */
public final class PodCatalog implements AutoCloseable, Peers {
  private static final Logger LOG = LoggerFactory.getLogger(PodCatalog.class);
  private static final String BY_UID = "uid";
  private static final String BY_IP = "ip";

  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<ReplicaSet> replicaSets;
  private final SharedIndexInformer<Job> jobs;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  private PodCatalog(
      SharedIndexInformer<Pod> pods,
      SharedIndexInformer<ReplicaSet> replicaSets,
      SharedIndexInformer<Job> jobs) {
    this.pods = pods;
    this.replicaSets = replicaSets;
    this.jobs = jobs;
  }

  /**
   * Starts the informers and waits (up to 30 s) for their first list. {@code nodeName}: only the
   * pods scheduled on that node (a DaemonSet's collector), or all when null.
   */
  public static PodCatalog start(KubernetesClient client, String nodeName) {
    var podQuery =
        nodeName == null || nodeName.isBlank()
            ? client.pods().inAnyNamespace()
            : client.pods().inAnyNamespace().withField("spec.nodeName", nodeName);
    SharedIndexInformer<Pod> pods = podQuery.runnableInformer(0);
    pods.addIndexers(
        Map.of(BY_UID, pod -> List.of(pod.getMetadata().getUid()), BY_IP, PodCatalog::addresses));
    SharedIndexInformer<ReplicaSet> replicaSets =
        client.apps().replicaSets().inAnyNamespace().runnableInformer(0);
    SharedIndexInformer<Job> jobs = client.batch().v1().jobs().inAnyNamespace().runnableInformer(0);
    PodCatalog catalog = new PodCatalog(pods, replicaSets, jobs);
    pods.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod pod) {
            catalog.changed();
          }

          @Override
          public void onUpdate(Pod before, Pod after) {
            catalog.changed();
          }

          @Override
          public void onDelete(Pod pod, boolean finalStateUnknown) {
            catalog.changed();
          }
        });
    try {
      replicaSets.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
      jobs.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
      pods.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      pods.close();
      replicaSets.close();
      jobs.close();
      throw new IllegalStateException("cannot list pods from the Kubernetes API: " + e, e);
    }
    LOG.info(
        "watching {} pod(s){} through the Kubernetes API",
        pods.getStore().list().size(),
        nodeName == null || nodeName.isBlank() ? "" : " on node " + nodeName);
    return catalog;
  }

  private void changed() {
    listeners.forEach(Runnable::run);
  }

  /** Runs {@code listener} (on the informer's thread) whenever a pod is added, changed or gone. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  /** The pods known now. */
  public List<Pod> pods() {
    return new ArrayList<>(pods.getStore().list());
  }

  /** The pod {@code namespace/name}, or null when it is not known. */
  public Pod pod(String namespace, String name) {
    return pods.getStore().getByKey(namespace + "/" + name);
  }

  /** The resource attributes of the pod with {@code uid}; empty when it is not known. */
  public Map<String, String> attributes(String uid) {
    Pod pod = withUid(uid);
    return pod == null ? Map.of() : attributes(pod);
  }

  /**
   * The identity of the pod with {@code uid} — its namespace, name and uid besides {@link
   * #attributes(Pod)} — for data whose resource names its pod ({@code k8s.pod.uid}); empty when it
   * is not known.
   */
  @Override
  public Map<String, String> identityOf(String uid) {
    Pod pod = withUid(uid);
    return pod == null ? Map.of() : identity(pod);
  }

  private Pod withUid(String uid) {
    if (uid == null) {
      return null;
    }
    List<Pod> found = pods.getIndexer().byIndex(BY_UID, uid);
    return found.isEmpty() ? null : found.get(0);
  }

  /**
   * The resource attributes of the pod that has IP address {@code address} — its namespace, name
   * and uid besides {@link #attributes(Pod)} — for data a pod sent the collector directly (the
   * OpenTelemetry Collector's {@code k8sattributes} associates by the connection's address the same
   * way), or whose resource gives its pod's address ({@code k8s.pod.ip}). Empty when no pod of this
   * catalog has it; a pod on the host's network is never matched (its address is the node's, shared
   * by all of them); among several pods with the address (a finished one keeps it a while), a
   * running one.
   */
  @Override
  public Map<String, String> attributesAt(String address) {
    if (address == null) {
      return Map.of();
    }
    Pod match = null;
    for (Pod pod : pods.getIndexer().byIndex(BY_IP, address)) {
      if (match == null
          || (pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase()))) {
        match = pod;
      }
    }
    return match == null ? Map.of() : identity(match);
  }

  private Map<String, String> identity(Pod pod) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("k8s.namespace.name", pod.getMetadata().getNamespace());
    out.put("k8s.pod.name", pod.getMetadata().getName());
    out.put("k8s.pod.uid", pod.getMetadata().getUid());
    out.putAll(attributes(pod));
    return out;
  }

  /** A pod's own IP addresses; none for a pod on the host's network. */
  private static List<String> addresses(Pod pod) {
    if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
      return List.of();
    }
    if (pod.getStatus() == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (pod.getStatus().getPodIPs() != null) {
      pod.getStatus().getPodIPs().forEach(ip -> out.add(ip.getIp()));
    }
    if (pod.getStatus().getPodIP() != null && !out.contains(pod.getStatus().getPodIP())) {
      out.add(pod.getStatus().getPodIP());
    }
    return out;
  }

  /** The resource attributes of the pod {@code namespace/name}; empty when it is not known. */
  public Map<String, String> attributes(String namespace, String name) {
    Pod pod = pod(namespace, name);
    return pod == null ? Map.of() : attributes(pod);
  }

  /** The resource attributes of {@code pod}: its labels, owners and node. */
  public Map<String, String> attributes(Pod pod) {
    Map<String, String> out = new LinkedHashMap<>();
    if (pod.getSpec() != null && pod.getSpec().getNodeName() != null) {
      out.put("k8s.node.name", pod.getSpec().getNodeName());
    }
    if (pod.getMetadata().getLabels() != null) {
      pod.getMetadata().getLabels().forEach((k, v) -> out.put("k8s.pod.label." + k, v));
    }
    for (OwnerReference owner : owners(pod.getMetadata().getOwnerReferences())) {
      switch (owner.getKind()) {
        case "ReplicaSet" -> {
          out.put("k8s.replicaset.name", owner.getName());
          ReplicaSet rs =
              replicaSets
                  .getStore()
                  .getByKey(pod.getMetadata().getNamespace() + "/" + owner.getName());
          if (rs != null) {
            for (OwnerReference top : owners(rs.getMetadata().getOwnerReferences())) {
              if (top.getKind().equals("Deployment")) {
                out.put("k8s.deployment.name", top.getName());
              }
            }
          }
        }
        case "DaemonSet" -> out.put("k8s.daemonset.name", owner.getName());
        case "StatefulSet" -> out.put("k8s.statefulset.name", owner.getName());
        case "Job" -> {
          out.put("k8s.job.name", owner.getName());
          Job job =
              jobs.getStore().getByKey(pod.getMetadata().getNamespace() + "/" + owner.getName());
          if (job != null) {
            for (OwnerReference top : owners(job.getMetadata().getOwnerReferences())) {
              if (top.getKind().equals("CronJob")) {
                out.put("k8s.cronjob.name", top.getName());
              }
            }
          }
        }
        default -> {}
      }
    }
    return out;
  }

  private static List<OwnerReference> owners(List<OwnerReference> references) {
    if (references == null) {
      return List.of();
    }
    return references.stream().filter(r -> Boolean.TRUE.equals(r.getController())).toList();
  }

  @Override
  public void close() {
    pods.close();
    replicaSets.close();
    jobs.close();
  }
}
