package io.vigil.collector.ingress;

import io.vigil.collector.otlp.RateLimitSettings;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * One token bucket per sender: {@code rate} items a second, up to a burst. A batch is let through
 * while its sender's bucket holds at least as many items as the batch (or is full, for a batch
 * larger than the burst, which then leaves the bucket in debt); otherwise it is refused with how
 * long to wait. Buckets of senders idle for ten minutes are forgotten.
 */
public final class SenderRateLimits {
  /** No sender limited. */
  public static final SenderRateLimits NONE = new SenderRateLimits(RateLimitSettings.defaults());

  private static final long IDLE_NANOS = 600_000_000_000L;

  private final RateLimitSettings settings;
  private final LongSupplier nanoTime;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  private long lastPrune;

  public SenderRateLimits(RateLimitSettings settings) {
    this(settings, System::nanoTime);
  }

  SenderRateLimits(RateLimitSettings settings, LongSupplier nanoTime) {
    this.settings = settings;
    this.nanoTime = nanoTime;
  }

  /** Whether any sender is limited. */
  public boolean enabled() {
    return settings.enabled();
  }

  /** The largest body {@code sender} may send, where the listener allows {@code listenerLimit}. */
  int maxBodyBytes(String sender, int listenerLimit) {
    return settings.maxBodyBytesOf(sender, listenerLimit);
  }

  /**
   * Takes {@code items} from {@code sender}'s bucket; returns 0 when they may pass, else the whole
   * seconds to wait before they would.
   */
  public long take(String sender, long items) {
    if (!settings.enabled() || sender == null) {
      return 0;
    }
    long rate = settings.rateOf(sender);
    if (rate <= 0 || items <= 0) {
      return 0;
    }
    long now = nanoTime.getAsLong();
    prune(now);
    Bucket bucket =
        buckets.computeIfAbsent(sender, s -> new Bucket(rate, settings.burstFor(rate), now));
    return bucket.take(items, now);
  }

  private void prune(long now) {
    if (now - lastPrune < IDLE_NANOS) {
      return;
    }
    lastPrune = now;
    buckets.values().removeIf(b -> b.idleSince(now) > IDLE_NANOS);
  }

  private static final class Bucket {
    private final double perNano;
    private final double capacity;
    private double tokens;
    private long updated;

    Bucket(long rate, long burst, long now) {
      this.perNano = rate / 1e9;
      this.capacity = burst;
      this.tokens = burst;
      this.updated = now;
    }

    synchronized long take(long items, long now) {
      tokens = Math.min(capacity, tokens + (now - updated) * perNano);
      updated = now;
      if (tokens >= Math.min(items, capacity)) {
        tokens -= items;
        return 0;
      }
      double missing = Math.min(items, capacity) - tokens;
      return Math.max(1, (long) Math.ceil(missing / (perNano * 1e9)));
    }

    synchronized long idleSince(long now) {
      return now - updated;
    }
  }
}
