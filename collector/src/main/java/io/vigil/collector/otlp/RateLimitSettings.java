package io.vigil.collector.otlp;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import java.util.Map;

/**
 * How much each sender may send ({@code otlp.rate_limit}): data points, log records, spans or
 * OpenLineage events per second, with a burst, and the largest body a sender may send. A sender is
 * the bearer token's sender name when tokens are configured, else the client's IP address. Off by
 * default.
 *
 * @param itemsPerSecond items per second per sender; 0 (default) for no limit
 * @param burstItems how many items a sender may send at once after a quiet while; default two
 *     seconds' worth
 * @param perSender a sender's own items per second, by its bearer-token name or IP address
 * @param maxBodyBytes a sender's own body limit in bytes (on the wire), by its bearer-token name or
 *     IP address; below the listener's {@code max_body_bytes}, which applies to everyone else
 */
public record RateLimitSettings(
    @JsonProperty("items_per_second") Long itemsPerSecond,
    @JsonProperty("burst_items") Long burstItems,
    @JsonProperty("per_sender") Map<String, Long> perSender,
    @JsonProperty("max_body_bytes") Map<String, Long> maxBodyBytes) {

  private static final String PREFIX = "collector.otlp.rate_limit.";

  /** Applies defaults and checks values. */
  public RateLimitSettings {
    if (itemsPerSecond == null) {
      itemsPerSecond = 0L;
    }
    if (itemsPerSecond < 0) {
      throw new ConfigException(PREFIX + "items_per_second", itemsPerSecond, "must be >= 0");
    }
    perSender = perSender == null ? Map.of() : Map.copyOf(perSender);
    perSender.forEach(
        (sender, rate) -> {
          if (rate == null || rate < 1) {
            throw new ConfigException(PREFIX + "per_sender." + sender, rate, "must be >= 1");
          }
        });
    maxBodyBytes = maxBodyBytes == null ? Map.of() : Map.copyOf(maxBodyBytes);
    maxBodyBytes.forEach(
        (sender, bytes) -> {
          if (bytes == null || bytes < 1 || bytes > Integer.MAX_VALUE) {
            throw new ConfigException(
                PREFIX + "max_body_bytes." + sender, bytes, "must be 1.." + Integer.MAX_VALUE);
          }
        });
    if (burstItems != null && burstItems < 1) {
      throw new ConfigException(PREFIX + "burst_items", burstItems, "must be >= 1");
    }
  }

  /** No limit. */
  public static RateLimitSettings defaults() {
    return new RateLimitSettings(null, null, null, null);
  }

  /** Whether any sender is limited, in items or in body size. */
  public boolean enabled() {
    return itemsPerSecond > 0 || !perSender.isEmpty() || !maxBodyBytes.isEmpty();
  }

  /**
   * The largest body {@code sender} may send: its own limit when that is lower than the listener's
   * {@code listenerLimit}, else {@code listenerLimit}.
   */
  public int maxBodyBytesOf(String sender, int listenerLimit) {
    Long own = sender == null ? null : maxBodyBytes.get(sender);
    return own == null ? listenerLimit : (int) Math.min(own, listenerLimit);
  }

  /** The setting that names {@code sender}'s own body limit, for error messages. */
  public static String maxBodyBytesKey(String sender) {
    return PREFIX + "max_body_bytes." + sender;
  }

  /** Items per second for {@code sender}: its own, else the default (0 = none). */
  public long rateOf(String sender) {
    return perSender.getOrDefault(sender, itemsPerSecond);
  }

  /** The burst for a sender limited to {@code rate} items per second. */
  public long burstFor(long rate) {
    return burstItems != null ? burstItems : Math.max(1, 2 * rate);
  }
}
