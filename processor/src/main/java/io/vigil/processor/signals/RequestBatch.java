package io.vigil.processor.signals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
  /**
   * Room in a map by operation: 96 without growing (from the default room, a map of fifty
   * operations was grown three times with every record).
   */
  private static final int BY_OPERATION = 128;

  final TotalsByStart byWindow = new TotalsByStart();
  final TotalsByStart liveSlots = new TotalsByStart();

  /** Window start → operation → totals: what goes into each window's entry with the service's. */
  final Map<Long, Map<String, SignalAccumulator>> windowOperations = new LinkedHashMap<>();

  /** Operation → its totals by live slot. */
  final Map<String, TotalsByStart> operationSlots = new LinkedHashMap<>(BY_OPERATION);

  /** What the points of each operation (as they name it) add, until {@link #admit}. */
  private final Map<String, Operation> named = new LinkedHashMap<>(BY_OPERATION);

  private String lastOperationName;
  private Operation lastOperation;

  private final FinalWindows windows;
  private final boolean byOperation;
  final long liveStart;
  final long currentSlot;
  MetricPoint identity;

  /** The totals of one operation's points, by window and by live slot. */
  private static final class Operation {
    final TotalsByStart windows = new TotalsByStart();
    final TotalsByStart slots = new TotalsByStart();
    int points;
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
    long sole = DeltaSpreader.soleSlot(from, delta.timeMillis());
    if (sole != DeltaSpreader.SEVERAL) {
      // Nearly every point: its span lies in one second, which takes all of it, without slices.
      if (delta.count() > 0) {
        addTo(sole, delta, operationOf(delta));
      }
      return;
    }
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
    Operation operation = operationOf(delta);
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
      addTo(slice.slotStartMs(), part, operation);
    }
  }

  /** The totals of the operation {@code delta} names, if counted by operation, else null. */
  private Operation operationOf(MetricPoint delta) {
    if (!byOperation || delta.operation() == null) {
      return null;
    }
    Operation operation = operationNamed(delta.operation());
    operation.points++;
    return operation;
  }

  /** Adds {@code part}, lying in the slot starting at {@code slotMs}, to its window and slot. */
  private void addTo(long slotMs, MetricPoint part, Operation operation) {
    long windowStart = windows.startOf(slotMs);
    long slot = Math.min(slotMs, currentSlot);
    boolean isLive = slotMs >= liveStart;
    byWindow.in(windowStart).add(part);
    if (isLive) {
      liveSlots.in(slot).add(part);
    }
    if (operation != null) {
      operation.windows.in(windowStart).add(part);
      if (isLive) {
        operation.slots.in(slot).add(part);
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
      TotalsByStart windows = operation.windows;
      for (int i = 0; i < windows.size(); i++) {
        windowOperations
            .computeIfAbsent(windows.start(i), w -> new LinkedHashMap<>(BY_OPERATION))
            .merge(as, windows.totals(i).named(as), SignalAccumulator::merge);
      }
      TotalsByStart slots = operationSlots.get(as);
      if (slots == null) {
        for (int i = 0; i < operation.slots.size(); i++) {
          operation.slots.totals(i).named(as);
        }
        operationSlots.put(as, operation.slots);
      } else {
        for (int i = 0; i < operation.slots.size(); i++) {
          slots.add(operation.slots.start(i), operation.slots.totals(i).named(as));
        }
      }
    }
    named.clear();
    lastOperation = null;
  }
}
