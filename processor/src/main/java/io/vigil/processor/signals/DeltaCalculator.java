package io.vigil.processor.signals;

import java.util.Arrays;

/**
 * Turns a cumulative point into the delta since the previous point of the same stream, as the
 * OpenTelemetry Collector's {@code cumulativetodelta} processor does ({@code initial_value: auto}).
 * The caller keeps the state, one entry per stream <em>and start time</em>, so two writers of one
 * stream that started at different times (replicas without {@code service.instance.id}) are two
 * streams, each counted once, and a restart (new start time) is a new stream. A step that returns a
 * new state may have written its delta's bucket counts over the previous state's, which that new
 * state replaces: a delta then costs no array of its own (one per point, 6 % of the bytes the
 * stream thread allocated).
 *
 * <ul>
 *   <li><b>First point of a stream</b> (no state): counted in full when it has a start time and
 *       that start is not before {@code countFirstFromNanos} (when this processor's state began),
 *       because then every request it counts happened while we were watching (for a sender whose
 *       clock was corrected, its start moved as far as its time); otherwise it only seeds the
 *       state, since its counts span a past that may have been counted or never seen. A start equal
 *       to the point's time also only seeds (the Collector's rule too): a scraper that does not
 *       know when a counter started stamps its first scrape so, and the counter's value then spans
 *       the target's whole life.
 *   <li><b>A stream forgotten for silence</b> (an eviction marker): only seeds, so its history is
 *       not counted twice.
 *   <li><b>Count or a bucket went down</b> with the same non-zero start time: another writer of the
 *       same stream (a reset always changes the start time), skipped as {@code duplicate_writer}
 *       without touching the state, so two writers never inflate the count. Without a start time it
 *       can only be read as a reset: counted in full.
 *   <li><b>Same time or older</b> than the stored point: a duplicate or out-of-order delivery,
 *       skipped without touching the state.
 *   <li><b>Bucket layout changed</b>: the count difference is kept. An exponential histogram's
 *       buckets are still subtracted when its range grew or its scale went down (what an SDK's
 *       histogram does as it sees wider values): every bound of the new layout is then a bound of
 *       the old one or outside its range, so the old counts can be read on the new layout ({@link
 *       #onLayout}). Other buckets cannot be subtracted and are left out of that one delta.
 *   <li>A delta never carries {@code max}: the cumulative max covers the whole life of the stream.
 * </ul>
 *
 * <p>A delta's {@code start} is the previous point's time (or the stream's start for a point
 * counted in full), so its counts can be spread over the time they cover.
 */
final class DeltaCalculator {
  /**
   * Outcome of one point.
   *
   * @param delta what the point contributes, or null
   * @param state the new state, or null to leave the state as it is
   * @param skipReason why the point was left out (a counter reason), or null
   */
  record Step(MetricPoint delta, StreamState state, String skipReason) {}

  private DeltaCalculator() {}

  /**
   * The step for cumulative point {@code p} given the stream's previous state (null when none) and
   * the time (epoch nanoseconds) from which a first point's start time proves it new.
   */
  static Step next(StreamState previous, MetricPoint p, long countFirstFromNanos) {
    StreamState state = StreamState.of(p);
    if (previous == null) {
      // Both on this processor's clock: a sender's clock that was corrected is corrected here too.
      if (p.startNanos() > 0
          && p.startOnOurClock() >= countFirstFromNanos
          && p.startOnOurClock() != p.timeNanos()) {
        return new Step(full(p), state, null);
      }
      return new Step(null, state, null);
    }
    if (previous.evicted()) {
      return new Step(null, state, null);
    }
    if (p.timeNanos() <= previous.timeNanos()) {
      return new Step(null, null, "out_of_order");
    }
    boolean sameLayout = Arrays.equals(p.boundsMs(), previous.boundsMs());
    boolean decreased =
        p.count() < previous.count()
            || (sameLayout && anyDecreased(previous.bucketCounts(), p.bucketCounts()));
    if (p.startNanos() != previous.startNanos()) {
      return new Step(full(p), state, null);
    }
    if (decreased) {
      return p.startNanos() > 0
          ? new Step(null, null, "duplicate_writer")
          : new Step(full(p), state, null);
    }
    long count = p.count() - previous.count();
    long[] before =
        sameLayout
            ? previous.bucketCounts()
            : p.exponential()
                ? onLayout(previous.boundsMs(), previous.bucketCounts(), p.boundsMs())
                : null;
    // The previous state's counts, replaced by the point's, take the delta's (see above).
    long[] buckets = subtract(p.bucketCounts(), before, before);
    if (buckets == null) {
      return new Step(
          p.asDelta(previous.timeNanos(), count, new long[0], new double[0], null), state, null);
    }
    return new Step(
        p.asDelta(previous.timeNanos(), count, buckets, p.boundsMs(), null), state, null);
  }

  /**
   * {@code now − before} bucket by bucket in {@code into} (which may be {@code before}), or null
   * when they do not match or one went down.
   */
  private static long[] subtract(long[] now, long[] before, long[] into) {
    if (before == null || now.length == 0 || before.length != now.length) {
      return null;
    }
    for (int i = 0; i < now.length; i++) {
      if (now[i] < before[i]) {
        return null;
      }
    }
    for (int i = 0; i < now.length; i++) {
      into[i] = now[i] - before[i];
    }
    return into;
  }

  /**
   * Exponential buckets ({@link ExponentialBuckets}' form: bucket 0 the zero bucket, the others
   * between consecutive bounds, the last above all, empty) read on another layout of the same
   * histogram, or null when they cannot be: each new bound inside the old range must be an old
   * bound. Values at or below a new bound are then the old cumulative count at that bound — only
   * the zero bucket's below the old range, all of them above it.
   */
  static long[] onLayout(double[] oldBounds, long[] oldCounts, double[] bounds) {
    if (oldBounds.length == 0 || oldCounts.length != oldBounds.length + 1 || bounds.length == 0) {
      return null;
    }
    long[] cumulative = new long[oldCounts.length];
    long total = 0;
    for (int i = 0; i < oldCounts.length; i++) {
      total += oldCounts[i];
      cumulative[i] = total;
    }
    long[] counts = new long[bounds.length + 1];
    long below = 0;
    for (int j = 0; j < bounds.length; j++) {
      long atOrBelow;
      if (bounds[j] < oldBounds[0]) {
        atOrBelow = oldCounts[0];
      } else if (bounds[j] >= oldBounds[oldBounds.length - 1]) {
        atOrBelow = cumulative[oldBounds.length - 1];
      } else {
        int k = Arrays.binarySearch(oldBounds, bounds[j]);
        if (k < 0) {
          return null; // a new bound inside an old bucket: its count cannot be split
        }
        atOrBelow = cumulative[k];
      }
      counts[j] = atOrBelow - below;
      below = atOrBelow;
    }
    counts[bounds.length] = total - below;
    return counts;
  }

  private static MetricPoint full(MetricPoint p) {
    return p.asDelta(p.startOnOurClock(), p.count(), p.bucketCounts(), p.boundsMs(), null);
  }

  private static boolean anyDecreased(long[] before, long[] now) {
    if (before.length != now.length) {
      return false;
    }
    for (int i = 0; i < now.length; i++) {
      if (now[i] < before[i]) {
        return true;
      }
    }
    return false;
  }
}
