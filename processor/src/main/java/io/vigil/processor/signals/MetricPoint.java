package io.vigil.processor.signals;

/**
 * One data point of a server's requests — a duration histogram, or a request counter or summary
 * count — reduced to what the signals need. Travels through the repartition topic in {@link
 * BinarySerdes}' format.
 *
 * @param stream identity of the point's stream (resource, scope, metric, point attributes), hashed
 * @param cluster {@code k8s.cluster.name}, may be null
 * @param namespace {@code k8s.namespace.name}, else {@code service.namespace}, may be null
 * @param service {@code service.name}, else {@code unknown_service}
 * @param error whether the point counts failed requests (status code ≥ 500)
 * @param cumulative whether the counts are cumulative (else delta)
 * @param startNanos {@code start_time_unix_nano}, 0 when unknown
 * @param timeNanos {@code time_unix_nano}
 * @param count requests counted
 * @param boundsMs explicit bucket bounds in milliseconds; empty when the point has no buckets
 * @param bucketCounts bucket counts, {@code boundsMs.length + 1} of them, or empty
 * @param maxMs largest observed value in milliseconds, only on delta points, else null
 * @param operation what the requests asked for — {@code <method> <http.route>} or {@code
 *     <rpc.service>/<rpc.method>} — or null when the point does not say
 * @param latencyOnly whether the point's buckets only give latency, its requests being counted by
 *     another metric of the same server (a Prometheus histogram without a status label next to a
 *     request counter with one): it adds to the quantiles, never to requests or errors
 * @param fromSpans whether the point was made of server spans ({@link OtlpSpansDecoder}) rather
 *     than read from a metric: the signals step leaves it out while the same series also sends
 *     request metrics, so that no request is counted from both
 * @param clockShiftNanos how far {@link #withTime} moved the point's time to correct its sender's
 *     clock (0: not moved). A cumulative point keeps its start as sent, since it names the stream;
 *     {@code startNanos + clockShiftNanos} is that start on this clock
 * @param exponential whether the buckets are an exponential histogram's ({@link
 *     ExponentialBuckets}): their latency goes into the window's {@link LatencySketch}, where
 *     histograms of any scale merge
 * @param sketch the latencies of the point's requests as a sketch (server spans), or null; such a
 *     point has no buckets and lies in one second
 * @param origin who sent the point: a short hash of its resource's attributes (one replica of a
 *     service), or null when not known (a point an older processor put on the repartition topic).
 *     The signals step keeps the cumulative state of each origin's streams in an entry of its own
 *     ({@link SeriesStates})
 */
record MetricPoint(
    String stream,
    String cluster,
    String namespace,
    String service,
    boolean error,
    boolean cumulative,
    long startNanos,
    long timeNanos,
    long count,
    double[] boundsMs,
    long[] bucketCounts,
    Double maxMs,
    String operation,
    boolean latencyOnly,
    boolean fromSpans,
    long clockShiftNanos,
    boolean exponential,
    LatencySketch sketch,
    String origin) {

  private static final double[] NO_BOUNDS = new double[0];
  private static final long[] NO_BUCKETS = new long[0];

  MetricPoint {
    boundsMs = boundsMs == null ? NO_BOUNDS : boundsMs;
    bucketCounts = bucketCounts == null ? NO_BUCKETS : bucketCounts;
  }

  /**
   * A point read from a metric, of {@code operation} (null: none named), latency only or not, of no
   * known origin.
   */
  MetricPoint(
      String stream,
      String cluster,
      String namespace,
      String service,
      boolean error,
      boolean cumulative,
      long startNanos,
      long timeNanos,
      long count,
      double[] boundsMs,
      long[] bucketCounts,
      Double maxMs,
      String operation,
      boolean latencyOnly) {
    this(
        stream,
        cluster,
        namespace,
        service,
        error,
        cumulative,
        startNanos,
        timeNanos,
        count,
        boundsMs,
        bucketCounts,
        maxMs,
        operation,
        latencyOnly,
        false,
        0,
        false,
        null,
        null);
  }

  /** The point's event time in epoch milliseconds. */
  long timeMillis() {
    return Math.floorDiv(timeNanos, 1_000_000L);
  }

  /**
   * The service series this point belongs to, the key it is partitioned by (its operation's series,
   * if any, is counted on the same task).
   */
  String seriesKey() {
    return io.vigil.model.signal.GoldenSignal.seriesKey(cluster, namespace, service, null);
  }

  /** The same point with exponential buckets ({@link ExponentialBuckets}' explicit form). */
  MetricPoint asExponential() {
    return with(
        cumulative,
        startNanos,
        timeNanos,
        count,
        boundsMs,
        bucketCounts,
        maxMs,
        clockShiftNanos,
        true);
  }

  /** Whether the point carries bucket counts. */
  boolean hasBuckets() {
    return bucketCounts.length > 0;
  }

  /**
   * The same point with its time moved to {@code newTimeNanos} (a sender's clock corrected). A
   * delta point's start moves with it, so it still covers the same length of time; a cumulative
   * point's start stays, since it names the stream (the move is kept in {@code clockShiftNanos}:
   * moved by the arrival's jitter, the start would name a new stream at every export).
   */
  MetricPoint withTime(long newTimeNanos) {
    long start = startNanos;
    if (!cumulative && startNanos > 0) {
      start = Math.max(1, startNanos + (newTimeNanos - timeNanos));
    }
    long shift = cumulative ? clockShiftNanos + (newTimeNanos - timeNanos) : 0;
    return with(
        cumulative, start, newTimeNanos, count, boundsMs, bucketCounts, maxMs, shift, exponential);
  }

  /**
   * This point's counts as a delta covering {@code [fromNanos, timeNanos]}, with its sketch (if
   * any) and the kind of its buckets.
   */
  MetricPoint asDelta(long fromNanos, long count, long[] buckets, double[] bounds, Double max) {
    return with(false, fromNanos, timeNanos, count, bounds, buckets, max, 0, exponential);
  }

  /** This point's stream, series, outcome, flags and sketch with the rest given anew. */
  private MetricPoint with(
      boolean cumulative,
      long startNanos,
      long timeNanos,
      long count,
      double[] boundsMs,
      long[] bucketCounts,
      Double maxMs,
      long clockShiftNanos,
      boolean exponential) {
    return new MetricPoint(
        stream,
        cluster,
        namespace,
        service,
        error,
        cumulative,
        startNanos,
        timeNanos,
        count,
        boundsMs,
        bucketCounts,
        maxMs,
        operation,
        latencyOnly,
        fromSpans,
        clockShiftNanos,
        exponential,
        sketch,
        origin);
  }

  /** {@code startNanos} on this processor's clock: as sent, moved as far as the point's time. */
  long startOnOurClock() {
    return startNanos == 0 ? 0 : Math.max(1, startNanos + clockShiftNanos);
  }
}
