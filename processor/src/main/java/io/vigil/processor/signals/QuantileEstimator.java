package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * A window's latency from its bucket totals and sketch ({@link #latency}), and the estimator under
 * it: quantiles from explicit-bucket histograms the way Prometheus' {@code histogram_quantile}
 * does: find the bucket holding the requested rank and interpolate linearly inside it; the first
 * bucket starts at 0 (when its upper bound is positive); a rank in the overflow (+Inf) bucket
 * yields that bucket's lower bound, the highest finite bound.
 */
final class QuantileEstimator {
  private QuantileEstimator() {}

  /**
   * A window's latency from its explicit buckets ({@code boundsList[i]} with {@code countsList[i]},
   * one entry per layout) and its sketch (null: none), capped at {@code max} (null: not known for
   * every request), or null when nothing says anything of it. Quantiles come from the bucket totals
   * whatever counted the requests: with a request counter and a latency-only histogram, {@code
   * requests} and the buckets' total differ. A window with only a sketch reads its quantiles from
   * it (within 1 %); one with a sketch and explicit buckets reads the sketch as buckets ({@link
   * LatencySketch#asBuckets}) merged with the others.
   */
  static GoldenSignal.Latency latency(
      List<double[]> boundsList,
      List<long[]> countsList,
      LatencySketch sketch,
      long requests,
      Double max) {
    if (sketch != null && boundsList.isEmpty()) {
      return new GoldenSignal.Latency(
          capped(sketch.quantile(0.50), max),
          capped(sketch.quantile(0.90), max),
          capped(sketch.quantile(0.95), max),
          capped(sketch.quantile(0.99), max),
          max);
    }
    if (sketch != null) {
      LatencySketch.Buckets b = sketch.asBuckets();
      boundsList = new ArrayList<>(boundsList);
      countsList = new ArrayList<>(countsList);
      boundsList.add(b.boundsMs());
      countsList.add(b.counts());
    }
    // A layout is kept only for a point with observations, so any layout means some.
    if (boundsList.isEmpty() && (requests == 0 || max == null)) {
      return null;
    }
    double[] bounds;
    double[] counts;
    if (boundsList.isEmpty()) {
      bounds = new double[0];
      counts = new double[0];
    } else if (boundsList.size() == 1) {
      bounds = boundsList.get(0);
      counts = Arrays.stream(countsList.get(0)).asDoubleStream().toArray();
    } else {
      Merged merged = merge(boundsList, countsList);
      bounds = merged.bounds();
      counts = merged.counts();
    }
    return new GoldenSignal.Latency(
        capped(quantile(0.50, bounds, counts), max),
        capped(quantile(0.90, bounds, counts), max),
        capped(quantile(0.95, bounds, counts), max),
        capped(quantile(0.99, bounds, counts), max),
        max);
  }

  /** No observation exceeded max, so neither can a quantile; estimates may overshoot it. */
  private static Double capped(double v, Double max) {
    if (Double.isNaN(v)) {
      return null;
    }
    return max != null ? Math.min(v, max) : v;
  }

  /**
   * The {@code q}-quantile (0..1) of a histogram with finite upper bounds {@code bounds} and {@code
   * bounds.length + 1} bucket counts (the last is the overflow bucket), or NaN when it has no
   * finite bucket or no observations.
   */
  static double quantile(double q, double[] bounds, double[] counts) {
    if (bounds.length == 0 || counts.length != bounds.length + 1) {
      return Double.NaN;
    }
    double total = 0;
    for (double c : counts) {
      total += c;
    }
    if (!(total > 0)) {
      return Double.NaN;
    }
    double rank = q * total;
    double below = 0;
    for (int i = 0; i < bounds.length; i++) {
      double cumulative = below + counts[i];
      if (cumulative >= rank && counts[i] > 0) {
        double upper = bounds[i];
        double lower;
        if (i == 0) {
          if (upper <= 0) {
            return upper;
          }
          lower = 0;
        } else {
          lower = bounds[i - 1];
        }
        return lower + (upper - lower) * ((rank - below) / counts[i]);
      }
      below = cumulative;
    }
    return bounds[bounds.length - 1];
  }

  /**
   * Histograms with different bucket layouts merged onto the union of their bounds. Each bucket's
   * count is spread over the finer buckets it covers in proportion to their width — the same
   * uniform-density assumption the interpolation makes, so a single histogram's quantiles do not
   * change. Overflow counts stay in the overflow bucket.
   */
  static Merged merge(List<double[]> boundsList, List<long[]> countsList) {
    TreeSet<Double> union = new TreeSet<>();
    for (double[] bounds : boundsList) {
      for (double b : bounds) {
        union.add(b);
      }
    }
    double[] target = union.stream().mapToDouble(Double::doubleValue).toArray();
    double[] merged = new double[target.length + 1];
    for (int h = 0; h < boundsList.size(); h++) {
      double[] bounds = boundsList.get(h);
      long[] counts = countsList.get(h);
      for (int i = 0; i < counts.length; i++) {
        if (counts[i] == 0) {
          continue;
        }
        if (i == bounds.length) {
          merged[target.length] += counts[i];
          continue;
        }
        double hi = bounds[i];
        double lo = i == 0 ? Math.min(0, hi) : bounds[i - 1];
        spread(counts[i], lo, hi, target, merged);
      }
    }
    return new Merged(target, merged);
  }

  private static void spread(long count, double lo, double hi, double[] target, double[] merged) {
    if (!(hi > lo)) {
      merged[indexOf(target, hi)] += count;
      return;
    }
    for (int j = 0; j < target.length; j++) {
      double tHi = target[j];
      double tLo = j == 0 ? Math.min(0, tHi) : target[j - 1];
      double overlap = Math.min(hi, tHi) - Math.max(lo, tLo);
      if (overlap > 0) {
        merged[j] += count * (overlap / (hi - lo));
      }
    }
  }

  private static int indexOf(double[] target, double bound) {
    for (int j = 0; j < target.length; j++) {
      if (target[j] == bound) {
        return j;
      }
    }
    return target.length;
  }

  /** A histogram with fractional counts: the result of {@link #merge}. */
  record Merged(double[] bounds, double[] counts) {}
}
