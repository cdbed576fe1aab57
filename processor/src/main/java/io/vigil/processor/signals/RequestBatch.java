package io.vigil.processor.signals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the points of one record add to the final windows and live slots of their service and, per
 * operation, of the operation's series: {@link SignalsProcessor} gathers them here, then reads and
 * writes each window and live series once per record rather than once per point.
 *
 * <p>The points are gathered by the operation they name; which series an operation counts in (its
 * own, or its service's overflow series past the {@link OperationGuard}'s limit) is asked once per
 * operation and record ({@link #admit}), not once per point.
 */
final class RequestBatch {
  final Map<Long, SignalAccumulator> byWindow = new LinkedHashMap<>();
  final Map<Long, SignalAccumulator> liveSlots = new TreeMap<>();
  private final Last latestWindow = new Last();
  private final Last latestSlot = new Last();

  /** Window start → operation → totals: what goes into each window's entry with the service's. */
  final Map<Long, Map<String, SignalAccumulator>> windowOperations = new LinkedHashMap<>();

  /** Operation → live slot start → totals. */
  final Map<String, Map<Long, SignalAccumulator>> operationSlots = new LinkedHashMap<>();

  /** What the points of each operation (as they name it) add, until {@link #admit}. */
  private final Map<String, Operation> named = new LinkedHashMap<>();

  private String lastOperationName;
  private Operation lastOperation;

  private final FinalWindows windows;
  private final boolean byOperation;
  final long liveStart;
  final long currentSlot;
  MetricPoint identity;

  /** The totals of one operation's points, by window and by live slot. */
  private static final class Operation {
    final Map<Long, SignalAccumulator> windows = new LinkedHashMap<>(4);
    final Map<Long, SignalAccumulator> slots = new TreeMap<>();
    final Last latestWindow = new Last();
    final Last latestSlot = new Last();
    int points;
  }

  /**
   * The totals of the window (or slot) a point added to last: nearly every point of a record falls
   * in the same one, found then without boxing its start and looking it up.
   */
  private static final class Last {
    private long start;
    private SignalAccumulator totals;

    /** The totals in {@code byStart} of {@code start}, new when it has none. */
    SignalAccumulator in(Map<Long, SignalAccumulator> byStart, long start) {
      if (totals == null || this.start != start) {
        totals = byStart.computeIfAbsent(start, s -> new SignalAccumulator());
        this.start = start;
      }
      return totals;
    }
  }

  /** Which series the points of an operation count in. */
  @FunctionalInterface
  interface Admission {
    /**
     * The operation the {@code points} points of {@code operation} count as (itself, or the
     * overflow series), or null when they count for the service alone.
     */
    String admit(String operation, int points);
  }

  /**
   * A batch of points adding to {@code windows} and to the live slots from {@code liveStart} on,
   * those ahead of {@code currentSlot} counted in it; gathered by operation too when {@code
   * byOperation} (operations have series of their own).
   */
  RequestBatch(FinalWindows windows, boolean byOperation, long liveStart, long currentSlot) {
    this.windows = windows;
    this.byOperation = byOperation;
    this.liveStart = liveStart;
    this.currentSlot = currentSlot;
  }

  /**
   * Spreads {@code delta}, covering {@code [fromMs, its time]}, over windows and slots of its
   * service and of its operation, if it names one. A point with a sketch (spans, which the decoder
   * gathered by second) is not spread: the sketch cannot be split, so it all goes to its time's
   * slot.
   */
  void add(MetricPoint delta, long fromMs) {
    identity = delta;
    long from = delta.sketch() != null ? delta.timeMillis() : fromMs;
    List<DeltaSpreader.Slice> slices =
        DeltaSpreader.spread(from, delta.timeMillis(), delta.count(), delta.bucketCounts());
    if (slices.isEmpty()) {
      return;
    }
    // A delta's max bounds every window it lies in, but is a window's own max only if the
    // delta lies in that window alone.
    long firstWindow = windows.startOf(slices.get(0).slotStartMs());
    long lastWindow = windows.startOf(slices.get(slices.size() - 1).slotStartMs());
    Double max = firstWindow == lastWindow ? delta.maxMs() : null;
    Operation operation = null;
    if (byOperation && delta.operation() != null) {
      operation = operationNamed(delta.operation());
      operation.points++;
    }
    for (DeltaSpreader.Slice slice : slices) {
      // One slice of the delta's own window: the delta itself, no copy.
      MetricPoint part =
          slices.size() == 1 && slice.count() == delta.count()
              ? delta
              : delta.asDelta(
                  slice.slotStartMs() * 1_000_000L,
                  slice.count(),
                  slice.buckets(),
                  delta.boundsMs(),
                  max);
      long windowStart = windows.startOf(slice.slotStartMs());
      long slot = Math.min(slice.slotStartMs(), currentSlot);
      boolean isLive = slice.slotStartMs() >= liveStart;
      latestWindow.in(byWindow, windowStart).add(part);
      if (isLive) {
        latestSlot.in(liveSlots, slot).add(part);
      }
      if (operation != null) {
        operation.latestWindow.in(operation.windows, windowStart).add(part);
        if (isLive) {
          operation.latestSlot.in(operation.slots, slot).add(part);
        }
      }
    }
  }

  /**
   * The totals of operation {@code name}, new when it has none; the last point's when it named the
   * same (an exporter's points of one route come one after the other, one per status code).
   */
  private Operation operationNamed(String name) {
    if (lastOperation == null || !lastOperationName.equals(name)) {
      lastOperation = named.computeIfAbsent(name, o -> new Operation());
      lastOperationName = name;
    }
    return lastOperation;
  }

  /**
   * Files each operation's totals under the operation {@code admission} says its points count as,
   * in the order the operations first came: into {@link #windowOperations} and {@link
   * #operationSlots}. Operations that count as the same one (the overflow series) are added up.
   */
  void admit(Admission admission) {
    for (Map.Entry<String, Operation> entry : named.entrySet()) {
      Operation operation = entry.getValue();
      String as = admission.admit(entry.getKey(), operation.points);
      if (as == null) {
        continue;
      }
      operation.windows.forEach(
          (window, totals) ->
              windowOperations
                  .computeIfAbsent(window, w -> new LinkedHashMap<>())
                  .merge(as, totals.named(as), SignalAccumulator::merge));
      Map<Long, SignalAccumulator> slots = operationSlots.get(as);
      if (slots == null) {
        operation.slots.replaceAll((slot, totals) -> totals.named(as));
        operationSlots.put(as, operation.slots);
      } else {
        operation.slots.forEach(
            (slot, totals) -> slots.merge(slot, totals.named(as), SignalAccumulator::merge));
      }
    }
    named.clear();
    lastOperation = null;
  }
}
