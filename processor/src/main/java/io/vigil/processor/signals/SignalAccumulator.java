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
   * Counts by bucket layout: nearly always one, so room for one (a record makes a hundred of these
   * totals, and a list's default room for ten took 2.5 % of what the stream thread allocates).
   */
  private List<Layout> histograms = new ArrayList<>(1);

  /** Latencies of spans and exponential histograms; null until one arrives. */
  private LatencySketch sketch;

  /** Bucket counts of one layout. */
  static final class Layout {
    double[] boundsMs;
    long[] counts;

    Layout() {}

    Layout(double[] boundsMs, long[] counts) {
      this.boundsMs = boundsMs;
      this.counts = counts;
    }
  }

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
    BinarySerdes.writeVarint(out, histograms.size());
    for (Layout layout : histograms) {
      BinarySerdes.writeLayout(out, layouts, layout.boundsMs);
      BinarySerdes.writeVarlongs(out, layout.counts);
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
      a.histograms.add(
          compact
              ? new Layout(
                  BinarySerdes.readLayout(in, layouts, limit), BinarySerdes.readVarlongs(in, limit))
              : new Layout(BinarySerdes.readDoubles(in, limit), BinarySerdes.readLongs(in, limit)));
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
    for (Layout layout : other.histograms) {
      addBuckets(layout.boundsMs, layout.counts);
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
    for (Layout layout : histograms) {
      if (Arrays.equals(layout.boundsMs, bounds)) {
        for (int i = 0; i < counts.length; i++) {
          layout.counts[i] += counts[i];
        }
        return;
      }
    }
    if (histograms.size() < MAX_LAYOUTS) {
      // Bounds are never written after they are read, so they are shared; counts are added to.
      histograms.add(new Layout(bounds, counts.clone()));
    }
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
   * Quantiles from the bucket totals, whatever counted the requests: with a request counter and a
   * latency-only histogram, {@code requests} and the buckets' total differ. A window with only a
   * sketch reads its quantiles from it (within 1 %); one with a sketch and explicit buckets reads
   * the sketch as buckets ({@link LatencySketch#asBuckets}) merged with the others.
   */
  private GoldenSignal.Latency latency() {
    Double max = maxComplete ? maxMs : null;
    if (sketch != null && histograms.isEmpty()) {
      return new GoldenSignal.Latency(
          capped(sketch.quantile(0.50), max),
          capped(sketch.quantile(0.90), max),
          capped(sketch.quantile(0.95), max),
          capped(sketch.quantile(0.99), max),
          max);
    }
    List<Layout> layouts = histograms;
    if (sketch != null) {
      LatencySketch.Buckets b = sketch.asBuckets();
      layouts = new ArrayList<>(histograms);
      layouts.add(new Layout(b.boundsMs(), b.counts()));
    }
    // A layout is kept only for a point with observations, so any layout means some.
    if (layouts.isEmpty() && (requests == 0 || max == null)) {
      return null;
    }
    double[] bounds;
    double[] counts;
    if (layouts.isEmpty()) {
      bounds = new double[0];
      counts = new double[0];
    } else if (layouts.size() == 1) {
      bounds = layouts.get(0).boundsMs;
      counts = Arrays.stream(layouts.get(0).counts).asDoubleStream().toArray();
    } else {
      QuantileEstimator.Merged merged =
          QuantileEstimator.merge(
              layouts.stream().map(h -> h.boundsMs).toList(),
              layouts.stream().map(h -> h.counts).toList());
      bounds = merged.bounds();
      counts = merged.counts();
    }
    return new GoldenSignal.Latency(
        quantile(0.50, bounds, counts, max),
        quantile(0.90, bounds, counts, max),
        quantile(0.95, bounds, counts, max),
        quantile(0.99, bounds, counts, max),
        max);
  }

  private static Double quantile(double q, double[] bounds, double[] counts, Double max) {
    return capped(QuantileEstimator.quantile(q, bounds, counts), max);
  }

  /** No observation exceeded max, so neither can a quantile; estimates may overshoot it. */
  private static Double capped(double v, Double max) {
    if (Double.isNaN(v)) {
      return null;
    }
    return max != null ? Math.min(v, max) : v;
  }
}
