package io.vigil.processor.signals;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The last cumulative point seen of one stream, kept in the changelogged {@code
 * signals-cumulative-state} store.
 *
 * @param startNanos its {@code start_time_unix_nano}
 * @param timeNanos its {@code time_unix_nano}
 * @param count its count
 * @param boundsMs its bucket bounds in milliseconds
 * @param bucketCounts its bucket counts
 */
record StreamState(
    @JsonProperty("start") long startNanos,
    @JsonProperty("time") long timeNanos,
    @JsonProperty("count") long count,
    @JsonProperty("bounds_ms") double[] boundsMs,
    @JsonProperty("buckets") long[] bucketCounts) {

  StreamState {
    boundsMs = boundsMs == null ? new double[0] : boundsMs;
    bucketCounts = bucketCounts == null ? new long[0] : bucketCounts;
  }

  static StreamState of(MetricPoint p) {
    return new StreamState(
        p.startNanos(), p.timeNanos(), p.count(), p.boundsMs(), p.bucketCounts());
  }
}
