package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeltaCalculatorTest {
  private static final long S = 1_000_000_000L;

  /** When the processor's state began: a first point that started since is counted in full. */
  private static final long SINCE = 1000 * S;

  private static final double[] BOUNDS = {10, 100};

  private static MetricPoint cumulative(long start, long time, long... buckets) {
    long count = 0;
    for (long b : buckets) {
      count += b;
    }
    return new MetricPoint(
        "stream", "c1", "ns", "svc", false, true, start, time, count, BOUNDS, buckets, null, null,
        false);
  }

  @Test
  void eachDeltaIsWhatCameSinceThePointBeforeAndTheStateTheLatestCumulative() {
    java.util.Random random = new java.util.Random(11);
    long[] total = {5, 5, 0};
    DeltaCalculator.Step step =
        DeltaCalculator.next(null, cumulative(SINCE + S, SINCE + 2 * S, total.clone()), SINCE);
    long[] firstDelta = step.delta().bucketCounts().clone();
    assertThat(firstDelta).containsExactly(5, 5, 0);
    for (int i = 3; i < 60; i++) {
      long[] added = {random.nextInt(4), random.nextInt(4), random.nextInt(2)};
      for (int b = 0; b < total.length; b++) {
        total[b] += added[b];
      }
      step =
          DeltaCalculator.next(
              step.state(), cumulative(SINCE + S, SINCE + i * S, total.clone()), SINCE);

      // Read as the caller reads it, before the next step (which may write over these counts).
      assertThat(step.delta().bucketCounts()).as("point %d", i).containsExactly(added);
      assertThat(step.delta().count()).isEqualTo(added[0] + added[1] + added[2]);
      assertThat(step.state().bucketCounts()).containsExactly(total);
    }
  }

  @Test
  void firstPointOfALongRunningStreamOnlySeeds() {
    MetricPoint p = cumulative(10 * S, SINCE + 2 * S, 5, 5, 0);
    DeltaCalculator.Step step = DeltaCalculator.next(null, p, SINCE);

    assertThat(step.delta()).isNull();
    assertThat(step.skipReason()).isNull();
    assertThat(step.state().count()).isEqualTo(10);
  }

  @Test
  void firstPointOfAStreamStartedSinceTheProcessorBeganCountsInFull() {
    MetricPoint p = cumulative(SINCE + S, SINCE + 2 * S, 5, 5, 0);
    DeltaCalculator.Step step = DeltaCalculator.next(null, p, SINCE);

    assertThat(step.delta().count()).isEqualTo(10);
    assertThat(step.delta().cumulative()).isFalse();
  }

  @Test
  void aSenderWhoseClockIsBehindIsCountedFromItsFirstPointAndStaysOneStream() {
    long behind = 600 * S;
    // Started 1 s after the processor, by a clock ten minutes behind; corrected to the arrival,
    // which
    // moves by a few milliseconds of jitter from one export to the next.
    MetricPoint first =
        cumulative(SINCE + S - behind, SINCE + 2 * S - behind, 5, 5, 0).withTime(SINCE + 2 * S + 3);
    DeltaCalculator.Step one = DeltaCalculator.next(null, first, SINCE);

    assertThat(one.delta().count()).as("the first point, counted in full").isEqualTo(10);
    assertThat(one.delta().startNanos()).as("from its start on our clock").isEqualTo(SINCE + S + 3);

    MetricPoint second =
        cumulative(SINCE + S - behind, SINCE + 3 * S - behind, 7, 6, 0).withTime(SINCE + 3 * S + 9);
    DeltaCalculator.Step two = DeltaCalculator.next(one.state(), second, SINCE);

    assertThat(two.delta().count()).as("the same stream: only what is new").isEqualTo(3);
    assertThat(two.delta().startNanos()).isEqualTo(SINCE + 2 * S + 3);
  }

  @Test
  void aSenderWhoseClockIsBehindAndStartedBeforeTheProcessorOnlySeeds() {
    long behind = 600 * S;
    MetricPoint p =
        cumulative(SINCE - 5 * S - behind, SINCE + 2 * S - behind, 5, 5, 0).withTime(SINCE + 2 * S);

    assertThat(DeltaCalculator.next(null, p, SINCE).delta()).isNull();
  }

  @Test
  void firstPointStampedWithItsOwnStartOnlySeeds() {
    // The scraper's first scrape of a counter without _created: its value spans the target's life.
    MetricPoint p = cumulative(SINCE + 2 * S, SINCE + 2 * S, 5, 5, 0);
    DeltaCalculator.Step step = DeltaCalculator.next(null, p, SINCE);

    assertThat(step.delta()).isNull();
    assertThat(step.state().count()).isEqualTo(10);
  }

  @Test
  void keepsALatencyOnlyPointLatencyOnly() {
    MetricPoint first = cumulative(10 * S, SINCE + S, 1, 1, 0);
    MetricPoint second = cumulative(10 * S, SINCE + 2 * S, 3, 2, 1);
    MetricPoint latency =
        new MetricPoint(
            "stream",
            "c1",
            "ns",
            "svc",
            false,
            true,
            10 * S,
            SINCE + 2 * S,
            6,
            BOUNDS,
            second.bucketCounts(),
            null,
            null,
            true);
    DeltaCalculator.Step step =
        DeltaCalculator.next(DeltaCalculator.next(null, first, SINCE).state(), latency, SINCE);

    assertThat(step.delta().latencyOnly()).isTrue();
    assertThat(step.delta().bucketCounts()).containsExactly(2, 1, 1);
  }

  @Test
  void firstPointWithoutStartTimeOnlySeeds() {
    MetricPoint p = cumulative(0, SINCE + 2 * S, 1, 0, 0);
    assertThat(DeltaCalculator.next(null, p, 0).delta()).isNull();
  }

  @Test
  void subtractsThePreviousPointBucketByBucket() {
    StreamState previous = StreamState.of(cumulative(10 * S, SINCE, 5, 5, 0));
    MetricPoint p = cumulative(10 * S, SINCE + 2 * S, 7, 9, 1);
    DeltaCalculator.Step step = DeltaCalculator.next(previous, p, SINCE);

    assertThat(step.delta().count()).isEqualTo(7);
    assertThat(step.delta().bucketCounts()).containsExactly(2, 4, 1);
    assertThat(step.delta().startNanos()).isEqualTo(SINCE);
    assertThat(step.delta().maxMs()).isNull();
    assertThat(step.state().count()).isEqualTo(17);
  }

  @Test
  void countsARestartInFull() {
    StreamState previous = StreamState.of(cumulative(10 * S, SINCE, 50, 50, 0));
    MetricPoint restarted = cumulative(SINCE + S, SINCE + 2 * S, 1, 2, 0);

    assertThat(DeltaCalculator.next(previous, restarted, SINCE).delta().count()).isEqualTo(3);
  }

  @Test
  void skipsADecreasedBucketWithTheSameStartAsAnotherWriter() {
    StreamState previous = StreamState.of(cumulative(10 * S, SINCE, 5, 5, 0));
    MetricPoint p = cumulative(10 * S, SINCE + S, 1, 5, 10);
    DeltaCalculator.Step step = DeltaCalculator.next(previous, p, SINCE);

    assertThat(step.delta()).isNull();
    assertThat(step.state()).isNull();
    assertThat(step.skipReason()).isEqualTo("duplicate_writer");
  }

  @Test
  void countsADecreaseWithoutStartTimeAsAReset() {
    StreamState previous = StreamState.of(cumulative(0, SINCE, 5, 5, 0));
    MetricPoint p = cumulative(0, SINCE + S, 1, 5, 10);
    DeltaCalculator.Step step = DeltaCalculator.next(previous, p, SINCE);

    assertThat(step.delta().count()).isEqualTo(16);
    assertThat(step.delta().bucketCounts()).containsExactly(1, 5, 10);
  }

  @Test
  void onlySeedsAStreamThatWasForgottenForSilence() {
    StreamState marker = StreamState.evictedAt(SINCE);
    MetricPoint p = cumulative(SINCE + S, SINCE + 7200 * S, 5, 5, 0);
    DeltaCalculator.Step step = DeltaCalculator.next(marker, p, SINCE);

    assertThat(step.delta()).isNull();
    assertThat(step.state().count()).isEqualTo(10);
    assertThat(step.state().evicted()).isFalse();
  }

  @Test
  void skipsAnOlderOrRepeatedPointWithoutTouchingState() {
    StreamState previous = StreamState.of(cumulative(10 * S, SINCE, 5, 5, 0));
    DeltaCalculator.Step step =
        DeltaCalculator.next(previous, cumulative(10 * S, SINCE, 5, 5, 0), SINCE);

    assertThat(step.delta()).isNull();
    assertThat(step.state()).isNull();
    assertThat(step.skipReason()).isEqualTo("out_of_order");
  }

  @Test
  void keepsOnlyTheCountWhenTheBucketLayoutChanges() {
    StreamState previous = new StreamState(10 * S, SINCE, 10, new double[] {5}, new long[] {4, 6});
    MetricPoint p = cumulative(10 * S, SINCE + S, 5, 5, 3);
    DeltaCalculator.Step step = DeltaCalculator.next(previous, p, SINCE);

    assertThat(step.delta().count()).isEqualTo(3);
    assertThat(step.delta().hasBuckets()).isFalse();
  }

  /** A cumulative exponential histogram point of {@code values} at {@code scale}. */
  private static MetricPoint exponential(long time, int scale, double[] values) {
    ExponentialBuckets.Converted c =
        ExponentialBuckets.convert(LatencySketchTest.exponential(scale, values), 1.0);
    return new MetricPoint(
            "stream",
            "c1",
            "ns",
            "svc",
            false,
            true,
            SINCE - S,
            time,
            values.length,
            c.boundsMs(),
            c.buckets(),
            null,
            null,
            false)
        .asExponential();
  }

  @Test
  void subtractsAnExponentialHistogramWhoseRangeGrewAndScaleWentDown() {
    double[] before = {3, 3.5, 40, 41, 42, 90};
    double[] after = {3, 3.5, 40, 41, 42, 90, 0.4, 44, 2_500, 2_600}; // four new, wider apart
    MetricPoint first = exponential(SINCE + S, 4, before);
    MetricPoint second = exponential(SINCE + 2 * S, 3, after);
    assertThat(second.boundsMs()).isNotEqualTo(first.boundsMs());

    DeltaCalculator.Step step =
        DeltaCalculator.next(DeltaCalculator.next(null, first, SINCE).state(), second, SINCE);

    MetricPoint delta = step.delta();
    assertThat(delta.count()).isEqualTo(4);
    assertThat(delta.exponential()).isTrue();
    double[] bounds = delta.boundsMs();
    long[] expected = new long[bounds.length + 1];
    for (double v : new double[] {0.4, 44, 2_500, 2_600}) {
      int j = 1;
      while (j < bounds.length && v > bounds[j]) {
        j++;
      }
      expected[j]++;
    }
    assertThat(delta.bucketCounts()).as("the new values' buckets").containsExactly(expected);
  }

  @Test
  void leavesOutBucketsOfAnExponentialHistogramWhoseScaleWentUp() {
    // A finer scale has bounds inside the old buckets: their counts cannot be split.
    MetricPoint first = exponential(SINCE + S, 2, new double[] {3, 40});
    MetricPoint second = exponential(SINCE + 2 * S, 5, new double[] {3, 40, 41});

    MetricPoint delta =
        DeltaCalculator.next(DeltaCalculator.next(null, first, SINCE).state(), second, SINCE)
            .delta();

    assertThat(delta.count()).isEqualTo(1);
    assertThat(delta.hasBuckets()).isFalse();
  }
}
