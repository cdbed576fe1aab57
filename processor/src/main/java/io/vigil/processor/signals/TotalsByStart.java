package io.vigil.processor.signals;

import java.util.Arrays;

/**
 * The totals a record adds to each window, or each live slot, of one series, by the window's (or
 * slot's) start, in the order they first came. Nearly always one (the points of an export lie in
 * one second): held in two fields, any more in two arrays. Not maps: a record of fifty operations
 * made fifty {@code TreeMap}s and {@code LinkedHashMap}s, with their entries and boxed starts, for
 * one total each (BENCHMARKS.md, "A record's totals without maps").
 */
final class TotalsByStart {
  /** The first start and its totals, held in fields: nearly always the only ones. */
  private long firstStart;

  private SignalAccumulator firstTotals;

  /** The starts and totals after the first, in arrays made when a second comes. */
  private long[] starts;

  private SignalAccumulator[] totals;
  private int size;

  /**
   * Where {@link #in} found or made totals last: a record's next point nearly always goes there.
   */
  private int last;

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** The start of the {@code i}-th totals, in the order they came. */
  long start(int i) {
    return i == 0 ? firstStart : starts[i - 1];
  }

  /** The {@code i}-th totals, in the order they came. */
  SignalAccumulator totals(int i) {
    return i == 0 ? firstTotals : totals[i - 1];
  }

  /** The totals of {@code start}, new (and empty) when there are none. */
  SignalAccumulator in(long start) {
    int at = indexOf(start);
    if (at < 0) {
      at = append(start, new SignalAccumulator());
    }
    last = at;
    return totals(at);
  }

  /**
   * Adds {@code part} to the totals of {@code start}: merged into those there are, or kept as they
   * are (not copied) when there are none.
   */
  void add(long start, SignalAccumulator part) {
    int at = indexOf(start);
    if (at < 0) {
      append(start, part);
    } else {
      totals(at).merge(part);
    }
  }

  private int indexOf(long start) {
    if (last < size && start(last) == start) {
      return last;
    }
    for (int i = 0; i < size; i++) {
      if (start(i) == start) {
        return i;
      }
    }
    return -1;
  }

  private int append(long start, SignalAccumulator part) {
    if (size == 0) {
      firstStart = start;
      firstTotals = part;
      return size++;
    }
    if (starts == null) {
      starts = new long[2];
      totals = new SignalAccumulator[2];
    } else if (size - 1 == starts.length) {
      starts = Arrays.copyOf(starts, starts.length * 2);
      totals = Arrays.copyOf(totals, totals.length * 2);
    }
    starts[size - 1] = start;
    totals[size - 1] = part;
    return size++;
  }
}
