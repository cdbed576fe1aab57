package io.vigil.collector.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vigil.collector.scrape.ScrapeSettings;
import io.vigil.collector.scrape.Scraper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's view of the Kubernetes API: the client, the pods (of its node, for a DaemonSet)
 * and the objects of the roles its Kubernetes jobs use — informers started only for those kinds,
 * namespaces and selectors, shared between jobs that ask for the same — and the scrape targets
 * found in them for each job's {@code kubernetes_sd_configs}, kept current in a {@link Scraper}.
 */
public final class KubernetesDiscovery implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesDiscovery.class);

  /**
   * How long a change waits for others before a job's targets are worked out again: a rollout
   * changes hundreds of pods in a few seconds, and each recomputation walks every object of the
   * role (Prometheus' discovery manager sends its updates at most every 5 s).
   */
  static final Duration SETTLE = Duration.ofSeconds(1);

  private final ScheduledExecutorService refreshes =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "vigil-collector-k8s-targets");
            t.setDaemon(true);
            return t;
          });
  private final KubernetesClient client;
  private final PodCatalog pods;
  private final Informers informers;
  private final List<RoleFeed> feeds;

  private KubernetesDiscovery(
      KubernetesClient client, PodCatalog pods, Informers informers, List<RoleFeed> feeds) {
    this.client = client;
    this.pods = pods;
    this.informers = informers;
    this.feeds = feeds;
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

  /**
   * As {@link #start(KubernetesSettings, ScrapeSettings)} on {@code client}, which it closes. Lists
   * (and then watches) the pods, and the objects each Kubernetes job needs, before it returns.
   */
  public static KubernetesDiscovery start(
      KubernetesSettings settings, ScrapeSettings scrape, KubernetesClient client) {
    PodCatalog pods = null;
    Informers informers = new Informers(client);
    try {
      pods = PodCatalog.start(client, settings.nodeName());
      List<RoleFeed> feeds = new ArrayList<>();
      for (ScrapeSettings.Job job : jobs(settings, scrape)) {
        for (int i = 0; i < job.kubernetesSdConfigs().size(); i++) {
          feeds.add(
              RoleFeed.start(
                  job, i, job.kubernetesSdConfigs().get(i), settings, client, pods, informers));
        }
      }
      return new KubernetesDiscovery(client, pods, informers, List.copyOf(feeds));
    } catch (RuntimeException e) {
      informers.close();
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
    return !feeds.isEmpty();
  }

  /** The kinds of objects watched for the jobs, besides the pod catalog's (for tests). */
  List<String> watchedKinds() {
    return informers.kinds();
  }

  /**
   * Keeps {@code scraper}'s Kubernetes targets current, for each job and {@code
   * kubernetes_sd_config}, worked out again {@link #SETTLE} after an object they come from changes
   * (the changes in between are taken together), on one thread, so an older list never lands last.
   * A job of role {@code pod} or {@code endpointslice} without {@code relabel_configs} takes what
   * the {@code prometheus.io/*} annotations ask for; any other, every target of its role, for its
   * rules.
   */
  public void feed(Scraper scraper) {
    for (RoleFeed feed : feeds) {
      Runnable refresh =
          () -> {
            try {
              scraper.discovered(feed.source(), feed.job(), feed.targets().get());
            } catch (RuntimeException e) {
              LOG.warn("cannot work out the targets of job {}: {}", feed.job().job(), e.toString());
            }
          };
      AtomicBoolean due = new AtomicBoolean();
      Runnable changed =
          () -> {
            if (due.compareAndSet(false, true)) {
              refreshes.schedule(
                  () -> {
                    due.set(false); // a change from here on is seen by a later refresh
                    refresh.run();
                  },
                  SETTLE.toMillis(),
                  TimeUnit.MILLISECONDS);
            }
          };
      feed.changes().forEach(change -> change.accept(changed));
      try {
        refreshes.submit(refresh).get(); // the first list before feed returns
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }
  }

  @Override
  public void close() {
    refreshes.shutdownNow();
    informers.close();
    pods.close();
    client.close();
  }
}
