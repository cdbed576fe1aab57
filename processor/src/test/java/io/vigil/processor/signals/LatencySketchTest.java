package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.withinPercentage;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.Buckets;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencySketchTest {
  private static final double[] QUANTILES = {0.5, 0.9, 0.95, 0.99};

  /** Latencies as a service has them: log-normal around 80 ms, with a slow tail. */
  private static double[] latencies(long seed, int n) {
    Random random = new Random(seed);
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      values[i] = Math.exp(Math.log(80) + 0.9 * random.nextGaussian());
    }
    return values;
  }

  /** The exact quantile of sorted values: the one at rank q × n (nearest rank). */
  private static double exact(double[] sorted, double q) {
    return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
  }

  @Test
  void ranksAsHistogramQuantileDoesSoOneSlowRequestInThreeIsTheP99() {
    LatencySketch sketch = new LatencySketch().add(120, 2).add(480, 1);

    assertThat(sketch.quantile(0.99)).isCloseTo(480, withinPercentage(1));
    assertThat(sketch.quantile(0.5)).isCloseTo(120, withinPercentage(1));
    assertThat(sketch.quantile(0)).isCloseTo(120, withinPercentage(1));
    assertThat(new LatencySketch().add(0, 1).add(5, 1).quantile(0.5)).isZero();
    assertThat(new LatencySketch().quantile(0.5)).isNaN();
  }

  @Test
  void keepsEveryQuantileWithinOnePercentAcrossMergesAndTheStore() throws IOException {
    double[] values = latencies(7, 20_000);
    LatencySketch[] parts = new LatencySketch[10];
    for (int i = 0; i < values.length; i++) {
      if (parts[i % 10] == null) {
        parts[i % 10] = new LatencySketch();
      }
      parts[i % 10].add(values[i], 1);
    }
    LatencySketch merged = new LatencySketch();
    for (LatencySketch part : parts) {
      merged.merge(LatencySketch.fromBytes(part.toBytes()));
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);

    assertThat(merged.count()).isEqualTo(values.length);
    for (double q : QUANTILES) {
      assertThat(merged.quantile(q)).as("q%s", q).isCloseTo(exact(sorted, q), withinPercentage(1));
    }
  }

  /**
   * An exponential histogram of the same latencies, at scale 3 (the OpenTelemetry SDK's for a range
   * of 1 ms to 10 s in 160 buckets) and at scale 6: read log-evenly inside each bucket, the
   * quantiles are as close as the bucket widths allow — within half a bucket plus the sketch's 1 %.
   */
  @Test
  void readsExponentialHistogramsWithinTheirBucketWidth() {
    double[] values = latencies(11, 20_000);
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    for (int scale : new int[] {3, 6}) {
      ExponentialBuckets.Converted converted =
          ExponentialBuckets.convert(exponential(scale, values), 1.0);
      LatencySketch sketch =
          new LatencySketch().addExponential(converted.boundsMs(), converted.buckets());
      double halfBucket = Math.pow(2, Math.pow(2, -scale) / 2) - 1;

      assertThat(sketch.count()).isEqualTo(values.length);
      for (double q : QUANTILES) {
        assertThat(sketch.quantile(q))
            .as("scale %d, q%s", scale, q)
            .isCloseTo(exact(sorted, q), withinPercentage(100 * (halfBucket + 0.01)));
      }
    }
  }

  /** Exponential histogram of {@code values} at {@code scale}, as an SDK would export it. */
  static ExponentialHistogramDataPoint exponential(int scale, double[] values) {
    int min = Integer.MAX_VALUE;
    int max = Integer.MIN_VALUE;
    int[] indexes = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      // Bucket index: the value is in (base^index, base^(index+1)].
      indexes[i] = (int) Math.ceil(Math.scalb(Math.log(values[i]) / Math.log(2), scale)) - 1;
      min = Math.min(min, indexes[i]);
      max = Math.max(max, indexes[i]);
    }
    long[] counts = new long[max - min + 1];
    for (int index : indexes) {
      counts[index - min]++;
    }
    Buckets.Builder positive = Buckets.newBuilder().setOffset(min);
    for (long c : counts) {
      positive.addBucketCounts(c);
    }
    return ExponentialHistogramDataPoint.newBuilder()
        .setStartTimeUnixNano(1)
        .setTimeUnixNano(2)
        .setScale(scale)
        .setCount(values.length)
        .setPositive(positive)
        .build();
  }

  @Test
  void putsABucketWiderThanItsSpreadAtItsLogMiddle() {
    // Scale −4: one bucket from 1 ms to 65.5 s (about 560 bins of the sketch).
    LatencySketch sketch =
        new LatencySketch().addExponential(new double[] {1, 65_536}, new long[] {0, 5, 0});

    assertThat(sketch.count()).isEqualTo(5);
    assertThat(sketch.quantile(0.5)).isCloseTo(256, withinPercentage(1));
  }

  @Test
  void readsAsExplicitBucketsThatKeepEveryCountAndQuantile() {
    LatencySketch sketch = new LatencySketch().add(0, 2).add(3, 5).add(3.05, 1).add(900, 2);

    LatencySketch.Buckets buckets = sketch.asBuckets();

    assertThat(Arrays.stream(buckets.counts()).sum()).isEqualTo(10);
    assertThat(buckets.counts()[0]).as("observations of 0").isEqualTo(2);
    for (int i = 1; i < buckets.boundsMs().length; i++) {
      assertThat(buckets.boundsMs()[i]).isGreaterThan(buckets.boundsMs()[i - 1]);
    }
    double[] counts = Arrays.stream(buckets.counts()).asDoubleStream().toArray();
    assertThat(QuantileEstimator.quantile(0.5, buckets.boundsMs(), counts))
        .isCloseTo(3, withinPercentage(2));
    assertThat(QuantileEstimator.quantile(0.95, buckets.boundsMs(), counts))
        .isCloseTo(900, withinPercentage(2));
  }

  @Test
  void refusesBytesThatAreNoSketchOfItsMapping() throws IOException {
    byte[] good = new LatencySketch().add(12, 3).toBytes();
    DDSketch coarser = new DDSketch(0.05);
    coarser.accept(12);
    GrowingByteArrayOutput out = GrowingByteArrayOutput.withDefaultInitialCapacity();
    coarser.encode(out, false);
    byte[] otherMapping = out.trimmedCopy();

    assertThatThrownBy(() -> LatencySketch.fromBytes(otherMapping))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("another mapping");
    Random random = new Random(3);
    for (int run = 0; run < 2_000; run++) {
      byte[] broken = Arrays.copyOf(good, random.nextInt(good.length + 8));
      if (broken.length > 0) {
        broken[random.nextInt(broken.length)] ^= (byte) (1 << random.nextInt(8));
      }
      try {
        LatencySketch read = LatencySketch.fromBytes(broken);
        assertThat(read.count()).as("a sketch that reads is a sketch").isNotNegative();
      } catch (IOException expected) {
        assertThat(expected).hasMessageContaining("sketch");
      }
    }
  }
}
