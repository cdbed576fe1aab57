package io.vigil.alerting.notify;

import java.time.Duration;

/**
 * Exponential backoff for retried deliveries: {@code initial}, doubling up to {@code max}, at most
 * {@code maxAttempts} attempts in all.
 *
 * @param initial delay before the second attempt
 * @param max longest delay, also the cap on a server's {@code Retry-After}
 * @param maxAttempts attempts including the first
 */
public record Backoff(Duration initial, Duration max, int maxAttempts) {

  /** Checks the values. */
  public Backoff {
    if (initial.isNegative() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 <= initial <= max, was " + initial + ", " + max);
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts: must be >= 1, was " + maxAttempts);
    }
  }

  /** 500ms doubling to 30s, five attempts. */
  public static Backoff defaults() {
    return new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), 5);
  }

  /** The delay after failed attempt number {@code attempt} (1-based). */
  public Duration delay(int attempt) {
    long factor = 1L << Math.min(attempt - 1, 20);
    Duration d = initial.multipliedBy(factor);
    return d.compareTo(max) > 0 ? max : d;
  }

  /** {@code requested} (e.g. from Retry-After) capped at {@link #max()}. */
  public Duration cap(Duration requested) {
    if (requested.isNegative()) {
      return Duration.ZERO;
    }
    return requested.compareTo(max) > 0 ? max : requested;
  }
}
