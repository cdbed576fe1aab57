package io.vigil.collector.scrape;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A target as a service discovery found it, before its job's {@code relabel_configs}.
 *
 * @param labels its Prometheus labels: {@code __address__}, the discovery's {@code __meta_*} labels
 *     and any of {@code __metrics_path__}, {@code __scheme__} it decides itself; an empty value is
 *     no label (as in Prometheus)
 * @param resource resource attributes that come with it whatever the rules do (a pod's {@code
 *     k8s.*}); labels left after relabelling are added over them
 */
public record DiscoveredTarget(Map<String, String> labels, Map<String, String> resource) {
  /** Where the target is, {@code host:port}. */
  public static final String ADDRESS = "__address__";

  /** The path of its metrics. */
  public static final String METRICS_PATH = "__metrics_path__";

  /** {@code http} or {@code https}. */
  public static final String SCHEME = "__scheme__";

  /** Copies both, in order, without empty label values. */
  public DiscoveredTarget {
    Map<String, String> kept = new LinkedHashMap<>();
    labels.forEach(
        (k, v) -> {
          if (v != null && !v.isEmpty()) {
            kept.put(k, v);
          }
        });
    labels = Collections.unmodifiableMap(kept);
    resource = Collections.unmodifiableMap(new LinkedHashMap<>(resource));
  }

  /** A static target: only its address. */
  public static DiscoveredTarget at(String address) {
    return new DiscoveredTarget(Map.of(ADDRESS, address), Map.of());
  }
}
