package io.vigil.model.signal;

import java.time.Instant;

/** Golden-signal records for tests of the record and its JSON. */
public final class SampleSignals {
  /** The start of {@link #checkout}'s window. */
  public static final Instant START = Instant.parse("2026-11-22T10:00:00Z");

  private SampleSignals() {}

  /**
   * A final 10-second window of service {@code checkout} from {@link #START}: 1,200 requests, 30
   * errors, every quantile and a max; of {@code operation} (null: the service as a whole), with
   * {@code revision} (null: the window's own record).
   */
  public static GoldenSignal checkout(String operation, Long revision) {
    return new GoldenSignal(
        null,
        new GoldenSignal.Window(START, START.plusSeconds(10), 10),
        "c1",
        "shop",
        "checkout",
        operation,
        new GoldenSignal.Traffic(1200, 120.0),
        new GoldenSignal.Errors(30, 0.025),
        new GoldenSignal.Latency(12.0, 40.0, 55.0, 120.0, 310.0),
        null,
        revision);
  }
}
