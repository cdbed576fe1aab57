package io.vigil.processor.signals;

import java.util.ArrayList;
import java.util.List;

/**
 * Spreads a delta over the one-second slots its time span covers, in proportion to the overlap,
 * with whole numbers that add up exactly to the delta (largest remainder). A 60-second export then
 * feeds the six 10-second windows it covers at the true rate instead of one window at six times the
 * rate, and no request is invented or lost by rounding. Pure.
 */
final class DeltaSpreader {
  /** Width of a slot. Windows are whole seconds, so every window is a whole number of slots. */
  static final long SLOT_MS = 1000;

  /**
   * A delta's share of one slot.
   *
   * @param slotStartMs the slot's start, a multiple of {@link #SLOT_MS}
   * @param count requests in the slot
   * @param buckets bucket counts in the slot (same layout as the delta), or empty
   */
  record Slice(long slotStartMs, long count, long[] buckets) {}

  private DeltaSpreader() {}

  /**
   * The slices of a delta of {@code count} requests (with {@code buckets}, possibly empty, summing
   * to {@code count}) that happened during {@code [fromMs, toMs]}. An empty span puts everything in
   * the slot holding {@code toMs}. Slices with no request are left out.
   */
  static List<Slice> spread(long fromMs, long toMs, long count, long[] buckets) {
    long first = slotOf(Math.min(fromMs, toMs));
    int slots = (int) ((lastSlot(fromMs, toMs) - first) / SLOT_MS) + 1;
    if (slots == 1) {
      return count == 0 ? List.of() : List.of(new Slice(first, count, buckets));
    }
    long[] weights = new long[slots];
    for (int i = 0; i < slots; i++) {
      long start = first + i * SLOT_MS;
      weights[i] = Math.min(toMs, start + SLOT_MS) - Math.max(fromMs, start);
    }
    long[] counts;
    long[][] perSlotBuckets = new long[slots][];
    if (buckets.length == 0) {
      counts = apportion(count, weights);
    } else {
      counts = new long[slots];
      for (int i = 0; i < slots; i++) {
        perSlotBuckets[i] = new long[buckets.length];
      }
      for (int b = 0; b < buckets.length; b++) {
        long[] shares = apportion(buckets[b], weights);
        for (int i = 0; i < slots; i++) {
          perSlotBuckets[i][b] = shares[i];
          counts[i] += shares[i];
        }
      }
    }
    List<Slice> slices = new ArrayList<>();
    for (int i = 0; i < slots; i++) {
      if (counts[i] > 0) {
        long[] b = buckets.length == 0 ? buckets : perSlotBuckets[i];
        slices.add(new Slice(first + i * SLOT_MS, counts[i], b));
      }
    }
    return slices;
  }

  /** {@link #soleSlot}'s answer for a span over several slots (no slot starts there). */
  static final long SEVERAL = Long.MIN_VALUE;

  /**
   * The start of the one slot that {@link #spread} puts all of a delta over {@code [fromMs, toMs]}
   * in, or {@link #SEVERAL} when the span covers more than one: then only {@code spread} can say
   * how it is shared.
   */
  static long soleSlot(long fromMs, long toMs) {
    long first = slotOf(Math.min(fromMs, toMs));
    return first == lastSlot(fromMs, toMs) ? first : SEVERAL;
  }

  /** The slot holding the end of {@code [fromMs, toMs]}: an end on a slot's start is not in it. */
  private static long lastSlot(long fromMs, long toMs) {
    return fromMs < toMs ? slotOf(toMs - 1) : slotOf(toMs);
  }

  /** The start of the slot holding {@code timeMs}. */
  static long slotOf(long timeMs) {
    return timeMs - Math.floorMod(timeMs, SLOT_MS);
  }

  /**
   * {@code total} split in proportion to {@code weights} (all ≥ 0, not all 0) into whole numbers
   * that sum to {@code total}: each share rounded down, then the remainder given one by one to the
   * largest fractional parts (the later slot on a tie, so the newest data is never short).
   */
  static long[] apportion(long total, long[] weights) {
    long sum = 0;
    for (long w : weights) {
      sum += w;
    }
    long[] shares = new long[weights.length];
    if (total == 0) {
      return shares;
    }
    if (sum <= 0) {
      shares[weights.length - 1] = total;
      return shares;
    }
    double[] fractions = new double[weights.length];
    long given = 0;
    for (int i = 0; i < weights.length; i++) {
      double exact = (double) total * weights[i] / sum;
      long share = (long) Math.floor(exact);
      shares[i] = share;
      fractions[i] = exact - share;
      given += share;
    }
    // Doubles may round a share past the exact value on huge totals; take back from the largest.
    while (given > total) {
      int largest = 0;
      for (int i = 1; i < shares.length; i++) {
        if (shares[i] > shares[largest]) {
          largest = i;
        }
      }
      shares[largest]--;
      given--;
    }
    for (long left = total - given; left > 0; left--) {
      int best = -1;
      for (int i = weights.length - 1; i >= 0; i--) {
        if (weights[i] > 0 && (best < 0 || fractions[i] > fractions[best])) {
          best = i;
        }
      }
      shares[best]++;
      fractions[best] = -1;
    }
    return shares;
  }
}
