package io.vigil.processor.signals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the points of one record add to the final windows and live slots of their service and, per
 * operation, of the operation's series: {@link SignalsProcessor} gathers them here, then reads and
 * writes each window and live series once per record rather than once per point.
 */
final class RequestBatch {
  final Map<Long, SignalAccumulator> byWindow = new LinkedHashMap<>();
  final Map<Long, SignalAccumulator> liveSlots = new TreeMap<>();

  /** Window start → operation → totals: what goes into each window's entry with the service's. */
  final Map<Long, Map<String, SignalAccumulator>> windowOperations = new LinkedHashMap<>();

  final Map<String, Map<Long, SignalAccumulator>> operationSlots = new LinkedHashMap<>();
  private final FinalWindows windows;
  final long liveStart;
  final long currentSlot;
  MetricPoint identity;

  RequestBatch(FinalWindows windows, long liveStart, long currentSlot) {
    this.windows = windows;
    this.liveStart = liveStart;
    this.currentSlot = currentSlot;
  }

  /**
   * Spreads {@code delta}, covering {@code [fromMs, its time]}, over windows and slots, of its
   * service and of {@code operation} if not null. A point with a sketch (spans, which the decoder
   * gathered by second) is not spread: the sketch cannot be split, so it all goes to its time's
   * slot.
   */
  void add(MetricPoint delta, long fromMs, String operation) {
    identity = delta;
    long from = delta.sketch() != null ? delta.timeMillis() : fromMs;
    List<DeltaSpreader.Slice> slices =
        DeltaSpreader.spread(from, delta.timeMillis(), delta.count(), delta.bucketCounts());
    // A delta's max bounds every window it lies in, but is a window's own max only if the
    // delta lies in that window alone.
    Double max = null;
    if (!slices.isEmpty()) {
      long firstWindow = windows.startOf(slices.get(0).slotStartMs());
      long lastWindow = windows.startOf(slices.get(slices.size() - 1).slotStartMs());
      max = firstWindow == lastWindow ? delta.maxMs() : null;
    }
    for (DeltaSpreader.Slice slice : slices) {
      MetricPoint part =
          delta.asDelta(
              slice.slotStartMs() * 1_000_000L,
              slice.count(),
              slice.buckets(),
              delta.boundsMs(),
              max);
      long windowStart = windows.startOf(slice.slotStartMs());
      long slot = Math.min(slice.slotStartMs(), currentSlot);
      boolean isLive = slice.slotStartMs() >= liveStart;
      byWindow.computeIfAbsent(windowStart, w -> new SignalAccumulator()).add(part);
      if (isLive) {
        liveSlots.computeIfAbsent(slot, w -> new SignalAccumulator()).add(part);
      }
      if (operation != null) {
        windowOperations
            .computeIfAbsent(windowStart, w -> new LinkedHashMap<>())
            .computeIfAbsent(operation, o -> SignalAccumulator.ofOperation(operation))
            .add(part);
        if (isLive) {
          operationSlots
              .computeIfAbsent(operation, o -> new TreeMap<>())
              .computeIfAbsent(slot, w -> SignalAccumulator.ofOperation(operation))
              .add(part);
        }
      }
    }
  }
}
