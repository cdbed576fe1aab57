package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vigil.collector.k8s.Informers.Watched;
import io.vigil.collector.scrape.DiscoveredTarget;
import io.vigil.collector.scrape.KubernetesSdConfig;
import io.vigil.collector.scrape.ScrapeSettings;
import io.vigil.model.config.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code kubernetes_sd_config} of one job, wired to the informers its role reads: its targets
 * now, and the changes after which they are worked out again. Which objects each role reads (as
 * Prometheus): {@code node} nodes; {@code service} Services; {@code ingress} Ingresses; {@code pod}
 * pods; {@code endpointslice} and {@code endpoints} those and their Services and pods; with {@code
 * attach_metadata.node} also nodes.
 *
 * @param source the scraper's source of these targets: {@code kubernetes:<job>:<index>:<role>}
 */
record RoleFeed(
    ScrapeSettings.Job job,
    String source,
    Supplier<List<DiscoveredTarget>> targets,
    List<Consumer<Runnable>> changes) {
  private static final Logger LOG = LoggerFactory.getLogger(RoleFeed.class);

  /**
   * Starts the informers one {@code kubernetes_sd_config} needs (or reuses those already started),
   * and says how its targets are worked out.
   */
  static RoleFeed start(
      ScrapeSettings.Job job,
      int index,
      KubernetesSdConfig sd,
      KubernetesSettings settings,
      KubernetesClient client,
      PodCatalog pods,
      Informers informers) {
    String at = "collector.scrape.jobs[" + job.job() + "].kubernetes_sd_configs[" + index + "].";
    List<String> namespaces = namespaces(sd.namespaces(), client, at);
    String node = settings.nodeName();
    boolean annotated = job.relabelConfigs().isEmpty();
    List<Consumer<Runnable>> changes = new ArrayList<>();
    Supplier<List<DiscoveredTarget>> found;
    String nodeLabel = null;
    if (node != null && (sd.role().equals("service") || sd.role().equals("ingress"))) {
      LOG.warn(
          "{}role: {} finds the whole cluster's targets, also with kubernetes.node_name: every"
              + " collector of a DaemonSet scrapes them all (run this job in one collector)",
          at,
          sd.role());
    }
    switch (sd.role()) {
      case "node" -> {
        Watched<Node> nodes =
            informers.watch(
                Informers.NODES,
                List.of(),
                sd.selector("node"),
                node == null ? Map.of() : Map.of("metadata.name", node));
        changes.add(nodes::onChange);
        found = () -> NodeTargets.all(nodes.list());
      }
      case "service" -> {
        Watched<Service> services =
            informers.watch(Informers.SERVICES, namespaces, sd.selector("service"), Map.of());
        changes.add(services::onChange);
        found = () -> ServiceTargets.all(services.list());
      }
      case "ingress" -> {
        Watched<Ingress> ingresses =
            informers.watch(Informers.INGRESSES, namespaces, sd.selector("ingress"), Map.of());
        changes.add(ingresses::onChange);
        found = () -> IngressTargets.all(ingresses.list());
      }
      case "pod" -> {
        PodSource source = PodSource.of(sd, namespaces, node, pods, informers);
        changes.add(source.changes());
        found =
            () ->
                annotated
                    ? PodTargets.annotated(source.list().get(), pods)
                    : PodTargets.all(source.list().get(), pods);
        nodeLabel = MetaLabels.PREFIX + "pod_node_name";
      }
      case "endpointslice" -> {
        Watched<Service> services =
            informers.watch(Informers.SERVICES, namespaces, sd.selector("service"), Map.of());
        Watched<EndpointSlice> slices =
            informers.watch(
                Informers.ENDPOINT_SLICES, namespaces, sd.selector("endpointslice"), Map.of());
        PodSource source = PodSource.of(sd, namespaces, node, pods, informers);
        changes.add(services::onChange);
        changes.add(slices::onChange);
        changes.add(source.changes()); // a pod's labels and owners are on its endpoints' targets
        found =
            () ->
                annotated
                    ? EndpointTargets.annotated(services.list(), slices.list(), node, pods)
                    : EndpointTargets.all(
                        services.list(), slices.list(), node, source.lookup(), pods);
        nodeLabel = MetaLabels.PREFIX + "endpointslice_endpoint_node_name";
      }
      case "endpoints" -> {
        Watched<Service> services =
            informers.watch(Informers.SERVICES, namespaces, sd.selector("service"), Map.of());
        Watched<Endpoints> endpoints =
            informers.watch(Informers.ENDPOINTS, namespaces, sd.selector("endpoints"), Map.of());
        PodSource source = PodSource.of(sd, namespaces, node, pods, informers);
        changes.add(services::onChange);
        changes.add(endpoints::onChange);
        changes.add(source.changes());
        found =
            () ->
                EndpointsTargets.all(
                    services.list(), endpoints.list(), node, source.lookup(), pods);
        nodeLabel = MetaLabels.PREFIX + "endpoint_node_name";
      }
      default -> throw new IllegalStateException("role " + sd.role()); // checked by the settings
    }
    if (sd.attachMetadata().node() && nodeLabel != null) {
      Watched<Node> nodes =
          informers.watch(
              Informers.NODES,
              List.of(),
              new KubernetesSdConfig.Selector("node", null, null),
              // with a node name, the targets are this node's: its node is the only one needed
              node == null ? Map.of() : Map.of("metadata.name", node));
      changes.add(nodes::onChange);
      Supplier<List<DiscoveredTarget>> bare = found;
      String label = nodeLabel;
      found = () -> NodeTargets.attach(bare.get(), label, name -> nodes.get(null, name));
    }
    String source = "kubernetes:" + job.job() + ":" + index + ":" + sd.role();
    return new RoleFeed(job, source, found, List.copyOf(changes));
  }

  /**
   * The namespaces watched: those named, and the collector's own with {@code own_namespace} (its
   * service account's, or its kubeconfig context's); empty for all.
   */
  private static List<String> namespaces(
      KubernetesSdConfig.Namespaces namespaces, KubernetesClient client, String at) {
    if (namespaces.all()) {
      return List.of();
    }
    List<String> names = new ArrayList<>(namespaces.names());
    if (namespaces.ownNamespace()) {
      String own = client.getNamespace();
      if (own == null || own.isBlank()) {
        throw new ConfigException(
            at + "namespaces.own_namespace",
            "true",
            "the collector's own namespace is unknown (no service account namespace, no"
                + " kubeconfig context namespace)");
      }
      names.add(own);
    }
    return List.copyOf(names);
  }

  /**
   * Where a role finds pods: the pod catalog when the job watches all namespaces without a pod
   * selector (no second copy of the pods), else an informer of its own with them.
   */
  private record PodSource(
      Supplier<List<Pod>> list,
      BiFunction<String, String, Pod> lookup,
      Consumer<Runnable> changes) {
    static PodSource of(
        KubernetesSdConfig sd,
        List<String> namespaces,
        String node,
        PodCatalog pods,
        Informers informers) {
      KubernetesSdConfig.Selector selector = sd.selector("pod");
      if (namespaces.isEmpty() && selector.label() == null && selector.field() == null) {
        return new PodSource(pods::pods, pods::pod, pods::onChange);
      }
      Watched<Pod> watched =
          informers.watch(
              Informers.PODS,
              namespaces,
              selector,
              node == null ? Map.of() : Map.of("spec.nodeName", node));
      return new PodSource(watched::list, watched::get, watched::onChange);
    }
  }
}
