package io.vigil.collector.k8s;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's Services and EndpointSlices, from the Kubernetes API through fabric8 informers (one
 * list, then a watch each), for scraping annotated services' endpoints; tells listeners when either
 * changes.
 */
public final class ServiceCatalog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceCatalog.class);

  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<EndpointSlice> slices;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  private ServiceCatalog(
      SharedIndexInformer<Service> services, SharedIndexInformer<EndpointSlice> slices) {
    this.services = services;
    this.slices = slices;
  }

  /** Starts the informers and waits (up to 30 s) for their first list. */
  public static ServiceCatalog start(KubernetesClient client) {
    SharedIndexInformer<Service> services = client.services().inAnyNamespace().runnableInformer(0);
    SharedIndexInformer<EndpointSlice> slices =
        client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0);
    ServiceCatalog catalog = new ServiceCatalog(services, slices);
    services.addEventHandler(catalog.handler());
    slices.addEventHandler(catalog.handler());
    try {
      services.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
      slices.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      services.close();
      slices.close();
      throw new IllegalStateException(
          "cannot list services and endpoint slices from the Kubernetes API: " + e, e);
    }
    LOG.info(
        "watching {} service(s) and {} endpoint slice(s) through the Kubernetes API",
        services.getStore().list().size(),
        slices.getStore().list().size());
    return catalog;
  }

  private <T> ResourceEventHandler<T> handler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T object) {
        listeners.forEach(Runnable::run);
      }

      @Override
      public void onUpdate(T before, T after) {
        listeners.forEach(Runnable::run);
      }

      @Override
      public void onDelete(T object, boolean finalStateUnknown) {
        listeners.forEach(Runnable::run);
      }
    };
  }

  /** Runs {@code listener} (on an informer's thread) whenever a service or a slice changes. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  /** The services known now. */
  public List<Service> services() {
    return new ArrayList<>(services.getStore().list());
  }

  /** The endpoint slices known now. */
  public List<EndpointSlice> endpointSlices() {
    return new ArrayList<>(slices.getStore().list());
  }

  @Override
  public void close() {
    services.close();
    slices.close();
  }
}
