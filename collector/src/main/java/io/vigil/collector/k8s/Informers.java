package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.vigil.collector.scrape.KubernetesSdConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The informers the Kubernetes jobs need, each started once (one list, then a watch) and shared by
 * every job that asks for the same kind, namespace and selectors: no API call per scrape, and only
 * the kinds some job uses are listed and kept in memory. Label and field selectors go to the API
 * server, so that objects they leave out are neither sent nor kept. Closed together.
 */
final class Informers implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Informers.class);

  /**
   * A kind of object and how the client lists it: in a namespace, or in all when given null (a kind
   * without namespaces ignores it).
   */
  record Kind<T extends HasMetadata>(
      String name,
      boolean namespaced,
      BiFunction<KubernetesClient, String, FilterWatchListDeletable<T, ?, ?>> query) {}

  static final Kind<Pod> PODS =
      new Kind<>(
          "pods",
          true,
          (c, ns) -> ns == null ? c.pods().inAnyNamespace() : c.pods().inNamespace(ns));
  static final Kind<Service> SERVICES =
      new Kind<>(
          "services",
          true,
          (c, ns) -> ns == null ? c.services().inAnyNamespace() : c.services().inNamespace(ns));
  static final Kind<Endpoints> ENDPOINTS =
      new Kind<>(
          "endpoints",
          true,
          (c, ns) -> ns == null ? c.endpoints().inAnyNamespace() : c.endpoints().inNamespace(ns));
  static final Kind<EndpointSlice> ENDPOINT_SLICES =
      new Kind<>(
          "endpointslices",
          true,
          (c, ns) ->
              ns == null
                  ? c.discovery().v1().endpointSlices().inAnyNamespace()
                  : c.discovery().v1().endpointSlices().inNamespace(ns));
  static final Kind<Ingress> INGRESSES =
      new Kind<>(
          "ingresses",
          true,
          (c, ns) ->
              ns == null
                  ? c.network().v1().ingresses().inAnyNamespace()
                  : c.network().v1().ingresses().inNamespace(ns));
  static final Kind<Node> NODES = new Kind<>("nodes", false, (c, ns) -> c.nodes());

  /** What one informer lists: a kind, in one namespace (null: all), with selectors. */
  private record Key(String kind, String namespace, String label, String field) {}

  private final KubernetesClient client;
  private final Map<Key, Shared<?>> informers = new LinkedHashMap<>();

  Informers(KubernetesClient client) {
    this.client = client;
  }

  /** One informer and who listens to it. */
  private static final class Shared<T extends HasMetadata> {
    final SharedIndexInformer<T> informer;
    final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    Shared(SharedIndexInformer<T> informer) {
      this.informer = informer;
      informer.addEventHandler(
          new ResourceEventHandler<>() {
            @Override
            public void onAdd(T object) {
              listeners.forEach(Runnable::run);
            }

            @Override
            public void onUpdate(T before, T after) {
              if (before.getMetadata() == null
                  || after.getMetadata() == null
                  || before.getMetadata().getResourceVersion() == null
                  || !before
                      .getMetadata()
                      .getResourceVersion()
                      .equals(after.getMetadata().getResourceVersion())) {
                listeners.forEach(Runnable::run);
              }
            }

            @Override
            public void onDelete(T object, boolean finalStateUnknown) {
              listeners.forEach(Runnable::run);
            }
          });
    }
  }

  /**
   * The objects of {@code kind} in {@code namespaces} (empty: all; ignored for a kind without
   * namespaces) that {@code selector} selects, kept current; starts the informers it needs and
   * waits (up to 30 s) for their first list. {@code extraFields}: field selector terms the
   * collector adds (a DaemonSet's node).
   */
  synchronized <T extends HasMetadata> Watched<T> watch(
      Kind<T> kind,
      List<String> namespaces,
      KubernetesSdConfig.Selector selector,
      Map<String, String> extraFields) {
    Map<String, String> fields = new LinkedHashMap<>(extraFields);
    fields.putAll(KubernetesSdConfig.Selector.fields(selector.field()));
    String field = fields.isEmpty() ? null : fields.toString();
    List<String> scopes = new ArrayList<>();
    if (namespaces.isEmpty() || !kind.namespaced()) {
      scopes.add(null);
    } else {
      namespaces.stream().distinct().forEach(scopes::add);
    }
    List<Shared<T>> shared = new ArrayList<>();
    for (String namespace : scopes) {
      Key key = new Key(kind.name(), namespace, selector.label(), field);
      @SuppressWarnings("unchecked")
      Shared<T> existing = (Shared<T>) informers.get(key);
      if (existing == null) {
        existing = start(kind, namespace, selector.label(), fields);
        informers.put(key, existing);
      }
      shared.add(existing);
    }
    return new Watched<>(shared);
  }

  private <T extends HasMetadata> Shared<T> start(
      Kind<T> kind, String namespace, String label, Map<String, String> fields) {
    FilterWatchListDeletable<T, ?, ?> query = kind.query().apply(client, namespace);
    if (label != null) {
      query = query.withLabelSelector(label);
    }
    for (Map.Entry<String, String> term : fields.entrySet()) {
      query =
          term.getValue().startsWith("!")
              ? query.withoutField(term.getKey(), term.getValue().substring(1))
              : query.withField(term.getKey(), term.getValue());
    }
    SharedIndexInformer<T> informer = query.runnableInformer(0);
    Shared<T> shared = new Shared<>(informer);
    String what =
        kind.name()
            + (namespace == null ? "" : " in namespace " + namespace)
            + (label == null ? "" : " with labels " + label)
            + (fields.isEmpty() ? "" : " with fields " + fields);
    try {
      informer.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      informer.close();
      throw new IllegalStateException("cannot list " + what + " from the Kubernetes API: " + e, e);
    }
    LOG.info("watching {} {} through the Kubernetes API", informer.getStore().list().size(), what);
    return shared;
  }

  /** The kinds of the informers running, by name. */
  synchronized List<String> kinds() {
    return informers.keySet().stream().map(Key::kind).distinct().sorted().toList();
  }

  @Override
  public synchronized void close() {
    informers.values().forEach(s -> s.informer.close());
    informers.clear();
  }

  /** The objects one or more informers keep (one per namespace), as one collection. */
  static final class Watched<T extends HasMetadata> {
    private final List<Shared<T>> shared;

    private Watched(List<Shared<T>> shared) {
      this.shared = shared;
    }

    /** The objects known now. */
    List<T> list() {
      List<T> all = new ArrayList<>();
      shared.forEach(s -> all.addAll(s.informer.getStore().list()));
      return all;
    }

    /** The object {@code namespace/name} (a node: {@code name}), or null. */
    T get(String namespace, String name) {
      String key = namespace == null ? name : namespace + "/" + name;
      for (Shared<T> s : shared) {
        T found = s.informer.getStore().getByKey(key);
        if (found != null) {
          return found;
        }
      }
      return null;
    }

    /**
     * Runs {@code listener} (on an informer's thread) whenever an object comes, changes or goes.
     */
    void onChange(Runnable listener) {
      shared.forEach(s -> s.listeners.add(listener));
    }
  }
}
