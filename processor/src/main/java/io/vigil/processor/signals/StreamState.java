package io.vigil.processor.signals;

/**
 * The last cumulative point seen of one stream (and start time), kept in the changelogged {@code
 * signals-series-state} store; or, with a negative count, the marker left when a silent stream was
 * forgotten.
 *
 * @param startNanos its {@code start_time_unix_nano}
 * @param timeNanos its {@code time_unix_nano}
 * @param count its count
 * @param boundsMs its bucket bounds in milliseconds
 * @param bucketCounts its bucket counts
 */
record StreamState(
    long startNanos, long timeNanos, long count, double[] boundsMs, long[] bucketCounts) {

  StreamState {
    boundsMs = boundsMs == null ? new double[0] : boundsMs;
    bucketCounts = bucketCounts == null ? new long[0] : bucketCounts;
  }

  /** The marker of a stream forgotten after its last point at {@code timeNanos}. */
  static StreamState evictedAt(long timeNanos) {
    return new StreamState(0, timeNanos, -1, null, null);
  }

  /** Whether this is the marker of a forgotten stream rather than a point. */
  boolean evicted() {
    return count < 0;
  }

  static StreamState of(MetricPoint p) {
    return new StreamState(
        p.startNanos(), p.timeNanos(), p.count(), p.boundsMs(), p.bucketCounts());
  }
}
