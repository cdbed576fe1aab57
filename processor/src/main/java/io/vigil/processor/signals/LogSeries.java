package io.vigil.processor.signals;

import java.util.ArrayList;
import java.util.List;

/**
 * The one-second slots of one service's live log window, in the {@code signals-logs} store, and
 * when it was last emitted. Immutable; replaced on each update. Stored as JSON.
 *
 * @param identity the service (its slots unused)
 * @param slots counts per second, in time order
 * @param emittedAt wall-clock time of the last emission, epoch ms; 0 before the first
 * @param changed whether records arrived since the last emission
 * @param emittedEmpty whether the last emission counted no record (the service went quiet)
 */
record LogSeries(
    LogCounts identity,
    List<LogCounts.Slot> slots,
    long emittedAt,
    boolean changed,
    boolean emittedEmpty) {

  LogSeries {
    slots = List.copyOf(slots);
  }

  /** A series that has not been emitted yet. */
  static LogSeries of(LogCounts identity) {
    return new LogSeries(
        new LogCounts(identity.cluster(), identity.namespace(), identity.service(), List.of()),
        List.of(),
        0,
        false,
        false);
  }

  /** This series with {@code added} counted in its slot, at most {@code latestSlot}. */
  LogSeries plus(LogCounts.Slot added, long latestSlot) {
    long start = Math.min(added.startMs(), latestSlot);
    List<LogCounts.Slot> merged = new ArrayList<>(slots.size() + 1);
    boolean placed = false;
    for (LogCounts.Slot slot : slots) {
      if (!placed && slot.startMs() == start) {
        merged.add(slot.plus(added));
        placed = true;
      } else {
        if (!placed && slot.startMs() > start) {
          merged.add(new LogCounts.Slot(start, added.records(), added.errors()));
          placed = true;
        }
        merged.add(slot);
      }
    }
    if (!placed) {
      merged.add(new LogCounts.Slot(start, added.records(), added.errors()));
    }
    return new LogSeries(identity, merged, emittedAt, true, emittedEmpty);
  }

  /**
   * Whether an emission is due at {@code nowMs}: none for {@code intervalMs}, and the counts
   * changed since (new records, or records sliding out of the window that starts at {@code
   * windowStartMs}).
   */
  boolean due(long nowMs, long windowStartMs, long intervalMs) {
    if (nowMs - emittedAt < intervalMs) {
      return false;
    }
    return changed || (!slots.isEmpty() && slots.get(0).startMs() < windowStartMs);
  }

  /** Whether nothing is left to emit: no slot, and the last emission said so. */
  boolean finished() {
    return slots.isEmpty() && emittedEmpty && !changed;
  }

  /**
   * This series emitted at {@code nowMs} for the window starting at {@code windowStartMs}: slots
   * before it dropped; {@link #records} and {@link #errors} are then the window's counts.
   */
  LogSeries emitted(long windowStartMs, long nowMs) {
    List<LogCounts.Slot> kept =
        slots.stream().filter(slot -> slot.startMs() >= windowStartMs).toList();
    boolean empty = kept.stream().mapToLong(LogCounts.Slot::records).sum() == 0;
    return new LogSeries(identity, kept, nowMs, false, empty);
  }

  /** Log records in the slots kept. */
  long records() {
    return slots.stream().mapToLong(LogCounts.Slot::records).sum();
  }

  /** Errors in the slots kept. */
  long errors() {
    return slots.stream().mapToLong(LogCounts.Slot::errors).sum();
  }
}
