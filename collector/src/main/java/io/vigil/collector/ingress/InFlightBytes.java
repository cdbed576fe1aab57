package io.vigil.collector.ingress;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory every request being received holds together — its body as it arrives, then its records
 * until they are stored — against one limit for the whole ingress ({@code
 * collector.otlp.max_in_flight_bytes}). A request that would go over it is read to its end without
 * keeping anything and refused with 503 / UNAVAILABLE, so many concurrent large bodies slow the
 * senders down instead of running the collector out of heap. Shown as {@code
 * vigil_collector_in_flight_bytes} and {@code vigil_collector_in_flight_limit_bytes}.
 */
public final class InFlightBytes {
  private final long limit;
  private final AtomicLong used = new AtomicLong();

  /** A budget of {@code limit} bytes, not registered anywhere (tests). */
  public InFlightBytes(long limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit: must be >= 1, was " + limit);
    }
    this.limit = limit;
  }

  /** A budget of {@code limit} bytes, shown in {@code registry}. */
  public static InFlightBytes registered(long limit, PrometheusRegistry registry) {
    InFlightBytes budget = new InFlightBytes(limit);
    GaugeWithCallback.builder()
        .name("vigil_collector_in_flight_bytes")
        .help("Bytes held by requests being received or stored")
        .callback(callback -> callback.call(budget.used()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("vigil_collector_in_flight_limit_bytes")
        .help("The limit of vigil_collector_in_flight_bytes (collector.otlp.max_in_flight_bytes)")
        .callback(callback -> callback.call(budget.limit))
        .register(registry);
    return budget;
  }

  /** Takes {@code bytes} if they fit under the limit; returns whether they did. */
  public boolean tryAcquire(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes: must be >= 0, was " + bytes);
    }
    while (true) {
      long now = used.get();
      if (now + bytes > limit) {
        return false;
      }
      if (used.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  /** Gives back {@code bytes} taken before. */
  public void release(long bytes) {
    used.addAndGet(-bytes);
  }

  /** Bytes held now. */
  public long used() {
    return used.get();
  }

  /** The limit in bytes. */
  public long limit() {
    return limit;
  }
}
