package io.vigil.collector.sink;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;

/**
 * The on-disk spool ({@code spool} in the collector's configuration).
 *
 * @param dir where it lives; default none: without a spool, senders get 503 / UNAVAILABLE while
 *     Kafka is unreachable and must retry
 * @param maxBytes how much it may hold; when full, senders get 503; default 1 GiB
 */
public record SpoolSettings(
    @JsonProperty("dir") String dir, @JsonProperty("max_bytes") Long maxBytes) {

  /** Default size limit: 1 GiB. */
  public static final long DEFAULT_MAX_BYTES = 1024L * 1024 * 1024;

  /** Applies defaults and checks values. */
  public SpoolSettings {
    if (dir != null && dir.isBlank()) {
      dir = null;
    }
    if (maxBytes == null) {
      maxBytes = DEFAULT_MAX_BYTES;
    }
    if (maxBytes < 1024 * 1024) {
      throw new ConfigException("collector.spool.max_bytes", maxBytes, "must be >= 1048576");
    }
  }

  /** No spool. */
  public static SpoolSettings defaults() {
    return new SpoolSettings(null, null);
  }
}
