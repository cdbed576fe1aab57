package io.vigil.processor.signals;

import java.util.Arrays;

/**
 * Turns a cumulative point into the delta since the previous point of the same stream, as the
 * OpenTelemetry Collector's {@code cumulativetodelta} processor does. Pure: the caller keeps the
 * state.
 *
 * <ul>
 *   <li><b>First point of a stream</b> (no state): counted in full when its start time lies inside
 *       the window its time falls in, because then every request it counts happened in that window
 *       (a process that just started); otherwise it only seeds the state, since its counts span an
 *       unknown stretch of the past.
 *   <li><b>Reset</b> (start time changed, or the count or a bucket count went down): the process
 *       restarted, so the new point counts in full (everything since its new start).
 *   <li><b>Same time or older</b> than the stored point: a duplicate or out-of-order delivery,
 *       skipped without touching the state.
 *   <li><b>Bucket layout changed</b> without a reset: the count difference is kept, the buckets
 *       cannot be subtracted and are left out of that one delta.
 *   <li>A delta never carries {@code max}: the cumulative max covers the whole life of the stream.
 * </ul>
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
   * the start of the window {@code p} falls in (epoch nanoseconds).
   */
  static Step next(StreamState previous, MetricPoint p, long windowStartNanos) {
    StreamState state = StreamState.of(p);
    if (previous == null) {
      if (p.startNanos() > 0 && p.startNanos() >= windowStartNanos) {
        return new Step(full(p), state, null);
      }
      return new Step(null, state, null);
    }
    if (p.timeNanos() <= previous.timeNanos()) {
      return new Step(null, null, "out_of_order");
    }
    boolean sameLayout = Arrays.equals(p.boundsMs(), previous.boundsMs());
    boolean reset =
        p.startNanos() != previous.startNanos()
            || p.count() < previous.count()
            || (sameLayout && anyDecreased(previous.bucketCounts(), p.bucketCounts()));
    if (reset) {
      return new Step(full(p), state, null);
    }
    long count = p.count() - previous.count();
    if (!sameLayout
        || p.bucketCounts().length == 0
        || previous.bucketCounts().length != p.bucketCounts().length) {
      return new Step(
          p.asDelta(previous.timeNanos(), count, new long[0], new double[0], null), state, null);
    }
    long[] buckets = new long[p.bucketCounts().length];
    for (int i = 0; i < buckets.length; i++) {
      buckets[i] = p.bucketCounts()[i] - previous.bucketCounts()[i];
    }
    return new Step(
        p.asDelta(previous.timeNanos(), count, buckets, p.boundsMs(), null), state, null);
  }

  private static MetricPoint full(MetricPoint p) {
    return p.asDelta(p.startNanos(), p.count(), p.bucketCounts(), p.boundsMs(), null);
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
