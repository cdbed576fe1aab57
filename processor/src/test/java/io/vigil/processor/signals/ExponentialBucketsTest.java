package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.Buckets;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExponentialBucketsTest {
  private static final Set<String> REASONS =
      Set.of(
          "no_recorded_value",
          "missing_time",
          "invalid_start_time",
          "invalid_scale",
          "too_many_buckets",
          "negative_count",
          "bucket_mismatch",
          "invalid_bounds");

  @Test
  void givesEveryPointEitherAReasonOrIncreasingBoundsThatKeepItsCount() {
    Random random = new Random(11);
    int converted = 0;
    for (int run = 0; run < 5_000; run++) {
      Buckets.Builder positive = Buckets.newBuilder().setOffset(random.nextInt(400) - 200);
      long count = 0;
      int n = random.nextInt(40);
      for (int i = 0; i < n; i++) {
        long c = random.nextInt(10) == 0 ? -1 : random.nextInt(50);
        positive.addBucketCounts(c);
        count += c;
      }
      long zero = random.nextInt(5);
      count += zero;
      ExponentialHistogramDataPoint dp =
          ExponentialHistogramDataPoint.newBuilder()
              .setStartTimeUnixNano(1)
              .setTimeUnixNano(random.nextInt(20) == 0 ? 0 : 2)
              .setScale(random.nextInt(40) - 15)
              .setZeroCount(zero)
              .setCount(random.nextInt(10) == 0 ? count + 1 : count)
              .setPositive(positive)
              .build();

      String reason = ExponentialBuckets.check(dp);
      if (reason != null) {
        assertThat(REASONS).contains(reason);
        continue;
      }
      converted++;
      ExponentialBuckets.Converted c = ExponentialBuckets.convert(dp, 1000.0);
      long total = 0;
      for (long b : c.buckets()) {
        total += b;
      }
      if (c.boundsMs().length > 0) {
        assertThat(total).isEqualTo(dp.getCount());
        assertThat(c.buckets()).hasSize(c.boundsMs().length + 1);
        for (int i = 1; i < c.boundsMs().length; i++) {
          assertThat(c.boundsMs()[i]).isGreaterThan(c.boundsMs()[i - 1]);
        }
        assertThat(c.boundsMs()[0]).isPositive();
      }
    }
    assertThat(converted).as("valid points among the random ones").isGreaterThan(500);
  }
}
