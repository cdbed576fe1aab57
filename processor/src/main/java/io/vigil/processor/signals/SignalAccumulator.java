package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The running totals of one series over some time: a final window, or a one-second slot of the live
 * window. Stored in {@link BinarySerdes}' format in the processor's stores; mutable,
 * read-modify-written per point. Requests and errors are counted apart from the latency buckets, so
 * a window can take its requests from a counter and its latency from a histogram of the same
 * server.
 */
final class SignalAccumulator {
  /**
   * Distinct bucket layouts kept per window; beyond this a new layout's counts still count as
   * traffic and errors but not towards latency, so a misbehaving client cannot grow the state.
   */
  static final int MAX_LAYOUTS = 8;

  private String cluster;
  private String namespace;
  private String service;
  private String operation;
  private long requests;
  private long errors;
  private Double maxMs;

  /** Whether every point with requests so far carried a max; else the max would understate. */
  private boolean maxComplete = true;

  /**
   * The bounds and counts of the first bucket layout, null before any. Nearly every series has one
   * layout only, so it is held here rather than in a list of layouts: a record makes about one of
   * these totals per point, many kept as live slots, and a list with a layout object in it was 3 %
   * of the bytes the stream thread allocated, and two more references to follow at every merge.
   */
  private double[] firstBounds;

  private long[] firstCounts;

  /** The layouts after the first (clients of one series that disagree on bounds), else null. */
  private List<Layout> moreLayouts;

  /** Latencies of spans and exponential histograms; null until one arrives. */
  private LatencySketch sketch;

  /** Bucket counts of one layout. */
  private record Layout(double[] boundsMs, long[] counts) {}

  SignalAccumulator() {}

  /**
   * Writes these totals in the processor's binary state format ({@link BinarySerdes}): the series,
   * then {@link #writeCountsTo}.
   */
  void writeTo(BinaryOut out, List<double[]> layouts) throws IOException {
    BinarySerdes.writeNullable(out, cluster);
    BinarySerdes.writeNullable(out, namespace);
    BinarySerdes.writeNullable(out, service);
    BinarySerdes.writeNullable(out, operation);
    writeCountsTo(out, layouts);
  }

  /**
   * Writes these totals without the series they belong to (an operation's within its service's
   * window, a slot's within its live series): counts as varints, and each bucket layout as an index
   * into {@code layouts}, those written before in the same entry, or as the next index and the
   * bounds (then added).
   */
  void writeCountsTo(BinaryOut out, List<double[]> layouts) throws IOException {
    BinarySerdes.writeVarlong(out, requests);
    BinarySerdes.writeVarlong(out, errors);
    out.writeBoolean(maxComplete);
    out.writeBoolean(maxMs != null);
    if (maxMs != null) {
      out.writeDouble(maxMs);
    }
    int n = layoutCount();
    BinarySerdes.writeVarint(out, n);
    for (int i = 0; i < n; i++) {
      BinarySerdes.writeLayout(out, layouts, boundsOf(i));
      BinarySerdes.writeVarlongs(out, countsOf(i));
    }
    BinarySerdes.writeBytes(out, sketch == null ? new byte[0] : sketch.toBytes());
  }

  /**
   * Reads totals written by {@link #writeTo}; {@code limit} bounds every length read. The first
   * format ({@code withOperation} false) had no operation, the first two ({@code withSketch} false)
   * no sketch; for {@code layouts}, see {@link #readCounts}.
   */
  static SignalAccumulator readFrom(
      BinaryIn in, int limit, boolean withOperation, boolean withSketch, List<double[]> layouts)
      throws IOException {
    String cluster = BinarySerdes.readNullable(in);
    String namespace = BinarySerdes.readNullable(in);
    String service = BinarySerdes.readNullable(in);
    String operation = withOperation ? BinarySerdes.readNullable(in) : null;
    return readCounts(in, limit, withSketch, layouts, cluster, namespace, service, operation);
  }

  /**
   * Reads totals written by {@link #writeCountsTo}, of the series named by the other arguments,
   * with {@code layouts} those read before in the same entry; with {@code layouts} null, totals of
   * the formats before it: numbers as 8 bytes, the bounds with every layout.
   */
  static SignalAccumulator readCounts(
      BinaryIn in,
      int limit,
      boolean withSketch,
      List<double[]> layouts,
      String cluster,
      String namespace,
      String service,
      String operation)
      throws IOException {
    boolean compact = layouts != null;
    SignalAccumulator a = new SignalAccumulator(cluster, namespace, service, operation);
    a.requests = compact ? BinarySerdes.readVarlong(in) : in.readLong();
    a.errors = compact ? BinarySerdes.readVarlong(in) : in.readLong();
    a.maxComplete = in.readBoolean();
    a.maxMs = in.readBoolean() ? in.readDouble() : null;
    int n = BinarySerdes.readCount(in, limit);
    for (int i = 0; i < n; i++) {
      if (compact) {
        a.addLayout(
            BinarySerdes.readLayout(in, layouts, limit), BinarySerdes.readVarlongs(in, limit));
      } else {
        a.addLayout(BinarySerdes.readDoubles(in, limit), BinarySerdes.readLongs(in, limit));
      }
    }
    if (withSketch) {
      byte[] sketchBytes = BinarySerdes.readBytes(in, limit);
      a.sketch = sketchBytes.length == 0 ? null : LatencySketch.fromBytes(sketchBytes);
    }
    return a;
  }

  /** Empty totals of the given series. */
  SignalAccumulator(String cluster, String namespace, String service, String operation) {
    this.cluster = cluster;
    this.namespace = namespace;
    this.service = service;
    this.operation = operation;
  }

  /** These totals, of no operation until now, as those of {@code operation}. */
  SignalAccumulator named(String operation) {
    this.operation = operation;
    return this;
  }

  /**
   * Adds one delta point; the first one names the service (the operation is set at creation). A
   * {@link MetricPoint#latencyOnly() latency-only} point adds its buckets (and max) but no
   * requests: another metric of the same server counts them. Exponential buckets and a point's
   * sketch go into this window's sketch, explicit buckets into their layout.
   */
  SignalAccumulator add(MetricPoint p) {
    if (service == null) {
      cluster = p.cluster();
      namespace = p.namespace();
      service = p.service();
    }
    if (!p.latencyOnly()) {
      requests += p.count();
      if (p.error()) {
        errors += p.count();
      }
    }
    if (p.count() > 0) {
      if (p.maxMs() == null) {
        maxComplete = false;
      } else {
        maxMs = maxMs == null ? p.maxMs() : Math.max(maxMs, p.maxMs());
      }
    }
    if (p.count() > 0) {
      if (p.sketch() != null) {
        sketch().merge(p.sketch());
      } else if (p.hasBuckets() && p.exponential()) {
        sketch().addExponential(p.boundsMs(), p.bucketCounts());
      } else if (p.hasBuckets()) {
        addBuckets(p.boundsMs(), p.bucketCounts());
      }
    }
    return this;
  }

  /** Adds {@code other}'s totals (another slot of the same series). */
  SignalAccumulator merge(SignalAccumulator other) {
    requests += other.requests;
    errors += other.errors;
    // Empty totals are complete; totals with latency-only observations may have none.
    maxComplete &= other.maxComplete;
    if (other.maxMs != null) {
      maxMs = maxMs == null ? other.maxMs : Math.max(maxMs, other.maxMs);
    }
    for (int i = 0, n = other.layoutCount(); i < n; i++) {
      addBuckets(other.boundsOf(i), other.countsOf(i));
    }
    if (other.sketch != null) {
      sketch().merge(other.sketch);
    }
    return this;
  }

  private LatencySketch sketch() {
    if (sketch == null) {
      sketch = new LatencySketch();
    }
    return sketch;
  }

  private void addBuckets(double[] bounds, long[] counts) {
    int n = layoutCount();
    for (int i = 0; i < n; i++) {
      if (Arrays.equals(boundsOf(i), bounds)) {
        long[] into = countsOf(i);
        for (int b = 0; b < counts.length; b++) {
          into[b] += counts[b];
        }
        return;
      }
    }
    if (n < MAX_LAYOUTS) {
      // Bounds are never written after they are read, so they are shared; counts are added to.
      addLayout(bounds, counts.clone());
    }
  }

  private int layoutCount() {
    return firstCounts == null ? 0 : 1 + (moreLayouts == null ? 0 : moreLayouts.size());
  }

  private double[] boundsOf(int i) {
    return i == 0 ? firstBounds : moreLayouts.get(i - 1).boundsMs();
  }

  private long[] countsOf(int i) {
    return i == 0 ? firstCounts : moreLayouts.get(i - 1).counts();
  }

  private void addLayout(double[] bounds, long[] counts) {
    if (firstCounts == null) {
      firstBounds = bounds;
      firstCounts = counts;
      return;
    }
    if (moreLayouts == null) {
      moreLayouts = new ArrayList<>(1);
    }
    moreLayouts.add(new Layout(bounds, counts));
  }

  String cluster() {
    return cluster;
  }

  String namespace() {
    return namespace;
  }

  String service() {
    return service;
  }

  long requests() {
    return requests;
  }

  long errors() {
    return errors;
  }

  /** The operation these totals are of; null for the service as a whole. */
  String operation() {
    return operation;
  }

  /** The record for window {@code [startMs, startMs + size)}, stamped with its end. */
  GoldenSignal toSignal(long startMs, Duration size) {
    return toSignal(startMs, size, null, null);
  }

  /**
   * The record for window {@code [startMs, startMs + size)}, stamped {@code timestamp} (null: the
   * window end), with {@code revision} (null on a window's own record).
   */
  GoldenSignal toSignal(long startMs, Duration size, Instant timestamp, Long revision) {
    Instant start = Instant.ofEpochMilli(startMs);
    Instant end = start.plus(size);
    double seconds = size.toMillis() / 1000.0;
    return new GoldenSignal(
        timestamp,
        new GoldenSignal.Window(start, end, size.toSeconds()),
        cluster,
        namespace,
        service,
        operation,
        new GoldenSignal.Traffic(requests, requests / seconds),
        new GoldenSignal.Errors(errors, requests > 0 ? (double) errors / requests : 0.0),
        latency(),
        null,
        revision);
  }

  /**
   * Quantiles from the bucket totals and sketch ({@link QuantileEstimator#latency}), with the max
   * only when every point with requests carried one.
   */
  private GoldenSignal.Latency latency() {
    int n = layoutCount();
    List<double[]> bounds = new ArrayList<>(n);
    List<long[]> counts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      bounds.add(boundsOf(i));
      counts.add(countsOf(i));
    }
    return QuantileEstimator.latency(bounds, counts, sketch, requests, maxComplete ? maxMs : null);
  }
}
