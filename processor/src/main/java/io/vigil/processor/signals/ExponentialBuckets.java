package io.vigil.processor.signals;

import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;

/**
 * Turns an OTLP exponential histogram point into explicit buckets, so that it is counted, merged
 * and interpolated like every other histogram. Bucket {@code k} of scale {@code s} holds values in
 * {@code (base^k, base^(k+1)]} with {@code base = 2^(2^-s)}: its upper bound becomes an explicit
 * bound, and the zero bucket (with any negative values, which a duration cannot have) becomes the
 * first bucket, up to the lowest positive bucket's lower bound. Interpolating inside one such
 * bucket errs by at most the bucket's relative width ({@code base - 1}: 9 % at scale 3, 1.1 % at
 * 6). Pure.
 */
final class ExponentialBuckets {
  /** The scales the OTLP specification allows. */
  static final int MIN_SCALE = -10;

  static final int MAX_SCALE = 20;

  /** More positive buckets than this is no SDK's output (they default to 160): refused. */
  static final int MAX_BUCKETS = 2_048;

  /**
   * Explicit buckets of one point.
   *
   * @param boundsMs upper bounds in milliseconds (empty when the point has no positive bucket)
   * @param buckets counts, one more than the bounds (or empty)
   */
  record Converted(double[] boundsMs, long[] buckets) {}

  private ExponentialBuckets() {}

  /** What is wrong with {@code dp}, as a counter reason, or null when it can be used. */
  static String check(ExponentialHistogramDataPoint dp) {
    if ((dp.getFlags() & DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE) != 0) {
      return "no_recorded_value";
    }
    if (dp.getTimeUnixNano() <= 0) {
      return "missing_time";
    }
    if (dp.getStartTimeUnixNano() < 0 || dp.getStartTimeUnixNano() > dp.getTimeUnixNano()) {
      return "invalid_start_time";
    }
    if (dp.getScale() < MIN_SCALE || dp.getScale() > MAX_SCALE) {
      return "invalid_scale";
    }
    if (dp.getPositive().getBucketCountsCount() > MAX_BUCKETS
        || dp.getNegative().getBucketCountsCount() > MAX_BUCKETS) {
      return "too_many_buckets";
    }
    long sum = dp.getZeroCount();
    if (dp.getCount() < 0 || sum < 0) {
      return "negative_count";
    }
    for (long c : dp.getPositive().getBucketCountsList()) {
      if (c < 0 || (sum += c) < 0) {
        return "negative_count";
      }
    }
    for (long c : dp.getNegative().getBucketCountsList()) {
      if (c < 0 || (sum += c) < 0) {
        return "negative_count";
      }
    }
    if (sum != dp.getCount()) {
      return "bucket_mismatch";
    }
    int n = dp.getPositive().getBucketCountsCount();
    if (n > 0) {
      double highest = bound(dp.getScale(), (long) dp.getPositive().getOffset() + n);
      if (!Double.isFinite(highest) || !(bound(dp.getScale(), dp.getPositive().getOffset()) > 0)) {
        return "invalid_bounds";
      }
    }
    return null;
  }

  /** The explicit buckets of a point that passed {@link #check}, bounds scaled by {@code toMs}. */
  static Converted convert(ExponentialHistogramDataPoint dp, double toMs) {
    int n = dp.getPositive().getBucketCountsCount();
    if (n == 0) {
      return new Converted(new double[0], new long[0]);
    }
    int scale = dp.getScale();
    long offset = dp.getPositive().getOffset();
    double[] bounds = new double[n + 1];
    long[] buckets = new long[n + 2];
    bounds[0] = bound(scale, offset) * toMs;
    long belowPositive = dp.getZeroCount();
    for (long c : dp.getNegative().getBucketCountsList()) {
      belowPositive += c;
    }
    buckets[0] = belowPositive;
    for (int j = 0; j < n; j++) {
      bounds[j + 1] = upperBound(scale, offset + j) * toMs;
      buckets[j + 1] = dp.getPositive().getBucketCounts(j);
    }
    return new Converted(bounds, buckets);
  }

  /** {@code base^index} for {@code scale}: the lower bound of bucket {@code index}. */
  private static double bound(int scale, long index) {
    return Math.pow(2, Math.scalb((double) index, -scale));
  }

  private static double upperBound(int scale, long index) {
    return bound(scale, index + 1);
  }
}
