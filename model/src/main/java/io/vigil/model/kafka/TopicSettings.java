package io.vigil.model.kafka;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;

/**
 * Whether and how a service creates the topics it reads and writes when they are missing.
 *
 * @param create create missing topics at startup; default true
 * @param partitions partitions of a created topic; default 3
 * @param replicationFactor replication of a created topic; default -1 (the broker's default)
 */
public record TopicSettings(
    @JsonProperty("create") Boolean create,
    @JsonProperty("partitions") Integer partitions,
    @JsonProperty("replication_factor") Short replicationFactor) {

  /** Applies defaults and checks ranges. */
  public TopicSettings {
    if (create == null) {
      create = true;
    }
    if (partitions == null) {
      partitions = 3;
    }
    if (replicationFactor == null) {
      replicationFactor = -1;
    }
    if (partitions < 1) {
      throw new ConfigException("kafka.topics.partitions", partitions, "must be >= 1");
    }
    if (replicationFactor == 0 || replicationFactor < -1) {
      throw new ConfigException(
          "kafka.topics.replication_factor",
          replicationFactor,
          "must be >= 1, or -1 for the broker default");
    }
  }

  /** The defaults: create, 3 partitions, broker-default replication. */
  public static TopicSettings defaults() {
    return new TopicSettings(null, null, null);
  }
}
