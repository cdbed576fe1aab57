package io.vigil.alerting.rules;

import io.vigil.model.signal.GoldenSignal;
import java.time.Instant;

/** Builds golden-signal windows for tests. */
public final class Signals {
  /** Start of the first test window. */
  public static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");

  private Signals() {}

  /** A 10 s window of the checkout service starting {@code startSeconds} after {@link #T0}. */
  public static GoldenSignal errorRatio(long startSeconds, double ratio) {
    return errorRatio("checkout", startSeconds, ratio);
  }

  /** As {@link #errorRatio(long, double)} for {@code service}. */
  public static GoldenSignal errorRatio(String service, long startSeconds, double ratio) {
    return errorRatio(service, null, startSeconds, ratio);
  }

  /**
   * As {@link #errorRatio(long, double)} for one {@code operation} of {@code service} (null: the
   * service as a whole).
   */
  public static GoldenSignal errorRatio(
      String service, String operation, long startSeconds, double ratio) {
    return window(
        service,
        operation,
        startSeconds,
        new GoldenSignal.Traffic(1000, 100.0),
        new GoldenSignal.Errors(Math.round(1000 * ratio), ratio),
        null);
  }

  /**
   * A 10 s checkout window from {@code startSeconds} after {@link #T0} with {@code requests}, none
   * failed, and a p99 in milliseconds if not null (none: no latency section).
   */
  public static GoldenSignal served(long startSeconds, long requests, Double p99) {
    return window(
        "checkout",
        null,
        startSeconds,
        new GoldenSignal.Traffic(requests, requests / 10.0),
        new GoldenSignal.Errors(0, 0.0),
        p99 == null ? null : new GoldenSignal.Latency(p99 / 2, null, null, p99, p99));
  }

  /**
   * A node's saturation record (no service, no requests) measured {@code atSeconds} after {@link
   * #T0}; a null utilization is left out.
   */
  public static GoldenSignal nodeSaturation(
      String node, long atSeconds, Double cpu, Double memory) {
    Instant at = T0.plusSeconds(atSeconds);
    return GoldenSignal.saturation(
        at,
        new GoldenSignal.Window(at.minusSeconds(10), at, 10),
        "c1",
        null,
        null,
        node,
        null,
        cpu == null && memory == null ? null : new GoldenSignal.Saturation(cpu, memory),
        null);
  }

  private static GoldenSignal window(
      String service,
      String operation,
      long startSeconds,
      GoldenSignal.Traffic traffic,
      GoldenSignal.Errors errors,
      GoldenSignal.Latency latency) {
    Instant start = T0.plusSeconds(startSeconds);
    return new GoldenSignal(
        null,
        new GoldenSignal.Window(start, start.plusSeconds(10), 10),
        "c1",
        "shop",
        service,
        operation,
        traffic,
        errors,
        latency,
        null);
  }
}
