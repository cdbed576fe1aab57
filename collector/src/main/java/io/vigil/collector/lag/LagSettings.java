package io.vigil.collector.lag;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import io.vigil.model.kafka.KafkaSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Consumer-group lag of Kafka clusters ({@code lag} in the collector's configuration).
 *
 * @param enabled whether to watch at all; default false
 * @param interval how often offsets are read; default 15s
 * @param clusters the clusters to watch
 */
public record LagSettings(
    @JsonProperty("enabled") Boolean enabled,
    @JsonProperty("interval") Duration interval,
    @JsonProperty("clusters") List<Cluster> clusters) {

  private static final String PREFIX = "collector.lag.";

  /**
   * One cluster.
   *
   * @param name its name: {@code kafka.cluster.name} on every point
   * @param bootstrapServers where it is
   * @param groups the consumer groups to watch; empty (default) for all
   * @param overrides admin client settings (security), applied last; checked as {@code kafka.admin}
   *     is
   */
  public record Cluster(
      @JsonProperty("name") String name,
      @JsonProperty("bootstrap_servers") String bootstrapServers,
      @JsonProperty("groups") List<String> groups,
      @JsonProperty("overrides") Map<String, String> overrides) {

    /** Checks values and applies defaults. */
    public Cluster {
      if (name == null || name.isBlank()) {
        throw new ConfigException(PREFIX + "clusters[].name", String.valueOf(name), "is required");
      }
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new ConfigException(
            PREFIX + "clusters[" + name + "].bootstrap_servers", "is required");
      }
      groups = groups == null ? List.of() : List.copyOf(groups);
      overrides =
          KafkaSettings.checkedAdmin(PREFIX + "clusters[" + name + "].overrides", overrides);
    }
  }

  /** Applies defaults and checks values. */
  public LagSettings {
    if (enabled == null) {
      enabled = false;
    }
    if (interval == null) {
      interval = Duration.ofSeconds(15);
    }
    if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException(PREFIX + "interval", interval, "must be >= 1s");
    }
    clusters = clusters == null ? List.of() : List.copyOf(clusters);
    if (enabled && clusters.isEmpty()) {
      throw new ConfigException(
          PREFIX + "clusters", "at least one cluster is required when enabled");
    }
  }

  /** Watching off. */
  public static LagSettings defaults() {
    return new LagSettings(null, null, null);
  }
}
