package io.vigil.collector.lag;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Turns a lag in messages into a lag in seconds, as kafka-lag-exporter does: for each partition it
 * remembers when its end offset was what (the last {@value #HISTORY} readings), and a group's lag
 * in seconds is how long ago the partition's end was where the group's committed offset is now
 * (interpolated between readings; beyond the oldest reading, extrapolated at the rate seen). Zero
 * when the group is caught up; NaN while one reading is all there is. Not thread-safe.
 */
final class LagEstimator {
  static final int HISTORY = 60;

  private record Reading(long timeMillis, long endOffset) {}

  private final Map<String, Deque<Reading>> ends = new HashMap<>();

  /** Notes that {@code partition}'s end offset is {@code endOffset} at {@code timeMillis}. */
  void end(String partition, long timeMillis, long endOffset) {
    Deque<Reading> history = ends.computeIfAbsent(partition, p -> new ArrayDeque<>());
    Reading last = history.peekLast();
    if (last != null && last.endOffset() > endOffset) {
      history.clear(); // the topic was recreated: the old readings mean nothing
    }
    history.addLast(new Reading(timeMillis, endOffset));
    while (history.size() > HISTORY) {
      history.removeFirst();
    }
  }

  /** Seconds behind for a group committed at {@code committed} on {@code partition}, now. */
  double seconds(String partition, long committed, long nowMillis) {
    Deque<Reading> history = ends.get(partition);
    if (history == null || history.isEmpty() || committed >= history.peekLast().endOffset()) {
      return 0;
    }
    Reading newer = null;
    for (Iterator<Reading> it = history.descendingIterator(); it.hasNext(); ) {
      Reading older = it.next();
      if (older.endOffset() <= committed) {
        if (newer == null || newer.endOffset() == older.endOffset()) {
          return (nowMillis - older.timeMillis()) / 1000.0;
        }
        double fraction =
            (double) (committed - older.endOffset()) / (newer.endOffset() - older.endOffset());
        double at = older.timeMillis() + fraction * (newer.timeMillis() - older.timeMillis());
        return Math.max(0, (nowMillis - at) / 1000.0);
      }
      newer = older;
    }
    // Further behind than the readings reach: extrapolate at the rate they show.
    Reading oldest = history.peekFirst();
    Reading latest = history.peekLast();
    long span = latest.timeMillis() - oldest.timeMillis();
    long produced = latest.endOffset() - oldest.endOffset();
    if (span <= 0) {
      return Double.NaN; // one reading: not known yet
    }
    if (produced <= 0) {
      return (nowMillis - oldest.timeMillis()) / 1000.0; // stuck at least since we first looked
    }
    double rate = produced / (double) span; // messages per ms
    return (nowMillis - oldest.timeMillis() + (oldest.endOffset() - committed) / rate) / 1000.0;
  }

  /** Forgets partitions not read in the last round. */
  void retain(java.util.Set<String> partitions) {
    ends.keySet().retainAll(partitions);
  }
}
