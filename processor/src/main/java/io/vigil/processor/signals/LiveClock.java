package io.vigil.processor.signals;

import java.time.Duration;

/**
 * Where one task's live windows end, and how often they are looked at: the wall clock once the task
 * is caught up (idle for {@link #IDLE}, or keeping pace), else the newest data it has seen. A task
 * working through a backlog (after a restart or an outage) then shows each series as it was at that
 * point of the backlog, so a violation inside the backlog still reaches the rules, with its own
 * time, instead of falling outside a window anchored at the wall clock. Task-local, not stored.
 */
final class LiveClock {
  /**
   * How often series with new data are checked for a due live signal (at most). Points of one
   * request (and of one poll) arrive together: emitting on this tick rather than per point sends
   * one live signal with all of them, instead of one with the first point and the rest an emit
   * interval later.
   */
  static final Duration LIVE_TICK = Duration.ofMillis(100);

  /**
   * A task that processed nothing for this long is caught up: its live windows end at the wall
   * clock. Until then they end at the newest data it has seen.
   */
  static final Duration IDLE = Duration.ofSeconds(1);

  private final long windowMs;

  /** Newest data time this task has processed, epoch ms, never ahead of the wall clock. */
  private long newestMs;

  /** Wall-clock time of the last data processed, epoch ms; 0 before any. */
  private long lastAtMs;

  LiveClock(Duration window) {
    this.windowMs = window.toMillis();
  }

  /** How often live signals due at {@code emitInterval} should be looked for. */
  static Duration tick(Duration emitInterval) {
    return Duration.ofMillis(Math.min(emitInterval.toMillis(), LIVE_TICK.toMillis()));
  }

  /** Records that data up to {@code timeMs} was processed at wall-clock {@code now}. */
  void saw(long timeMs, long now) {
    lastAtMs = now;
    newestMs = Math.max(newestMs, Math.min(timeMs, now));
  }

  /** Where live windows end at wall-clock {@code now}. */
  long now(long now) {
    if (lastAtMs == 0 || now - lastAtMs >= IDLE.toMillis()) {
      return now;
    }
    return newestMs;
  }

  /** The first slot of the live window at wall-clock {@code now}. */
  long windowStart(long now) {
    return DeltaSpreader.slotOf(now(now)) + DeltaSpreader.SLOT_MS - windowMs;
  }

  /** The slot that data ahead of the live window's end is counted in. */
  long currentSlot(long now) {
    return DeltaSpreader.slotOf(now(now));
  }
}
