package io.vigil.processor.signals;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.mapping.IndexMapping;
import com.datadoghq.sketch.ddsketch.mapping.LogarithmicMapping;
import com.datadoghq.sketch.ddsketch.store.Bin;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Latencies in milliseconds as a DDSketch (sketches-java): every quantile within {@link
 * #RELATIVE_ACCURACY} of the true value's, whatever the distribution, and mergeable across points,
 * seconds, instances and windows without losing that bound. Used where the exact values, or buckets
 * finer than explicit ones, are known: server spans (each duration added as it is) and exponential
 * histograms (each bucket spread over the sketch's bins it covers, evenly on the log scale — what
 * Prometheus assumes inside a native histogram's bucket). Counts stay whole numbers, so a sketch
 * can be read as explicit buckets too ({@link #asBuckets}) where a window also has those.
 *
 * <p>Mutable; written in the sketch's own encoding ({@link #toBytes}), read back only with this
 * class's mapping.
 */
final class LatencySketch {
  /** Relative error of any quantile: 1 %. */
  static final double RELATIVE_ACCURACY = 0.01;

  /**
   * Bins at most. 2,048 bins of ±1 % span a factor of e^41 — nanoseconds to years — so no real
   * latencies reach it; bytes that would make more (corrupt state) collapse the lowest instead of
   * allocating without bound.
   */
  static final int MAX_BINS = 2_048;

  private static final IndexMapping MAPPING = new LogarithmicMapping(RELATIVE_ACCURACY);

  /**
   * Bins one exponential bucket is spread over at most (a bucket of scale 0 covers 35); a wider one
   * (a scale below −3, which no SDK chooses) goes to its middle on the log scale, so a crafted
   * point cannot cost quadratic work.
   */
  static final int MAX_SPREAD = 512;

  /** Exact whole counts come out of the doubles the sketch keeps them in below this. */
  private static final double WHOLE = 0.5;

  private final DDSketch sketch;

  LatencySketch() {
    this(new DDSketch(MAPPING, () -> new CollapsingLowestDenseStore(MAX_BINS)));
  }

  private LatencySketch(DDSketch sketch) {
    this.sketch = sketch;
  }

  /** Adds {@code count} observations of {@code ms} (negative values count as 0). */
  LatencySketch add(double ms, long count) {
    if (count > 0) {
      sketch.accept(Math.max(0, ms), count);
    }
    return this;
  }

  /**
   * Adds an exponential histogram as {@link ExponentialBuckets} converts it: bucket 0 holds the
   * zero bucket (and any negative values), counted at 0; bucket {@code j} the values in {@code
   * (boundsMs[j-1], boundsMs[j]]}, spread over the sketch's bins in that range in proportion to
   * their overlap on the log scale, in whole numbers (largest remainder); the last bucket (above
   * every bound) at the highest bound.
   */
  LatencySketch addExponential(double[] boundsMs, long[] counts) {
    if (counts.length == 0) {
      return this;
    }
    add(0, counts[0]);
    for (int j = 1; j < boundsMs.length; j++) {
      spread(boundsMs[j - 1], boundsMs[j], counts[j]);
    }
    if (counts.length == boundsMs.length + 1 && boundsMs.length > 0) {
      add(boundsMs[boundsMs.length - 1], counts[boundsMs.length]);
    }
    return this;
  }

  private void spread(double lower, double upper, long count) {
    if (count <= 0) {
      return;
    }
    if (!(lower > 0) || !(upper > lower)) {
      add(upper, count);
      return;
    }
    int first = MAPPING.index(lower);
    int last = MAPPING.index(upper);
    if (first == last) {
      sketch.accept(MAPPING.value(last), count);
      return;
    }
    if (last - first >= MAX_SPREAD) {
      sketch.accept(Math.sqrt(lower) * Math.sqrt(upper), count);
      return;
    }
    long[] weights = new long[last - first + 1];
    double span = Math.log(upper) - Math.log(lower);
    for (int i = first; i <= last; i++) {
      double from = Math.max(lower, MAPPING.lowerBound(i));
      double to = Math.min(upper, MAPPING.upperBound(i));
      double overlap = to > from ? (Math.log(to) - Math.log(from)) / span : 0;
      weights[i - first] = Math.round(overlap * 1e9);
    }
    long[] shares = DeltaSpreader.apportion(count, weights);
    for (int i = first; i <= last; i++) {
      if (shares[i - first] > 0) {
        sketch.accept(MAPPING.value(i), shares[i - first]);
      }
    }
  }

  /** Adds {@code other}'s observations. */
  LatencySketch merge(LatencySketch other) {
    sketch.mergeWith(other.sketch);
    return this;
  }

  /** Observations added. */
  long count() {
    return (long) (sketch.getCount() + WHOLE);
  }

  /**
   * The {@code q}-quantile (0..1) within 1 %, or NaN without observations: the value of the bin
   * holding rank {@code q × count}, as Prometheus' {@code histogram_quantile} finds its bucket (the
   * sketch's own {@code getValueAtQuantile} ranks {@code q × (count − 1)}, which reads the p99 of 3
   * requests, one of them slow, as a fast one).
   */
  double quantile(double q) {
    double total = sketch.getCount();
    if (!(total > 0)) {
      return Double.NaN;
    }
    double rank = q * total;
    double zeros = total - sketch.getPositiveValueStore().getTotalCount();
    if (zeros > 0 && zeros >= rank) {
      return 0;
    }
    double cumulative = zeros;
    double value = 0;
    for (Iterator<Bin> it = sketch.getPositiveValueStore().getAscendingIterator(); it.hasNext(); ) {
      Bin bin = it.next();
      cumulative += bin.getCount();
      value = MAPPING.value(bin.getIndex());
      if (bin.getCount() > 0 && cumulative >= rank) {
        return value;
      }
    }
    return value;
  }

  /**
   * The sketch as explicit buckets, for a window that also has explicit histograms: each non-empty
   * bin a bucket of its own bounds, the gaps between bins empty buckets, observations of 0 a first
   * bucket bounded by 0. Interpolating inside a bin errs by less than the bin's 2 % width.
   *
   * @return the bounds (increasing) and the counts, one more than the bounds
   */
  Buckets asBuckets() {
    List<Bin> bins = new ArrayList<>();
    sketch.getPositiveValueStore().getAscendingIterator().forEachRemaining(bins::add);
    double[] bounds = new double[2 * bins.size() + 1];
    long[] counts = new long[bounds.length + 1];
    int n = 0;
    bounds[n] = 0;
    counts[n++] =
        (long) (sketch.getCount() - sketch.getPositiveValueStore().getTotalCount() + WHOLE);
    for (Bin bin : bins) {
      double lower = MAPPING.lowerBound(bin.getIndex());
      if (lower > bounds[n - 1] * (1 + 1e-12)) {
        bounds[n] = lower;
        counts[n++] = 0;
      }
      bounds[n] = Math.max(MAPPING.upperBound(bin.getIndex()), Math.nextUp(bounds[n - 1]));
      counts[n++] = (long) (bin.getCount() + WHOLE);
    }
    return new Buckets(Arrays.copyOf(bounds, n), Arrays.copyOf(counts, n + 1));
  }

  /**
   * Explicit buckets: {@code counts[i]} in {@code (bounds[i-1], bounds[i]]}, the last above all.
   */
  record Buckets(double[] boundsMs, long[] counts) {}

  /** The sketch in DDSketch's encoding (mapping, zero count, bins as varints). */
  byte[] toBytes() {
    GrowingByteArrayOutput out = GrowingByteArrayOutput.withDefaultInitialCapacity();
    try {
      sketch.encode(out, false);
    } catch (IOException e) {
      throw new UncheckedIOException("encoding into memory failed", e); // cannot happen
    }
    return out.trimmedCopy();
  }

  /**
   * Reads what {@link #toBytes} wrote.
   *
   * @throws IOException when the bytes are no sketch, or one of another mapping (merging it would
   *     break the error bound)
   */
  static LatencySketch fromBytes(byte[] bytes) throws IOException {
    DDSketch read;
    try {
      read =
          DDSketch.decode(
              ByteArrayInput.wrap(bytes), () -> new CollapsingLowestDenseStore(MAX_BINS));
    } catch (IOException | RuntimeException e) {
      throw new IOException("not a latency sketch: " + e, e);
    }
    if (!MAPPING.equals(read.getIndexMapping())) {
      throw new IOException("a latency sketch of another mapping: " + read.getIndexMapping());
    }
    if (read.getNegativeValueStore().getTotalCount() > 0
        || !(read.getCount() >= 0)
        || !Double.isFinite(read.getCount())) {
      throw new IOException("a latency sketch with negative values or counts");
    }
    return new LatencySketch(read);
  }
}
