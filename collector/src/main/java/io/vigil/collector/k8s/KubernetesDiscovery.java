package io.vigil.collector.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vigil.collector.scrape.DiscoveredTarget;
import io.vigil.collector.scrape.ScrapeSettings;
import io.vigil.collector.scrape.Scraper;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The collector's view of the Kubernetes API: the client, the pods (of its node, for a DaemonSet)
 * and, when a job scrapes endpoints, the Services and EndpointSlices — and the scrape targets found
 * in them for each Kubernetes job, kept current in a {@link Scraper}.
 */
public final class KubernetesDiscovery implements AutoCloseable {
  private final KubernetesSettings settings;
  private final List<ScrapeSettings.Job> jobs;
  private final KubernetesClient client;
  private final PodCatalog pods;
  private final ServiceCatalog services;

  private KubernetesDiscovery(
      KubernetesSettings settings,
      List<ScrapeSettings.Job> jobs,
      KubernetesClient client,
      PodCatalog pods,
      ServiceCatalog services) {
    this.settings = settings;
    this.jobs = jobs;
    this.client = client;
    this.pods = pods;
    this.services = services;
  }

  /**
   * The jobs whose targets are Kubernetes objects: those of {@code scrape.jobs} with {@code
   * kubernetes_sd_configs} (when scraping is enabled), and the ones {@code kubernetes.scrape_pods}
   * and {@code scrape_services} stand for.
   */
  public static List<ScrapeSettings.Job> jobs(KubernetesSettings settings, ScrapeSettings scrape) {
    List<ScrapeSettings.Job> jobs = new ArrayList<>();
    if (scrape.enabled()) {
      scrape.jobs().stream().filter(j -> !j.kubernetesSdConfigs().isEmpty()).forEach(jobs::add);
    }
    if (settings.scrapePods()) {
      jobs.add(ScrapeSettings.Job.annotated(settings.scrapeJob(), "pod"));
    }
    if (settings.scrapeServices()) {
      jobs.add(ScrapeSettings.Job.annotated(settings.serviceScrapeJob(), "endpointslice"));
    }
    return List.copyOf(jobs);
  }

  /**
   * Connects as fabric8 does (service account in a pod, else KUBECONFIG) and lists what it needs.
   */
  public static KubernetesDiscovery start(KubernetesSettings settings, ScrapeSettings scrape) {
    return start(settings, scrape, new KubernetesClientBuilder().build());
  }

  /** As {@link #start(KubernetesSettings, ScrapeSettings)} on {@code client}, which it closes. */
  public static KubernetesDiscovery start(
      KubernetesSettings settings, ScrapeSettings scrape, KubernetesClient client) {
    List<ScrapeSettings.Job> jobs = jobs(settings, scrape);
    PodCatalog pods = null;
    try {
      pods = PodCatalog.start(client, settings.nodeName());
      boolean endpoints = jobs.stream().anyMatch(j -> j.discovers("endpointslice"));
      ServiceCatalog services = endpoints ? ServiceCatalog.start(client) : null;
      return new KubernetesDiscovery(settings, jobs, client, pods, services);
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

  /** Whether it finds scrape targets (a job has a Kubernetes role). */
  public boolean scrapes() {
    return !jobs.isEmpty();
  }

  /**
   * Keeps {@code scraper}'s Kubernetes targets current, for each job and role (source {@code
   * kubernetes:<job>:<role>}), worked out again whenever pods, services or endpoint slices change.
   * A job without {@code relabel_configs} takes what the {@code prometheus.io/*} annotations ask
   * for; one with rules, every target of its role, for the rules to choose.
   */
  public void feed(Scraper scraper) {
    for (ScrapeSettings.Job job : jobs) {
      boolean annotated = job.relabelConfigs().isEmpty();
      if (job.discovers("pod")) {
        Supplier<List<DiscoveredTarget>> found =
            () ->
                annotated
                    ? PodTargets.annotated(pods.pods(), pods)
                    : PodTargets.all(pods.pods(), pods);
        Runnable refresh = () -> scraper.discovered(source(job, "pod"), job, found.get());
        pods.onChange(refresh);
        refresh.run();
      }
      if (job.discovers("endpointslice")) {
        Supplier<List<DiscoveredTarget>> found =
            () ->
                annotated
                    ? EndpointTargets.annotated(
                        services.services(), services.endpointSlices(), settings.nodeName(), pods)
                    : EndpointTargets.all(
                        services.services(), services.endpointSlices(), settings.nodeName(), pods);
        Runnable refresh = () -> scraper.discovered(source(job, "endpointslice"), job, found.get());
        services.onChange(refresh);
        pods.onChange(refresh); // a pod's labels and owners are on its endpoints' targets
        refresh.run();
      }
    }
  }

  private static String source(ScrapeSettings.Job job, String role) {
    return "kubernetes:" + job.job() + ":" + role;
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
