package io.vigil.collector.k8s;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The Kubernetes API ({@code kubernetes} in the collector's configuration): pods and their owners
 * through informers, for log records' and scraped metrics' resources and for finding scrape
 * targets. The connection is fabric8's usual: in a pod, its service account; elsewhere, {@code
 * KUBECONFIG}.
 *
 * @param enabled whether to watch the API at all; default false
 * @param nodeName only the pods of this node (a DaemonSet's collector: {@code ${NODE_NAME}});
 *     default all pods
 * @param scrapePods scrape pods annotated {@code prometheus.io/scrape: "true"}: short for a job
 *     {@code scrape_job} with {@code kubernetes_sd_configs: [{role: pod}]} and no {@code
 *     relabel_configs}; default false
 * @param scrapeJob the job name of those targets; default {@code kubernetes-pods}
 * @param scrapeServices scrape the endpoints of Services annotated {@code prometheus.io/scrape:
 *     "true"} (with {@code node_name}, only the endpoints on this node): short for a job {@code
 *     service_scrape_job} with {@code role: endpointslice}; default false
 * @param serviceScrapeJob the job name of those targets; default {@code
 *     kubernetes-service-endpoints}
 */
public record KubernetesSettings(
    @JsonProperty("enabled") Boolean enabled,
    @JsonProperty("node_name") String nodeName,
    @JsonProperty("scrape_pods") Boolean scrapePods,
    @JsonProperty("scrape_job") String scrapeJob,
    @JsonProperty("scrape_services") Boolean scrapeServices,
    @JsonProperty("service_scrape_job") String serviceScrapeJob) {

  /** Applies defaults. */
  public KubernetesSettings {
    if (enabled == null) {
      enabled = false;
    }
    if (nodeName != null && nodeName.isBlank()) {
      nodeName = null;
    }
    if (scrapePods == null) {
      scrapePods = false;
    }
    if (scrapeJob == null || scrapeJob.isBlank()) {
      scrapeJob = "kubernetes-pods";
    }
    if (scrapeServices == null) {
      scrapeServices = false;
    }
    if (serviceScrapeJob == null || serviceScrapeJob.isBlank()) {
      serviceScrapeJob = "kubernetes-service-endpoints";
    }
  }

  /** Not watching. */
  public static KubernetesSettings defaults() {
    return new KubernetesSettings(null, null, null, null, null, null);
  }
}
