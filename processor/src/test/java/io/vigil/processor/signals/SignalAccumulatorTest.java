package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.vigil.model.signal.GoldenSignal;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class SignalAccumulatorTest {
  private static MetricPoint delta(boolean error, double[] bounds, long[] buckets, Double max) {
    long count = 0;
    for (long b : buckets) {
      count += b;
    }
    return new MetricPoint(
        "s", null, "ns", "svc", error, false, 1, 2, count, bounds, buckets, max, null, false);
  }

  /** {@code totals} written as a window's entry and read back. */
  private static SignalAccumulator throughTheStore(SignalAccumulator totals) {
    Serde<WindowTotals> serde = BinarySerdes.windowTotals();
    return serde
        .deserializer()
        .deserialize("t", serde.serializer().serialize("t", new WindowTotals(false, totals)))
        .totals();
  }

  @Test
  void survivesTheStoreRoundTrip() {
    Serde<WindowTotals> serde = BinarySerdes.windowTotals();
    SignalAccumulator acc =
        new SignalAccumulator()
            .add(delta(false, new double[] {10, 100}, new long[] {1, 2, 3}, 300.0))
            .add(delta(true, new double[] {10, 100}, new long[] {1, 0, 0}, 5.0));
    byte[] bytes = serde.serializer().serialize("t", new WindowTotals(true, acc));
    WindowTotals stored = serde.deserializer().deserialize("t", bytes);
    assertThat(stored.late()).isTrue();
    SignalAccumulator back = stored.totals();

    GoldenSignal signal =
        back.toSignal(Instant.parse("2025-01-01T00:00:00Z").toEpochMilli(), Duration.ofSeconds(10));
    assertThat(signal)
        .isEqualTo(
            acc.toSignal(
                Instant.parse("2025-01-01T00:00:00Z").toEpochMilli(), Duration.ofSeconds(10)));
    assertThat(signal.traffic().requests()).isEqualTo(7);
    assertThat(signal.traffic().ratePerS()).isEqualTo(0.7);
    assertThat(signal.errors().count()).isEqualTo(1);
    assertThat(signal.latencyMs().max()).isEqualTo(300.0);
    assertThat(signal.cluster()).isNull();
    assertThat(signal.window().end()).isEqualTo(Instant.parse("2025-01-01T00:00:10Z"));
  }

  @Test
  void mergesDifferentBucketLayouts() {
    SignalAccumulator acc =
        new SignalAccumulator()
            .add(delta(false, new double[] {10, 100}, new long[] {0, 10, 0}, null))
            .add(delta(false, new double[] {50}, new long[] {0, 0}, null))
            .add(delta(false, new double[] {20}, new long[] {10, 0}, null));
    GoldenSignal signal = acc.toSignal(0, Duration.ofSeconds(10));

    assertThat(signal.traffic().requests()).isEqualTo(20);
    // 10 in (0,20] and 10 spread over (10,100]: the median sits at 20 - 10/9*... about 19.
    assertThat(signal.latencyMs().p50()).isBetween(10.0, 20.0);
    assertThat(signal.latencyMs().p99()).isBetween(90.0, 100.0);
  }

  @Test
  void keepsTheFirstLayoutsUpToTheLimitAndCountsTheRequestsOfAll() {
    SignalAccumulator acc = new SignalAccumulator();
    int layouts = SignalAccumulator.MAX_LAYOUTS + 2;
    for (int i = 1; i <= layouts; i++) {
      // Layout i: one bound at i seconds, its ten requests at or below it.
      acc.add(delta(false, new double[] {i * 1000.0}, new long[] {10, 0}, null));
    }
    SignalAccumulator merged = new SignalAccumulator(null, "ns", "svc", null).merge(acc).merge(acc);
    SignalAccumulator back = throughTheStore(merged);

    GoldenSignal signal = back.toSignal(0, Duration.ofSeconds(10));
    assertThat(signal).isEqualTo(merged.toSignal(0, Duration.ofSeconds(10)));
    assertThat(signal.traffic().requests()).isEqualTo(2L * 10 * layouts);
    // The last two layouts' latencies (up to 10 s) are left out: nothing above the eighth's 8 s.
    assertThat(signal.latencyMs().p99()).isBetween(7000.0, 8000.0);
    assertThat(signal.latencyMs().p50()).isBetween(1000.0, 5000.0);
  }

  @Test
  void capsQuantilesAtTheMaximum() {
    SignalAccumulator acc =
        new SignalAccumulator()
            .add(delta(false, new double[] {10, 1000}, new long[] {0, 4, 0}, 40.0));
    GoldenSignal.Latency latency = acc.toSignal(0, Duration.ofSeconds(10)).latencyMs();

    assertThat(latency.p99()).isEqualTo(40.0);
    assertThat(latency.p50()).isEqualTo(40.0);
  }

  @Test
  void reportsAnEmptyWindowWithoutLatency() {
    GoldenSignal signal =
        new SignalAccumulator()
            .add(delta(false, new double[] {10}, new long[] {0, 0}, null))
            .toSignal(0, Duration.ofSeconds(10));

    assertThat(signal.traffic().requests()).isZero();
    assertThat(signal.errors().ratio()).isZero();
    assertThat(signal.latencyMs()).isNull();
  }

  private static MetricPoint latencyOnly(double[] bounds, long[] buckets) {
    long count = java.util.Arrays.stream(buckets).sum();
    return new MetricPoint(
        "h", null, "ns", "svc", false, false, 1, 2, count, bounds, buckets, null, null, true);
  }

  private static MetricPoint requests(boolean error, long count) {
    return new MetricPoint(
        "c", null, "ns", "svc", error, false, 1, 2, count, null, null, null, null, false);
  }

  @Test
  void takesRequestsFromCountsAndQuantilesFromLatencyOnlyBuckets() {
    SignalAccumulator acc =
        new SignalAccumulator()
            .add(requests(false, 90))
            .add(requests(true, 10))
            // 80 in (0, 10], 20 in (10, 100]: the histogram's total differs from the requests.
            .add(latencyOnly(new double[] {10, 100}, new long[] {80, 20, 0}));
    GoldenSignal signal = acc.toSignal(0, Duration.ofSeconds(10));

    assertThat(signal.traffic().requests()).isEqualTo(100);
    assertThat(signal.errors().count()).isEqualTo(10);
    assertThat(signal.latencyMs().p50()).isEqualTo(10 * (50.0 / 80));
    assertThat(signal.latencyMs().p99()).isEqualTo(10 + 90 * ((99.0 - 80) / 20));
    assertThat(signal.latencyMs().max()).isNull();
  }

  @Test
  void givesLatencyOfLatencyOnlyBucketsAloneAndKeepsThemThroughTheStore() {
    SignalAccumulator slot =
        new SignalAccumulator().add(latencyOnly(new double[] {10}, new long[] {4, 0}));
    SignalAccumulator merged = new SignalAccumulator(null, "ns", "svc", null).merge(slot);
    SignalAccumulator back = throughTheStore(merged);
    GoldenSignal signal = back.toSignal(0, Duration.ofSeconds(10));

    assertThat(signal.traffic().requests()).isZero();
    assertThat(signal.errors().ratio()).isZero();
    assertThat(signal.latencyMs().p50()).isEqualTo(5.0);
  }

  /** A point of server spans of service {@code svc} with {@code latencies}. */
  static MetricPoint spans(boolean error, LatencySketch latencies) {
    return new MetricPoint(
        "t",
        null,
        "ns",
        "svc",
        error,
        false,
        1,
        2,
        latencies.count(),
        null,
        null,
        null,
        null,
        false,
        true,
        0,
        false,
        latencies,
        null);
  }

  @Test
  void readsSpansLatencyFromTheirSketchesWithinOnePercent() {
    // 990 fast requests from 20 to 119 ms, 10 slow ones at 1,280 ms: explicit buckets of
    // 100/250/500/1000/2500 would put p99 somewhere in (1 s, 2.5 s].
    SignalAccumulator window = new SignalAccumulator(null, "ns", "svc", null);
    for (int slot = 0; slot < 10; slot++) {
      LatencySketch second = new LatencySketch();
      for (int i = 0; i < 99; i++) {
        second.add(20 + slot * 10 + i % 10 + (i / 10) * 0.01, 1);
      }
      second.add(1_280, 1);
      window.merge(new SignalAccumulator().add(spans(slot == 0, second)));
    }

    GoldenSignal signal = window.toSignal(0, Duration.ofSeconds(10));

    assertThat(signal.traffic().requests()).isEqualTo(1_000);
    assertThat(signal.errors().count()).isEqualTo(100);
    assertThat(signal.latencyMs().p50()).isCloseTo(70, withinPercentage(2));
    assertThat(signal.latencyMs().p99()).isCloseTo(119, withinPercentage(1.5));
    assertThat(signal.latencyMs().max()).isNull(); // the points said none
  }

  @Test
  void mergesExponentialHistogramsOfDifferentScalesInOneSketch() {
    double[] fast = new double[600];
    double[] slow = new double[400];
    java.util.Arrays.fill(fast, 42.0);
    java.util.Arrays.fill(slow, 420.0);
    ExponentialBuckets.Converted coarse =
        ExponentialBuckets.convert(LatencySketchTest.exponential(2, fast), 1.0);
    ExponentialBuckets.Converted fine =
        ExponentialBuckets.convert(LatencySketchTest.exponential(7, slow), 1.0);
    SignalAccumulator window =
        new SignalAccumulator()
            .add(delta(false, coarse.boundsMs(), coarse.buckets(), null).asExponential())
            .add(delta(false, fine.boundsMs(), fine.buckets(), null).asExponential());

    GoldenSignal signal = window.toSignal(0, Duration.ofSeconds(10));

    assertThat(signal.traffic().requests()).isEqualTo(1_000);
    // Scale 2's bucket holding 42 is (38.05, 45.25]: log-even inside it, p50 reads its middle.
    assertThat(signal.latencyMs().p50()).isBetween(38.05, 45.25);
    assertThat(signal.latencyMs().p99()).isCloseTo(420, withinPercentage(1.5));
  }

  @Test
  void readsASketchBesideExplicitBucketsAsOneHistogram() {
    SignalAccumulator window =
        new SignalAccumulator()
            // 100 requests in (0, 100] from a metric, 100 spans at exactly 300 ms.
            .add(delta(false, new double[] {100, 1000}, new long[] {100, 0, 0}, null))
            .add(spans(false, new LatencySketch().add(300, 100)));

    GoldenSignal signal = window.toSignal(0, Duration.ofSeconds(10));

    assertThat(signal.traffic().requests()).isEqualTo(200);
    assertThat(signal.latencyMs().p50()).isCloseTo(100, withinPercentage(2));
    assertThat(signal.latencyMs().p90()).isCloseTo(300, withinPercentage(2));
  }
}
