package io.vigil.collector.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vigil.collector.scrape.Scraper;

/**
 * The collector's view of the Kubernetes API: the client, the pods (of its node, for a DaemonSet)
 * and, when it scrapes services, the Services and EndpointSlices — and the scrape targets found in
 * them, kept current in a {@link Scraper}.
 */
public final class KubernetesDiscovery implements AutoCloseable {
  private final KubernetesSettings settings;
  private final KubernetesClient client;
  private final PodCatalog pods;
  private final ServiceCatalog services;

  private KubernetesDiscovery(
      KubernetesSettings settings,
      KubernetesClient client,
      PodCatalog pods,
      ServiceCatalog services) {
    this.settings = settings;
    this.client = client;
    this.pods = pods;
    this.services = services;
  }

  /**
   * Connects as fabric8 does (service account in a pod, else KUBECONFIG) and lists what it needs.
   */
  public static KubernetesDiscovery start(KubernetesSettings settings) {
    return start(settings, new KubernetesClientBuilder().build());
  }

  /** As {@link #start(KubernetesSettings)} on {@code client}, which it closes. */
  public static KubernetesDiscovery start(KubernetesSettings settings, KubernetesClient client) {
    PodCatalog pods = null;
    try {
      pods = PodCatalog.start(client, settings.nodeName());
      ServiceCatalog services = settings.scrapeServices() ? ServiceCatalog.start(client) : null;
      return new KubernetesDiscovery(settings, client, pods, services);
    } catch (RuntimeException e) {
      if (pods != null) {
        pods.close();
      }
      client.close();
      throw e;
    }
  }

  /** The pods and their owners. */
  public PodCatalog pods() {
    return pods;
  }

  /** Whether it finds scrape targets (annotated pods or services). */
  public boolean scrapes() {
    return settings.scrapePods() || settings.scrapeServices();
  }

  /**
   * Keeps {@code scraper}'s Kubernetes targets current: annotated pods (source {@code kubernetes})
   * and annotated services' endpoints (source {@code kubernetes-services}), replaced whenever pods,
   * services or endpoint slices change.
   */
  public void feed(Scraper scraper) {
    if (settings.scrapePods()) {
      Runnable refresh =
          () ->
              scraper.replace("kubernetes", PodTargets.of(pods.pods(), pods, settings.scrapeJob()));
      pods.onChange(refresh);
      refresh.run();
    }
    if (services != null) {
      Runnable refresh =
          () ->
              scraper.replace(
                  "kubernetes-services",
                  EndpointTargets.of(
                      services.services(),
                      services.endpointSlices(),
                      settings.nodeName(),
                      pods,
                      settings.serviceScrapeJob()));
      services.onChange(refresh);
      pods.onChange(refresh); // a pod's labels and owners are on its endpoints' targets
      refresh.run();
    }
  }

  @Override
  public void close() {
    if (services != null) {
      services.close();
    }
    pods.close();
    client.close();
  }
}
