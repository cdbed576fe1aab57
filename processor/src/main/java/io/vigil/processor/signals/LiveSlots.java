package io.vigil.processor.signals;

import java.util.Arrays;

/**
 * One series' one-second slots, oldest first: slot start (epoch ms) → totals, in two arrays. Data
 * nearly always lands in the newest slot or in a new one after it, and slots leave from the oldest
 * end, so both ends cost a comparison; a slot in between is found by binary search. A {@code
 * TreeMap} here took a tenth of the stream thread: a walk of linked nodes for every slot of every
 * series of every record (BENCHMARKS.md, "live slots in arrays").
 */
final class LiveSlots {
  private long[] starts = new long[4];
  private SignalAccumulator[] totals = new SignalAccumulator[4];

  /** Index of the oldest slot; the slots are {@code [from, to)}. */
  private int from;

  private int to;

  int size() {
    return to - from;
  }

  boolean isEmpty() {
    return to == from;
  }

  /** The start of the oldest slot; only when not empty. */
  long firstStart() {
    return starts[from];
  }

  /** The start of the {@code i}-th slot, oldest first. */
  long start(int i) {
    return starts[from + i];
  }

  /** The totals of the {@code i}-th slot, oldest first. */
  SignalAccumulator totals(int i) {
    return totals[from + i];
  }

  /**
   * Adds {@code part} to the slot starting at {@code start}: merged into the slot there is, or kept
   * as that slot's totals (not copied) when there is none.
   */
  void add(long start, SignalAccumulator part) {
    if (to > from && starts[to - 1] == start) {
      totals[to - 1].merge(part);
      return;
    }
    if (to == from || starts[to - 1] < start) {
      insert(to, start, part);
      return;
    }
    int at = Arrays.binarySearch(starts, from, to, start);
    if (at >= 0) {
      totals[at].merge(part);
    } else {
      insert(-at - 1, start, part);
    }
  }

  /** Drops the slots that start before {@code start}. */
  void dropBefore(long start) {
    while (from < to && starts[from] < start) {
      totals[from++] = null;
    }
    if (from == to) {
      from = 0;
      to = 0;
    }
  }

  private void insert(int at, long start, SignalAccumulator part) {
    if (to == starts.length) {
      // Room at the end: move the slots to the front, or grow when they fill the arrays.
      int n = to - from;
      int capacity = n < starts.length / 2 ? starts.length : starts.length * 2;
      long[] newStarts = capacity == starts.length ? starts : new long[capacity];
      SignalAccumulator[] newTotals =
          capacity == totals.length ? totals : new SignalAccumulator[capacity];
      System.arraycopy(starts, from, newStarts, 0, n);
      System.arraycopy(totals, from, newTotals, 0, n);
      Arrays.fill(newTotals, n, capacity, null);
      at -= from;
      starts = newStarts;
      totals = newTotals;
      from = 0;
      to = n;
    }
    System.arraycopy(starts, at, starts, at + 1, to - at);
    System.arraycopy(totals, at, totals, at + 1, to - at);
    starts[at] = start;
    totals[at] = part;
    to++;
  }
}
