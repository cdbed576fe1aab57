package io.vigil.collector.scrape;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.runtime.ThrottlingLogger;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What relabelling made of each job's targets, as metrics (what Prometheus' targets page shows):
 * {@code vigil_collector_scrape_targets{job,state}} — {@code active}, {@code dropped} by its rules,
 * {@code invalid} — over all the sources of the job; and {@code
 * vigil_collector_scrape_target_errors_total{job,reason}}, one per invalid target each time a
 * source's targets are worked out (at the start for static ones, at every change for Kubernetes
 * ones), each logged through a rate-limited logger. Not thread-safe: the scraper's lock guards it.
 */
final class TargetStates {
  private static final Logger LOG = LoggerFactory.getLogger(TargetStates.class);
  private static final String[] STATES = {"active", "dropped", "invalid"};

  private final Counter errors;
  private final Gauge targets;
  private final ThrottlingLogger log = new ThrottlingLogger(LOG);

  /** Counts by source, then job, in the order of {@link #STATES}. */
  private final Map<String, Map<String, int[]>> counts = new HashMap<>();

  TargetStates(PrometheusRegistry registry) {
    this.errors =
        Counter.builder()
            .name("vigil_collector_scrape_target_errors_total")
            .help(
                "Targets relabelling left unscrapable (no_address, invalid_address, invalid_scheme,"
                    + " invalid_interval), each time a job's targets are worked out")
            .labelNames("job", "reason")
            .register(registry);
    this.targets =
        Gauge.builder()
            .name("vigil_collector_scrape_targets")
            .help("Targets by job and state: active, dropped (by relabel_configs), invalid")
            .labelNames("job", "state")
            .register(registry);
  }

  /** Records what became of the targets {@code source} found for {@code job}. */
  void record(String source, String job, JobTargets.Resolution resolved) {
    for (JobTargets.Invalid invalid : resolved.invalid()) {
      errors.labelValues(job, invalid.reason()).inc();
      log.warn(
          "a target of job {} is not scraped ({}): {}", job, invalid.reason(), invalid.message());
    }
    counts
        .computeIfAbsent(source, s -> new HashMap<>())
        .put(
            job,
            new int[] {resolved.active().size(), resolved.dropped(), resolved.invalid().size()});
    for (int state = 0; state < STATES.length; state++) {
      int sum = 0;
      for (Map<String, int[]> bySource : counts.values()) {
        int[] c = bySource.get(job);
        sum += c == null ? 0 : c[state];
      }
      targets.labelValues(job, STATES[state]).set(sum);
    }
  }
}
