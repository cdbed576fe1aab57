package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.vigil.model.signal.GoldenSignal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class BinarySerdesTest {
  private static final double[] BOUNDS = {5, 10, 25};

  private static MetricPoint point(String stream, boolean error, double[] bounds, Double max) {
    return new MetricPoint(
        stream,
        "c1",
        "shop",
        "checkout",
        error,
        !error,
        11,
        22,
        6,
        bounds,
        new long[] {1, 2, 3, 0},
        max,
        null,
        false);
  }

  @Test
  void roundTripsABatchWithSharedAndOwnLayouts() {
    SeriesPoints batch =
        new SeriesPoints(
            List.of(
                point("a", false, BOUNDS, null),
                point("b", true, BOUNDS, 12.5),
                point("c", false, new double[] {1, 2, 3}, null),
                new MetricPoint(
                    "d",
                    null,
                    null,
                    "checkout",
                    false,
                    false,
                    0,
                    5,
                    3,
                    new double[0],
                    new long[0],
                    null,
                    "GET /products/{id}",
                    false)));

    SeriesPoints back = BinarySerdes.readPoints("t", BinarySerdes.write(batch));

    assertThat(back.points()).hasSize(4);
    for (int i = 0; i < 3; i++) {
      MetricPoint in = batch.points().get(i);
      MetricPoint out = back.points().get(i);
      assertThat(out.stream()).isEqualTo(in.stream());
      assertThat(out.seriesKey()).isEqualTo(in.seriesKey());
      assertThat(out.error()).isEqualTo(in.error());
      assertThat(out.cumulative()).isEqualTo(in.cumulative());
      assertThat(out.startNanos()).isEqualTo(11);
      assertThat(out.timeNanos()).isEqualTo(22);
      assertThat(out.count()).isEqualTo(6);
      assertThat(out.boundsMs()).containsExactly(in.boundsMs());
      assertThat(out.bucketCounts()).containsExactly(1, 2, 3, 0);
      assertThat(out.maxMs()).isEqualTo(in.maxMs());
    }
    // Points of one series share its identity; the batch keeps the first point's.
    assertThat(back.points().get(3).cluster()).isEqualTo("c1");
    assertThat(back.points().get(3).operation()).isEqualTo("GET /products/{id}");
    assertThat(back.points().get(0).operation()).isNull();
  }

  @Test
  void roundTripsTheStateOfASeriesAndItsEvictionMarkers() {
    SeriesState state = new SeriesState();
    state.put("a", 1, new StreamState(1, 2, 3, BOUNDS, new long[] {1, 1, 1, 0}));
    state.put("b", 0, StreamState.evictedAt(9));
    var serde = BinarySerdes.seriesState();

    SeriesState back =
        serde.deserializer().deserialize("t", serde.serializer().serialize("t", state));

    StreamState a = back.get("a", 1);
    assertThat(a.startNanos()).isEqualTo(1);
    assertThat(a.timeNanos()).isEqualTo(2);
    assertThat(a.count()).isEqualTo(3);
    assertThat(a.boundsMs()).containsExactly(BOUNDS);
    assertThat(a.bucketCounts()).containsExactly(1, 1, 1, 0);
    assertThat(back.get("b", 0).evicted()).isTrue();
  }

  @Test
  void writesEachBucketLayoutOfASeriesOnce() throws Exception {
    double[] other = {1, 2};
    SeriesState state = new SeriesState();
    for (int i = 0; i < 100; i++) {
      state.put("s" + i, 0, new StreamState(1, 2, 3, BOUNDS.clone(), new long[] {1, 1, 1, 0}));
    }
    state.put("x", 0, new StreamState(1, 2, 3, other, new long[] {1, 1, 1}));
    var serde = BinarySerdes.seriesState();

    byte[] bytes = serde.serializer().serialize("t", state);
    SeriesState back = serde.deserializer().deserialize("t", bytes);

    for (int i = 0; i < 100; i++) {
      assertThat(back.get("s" + i, 0).boundsMs()).containsExactly(BOUNDS);
    }
    assertThat(back.get("x", 0).boundsMs()).containsExactly(other);
    assertThat(back.get("x", 0).bucketCounts()).containsExactly(1, 1, 1);
    SeriesState distinct = new SeriesState();
    for (int i = 0; i < 100; i++) {
      double[] own = {5 + i, 10 + i, 25 + i};
      distinct.put("s" + i, 0, new StreamState(1, 2, 3, own, new long[] {1, 1, 1, 0}));
    }
    distinct.put("x", 0, new StreamState(1, 2, 3, other, new long[] {1, 1, 1}));
    assertThat(bytes.length)
        .as("99 repeated layouts (an index and 25 bytes each) become a 1-byte index")
        .isEqualTo(serde.serializer().serialize("t", distinct).length - 99 * 25);
    assertThat(serde.deserializer().deserialize("t", firstFormat(state)).get("s7", 0).boundsMs())
        .as("the first format is still read")
        .containsExactly(BOUNDS);
  }

  /**
   * {@code state} in the series state's first format (version 1, the bounds with every stream),
   * written as the first format's code wrote it: with the JDK's {@link java.io.DataOutputStream}.
   */
  private static byte[] firstFormat(SeriesState state) throws Exception {
    var bytes = new java.io.ByteArrayOutputStream();
    var out = new java.io.DataOutputStream(bytes);
    out.writeByte(1);
    List<String> keys = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      keys.add("s" + i + "@0");
    }
    keys.add("x@0");
    out.writeByte(keys.size()); // a varint below 128 is one byte
    for (String key : keys) {
      StreamState s = state.get(key.substring(0, key.indexOf('@')), 0);
      out.writeUTF(key);
      out.writeLong(s.startNanos());
      out.writeLong(s.timeNanos());
      out.writeLong(s.count());
      out.writeByte(s.boundsMs().length);
      for (double bound : s.boundsMs()) {
        out.writeDouble(bound);
      }
      out.writeByte(s.bucketCounts().length);
      for (long count : s.bucketCounts()) {
        out.writeLong(count);
      }
    }
    return bytes.toByteArray();
  }

  /**
   * An export whose points come in another order than the state's streams (and one with a new start
   * between them) finds each stream, and the state is written in the export's order, so that the
   * next export finds its streams in order.
   */
  @Test
  void findsStreamsLookedUpInAnotherOrderAndWritesThemInThatOrder() {
    var serde = BinarySerdes.seriesState();
    SeriesState state = new SeriesState();
    for (String stream : List.of("a", "b", "c")) {
      state.put(stream, 1, new StreamState(1, 2, 3, BOUNDS, new long[] {1, 1, 1, 0}));
    }
    SeriesState back =
        serde.deserializer().deserialize("t", serde.serializer().serialize("t", state));

    List<Map.Entry<String, Long>> export =
        List.of(Map.entry("c", 1L), Map.entry("a", 2L), Map.entry("a", 1L), Map.entry("b", 1L));
    SeriesState expected = new SeriesState();
    for (Map.Entry<String, Long> point : export) {
      StreamState previous = back.get(point.getKey(), point.getValue());
      long count = previous == null ? 1 : previous.count() + 1;
      StreamState next =
          new StreamState(point.getValue(), 5, count, BOUNDS, new long[] {count, 0, 0, 0});
      assertThat(back.put(point.getKey(), point.getValue(), next)).isTrue();
      expected.put(point.getKey(), point.getValue(), next);
    }

    assertThat(serde.serializer().serialize("t", back))
        .as("written in the export's order")
        .isEqualTo(serde.serializer().serialize("t", expected));
    assertThat(back.get("a", 2).count()).as("a new start is a new stream").isEqualTo(1);
    assertThat(back.get("a", 1).count()).isEqualTo(4);
  }

  /**
   * The signals step keeps a series' state decoded between requests and settles it before each: it
   * must then be the state a read of its write gives, so that an export in a new order is written
   * in that order, as it would be after a read.
   */
  @Test
  void aSettledStateIsTheStateItsWriteReadsBackAs() {
    var serde = BinarySerdes.seriesState();
    SeriesState kept = new SeriesState();
    SeriesState readBack = new SeriesState();
    long n = 0;
    for (List<String> order :
        List.of(List.of("a", "b", "c"), List.of("c", "a", "b"), List.of("b", "c", "a"))) {
      n++;
      kept.settle();
      export(kept, order, n);
      export(readBack, order, n);

      byte[] written = serde.serializer().serialize("t", readBack);
      assertThat(serde.serializer().serialize("t", kept))
          .as("export %d written in its order, as by a state read before it", n)
          .isEqualTo(written);
      readBack = serde.deserializer().deserialize("t", written);
    }
    kept.settle();
    assertThat(kept.get("b", 1).count()).isEqualTo(3);
  }

  /**
   * Looks up and updates each stream of {@code order} (started at 1), its count set to {@code n}.
   */
  private static void export(SeriesState state, List<String> order, long n) {
    for (String stream : order) {
      state.get(stream, 1);
      state.put(stream, 1, new StreamState(1, 1 + n, n, BOUNDS, new long[] {n, 0, 0, 0}));
    }
  }

  @Test
  void writesAStreamNamedByAHashIn17BytesAndAnyOtherNameAsText() throws Exception {
    String hash = "0123456789abcdef00ff7f80a5c3e1d9";
    for (String name : List.of(hash, hash.toUpperCase(), hash.substring(1), "c1/shop@12", "")) {
      BinaryOut out = new BinaryOut(64);
      StreamNames.write(out, name);
      byte[] bytes = out.toByteArray();

      assertThat(StreamNames.read(new BinaryIn(bytes))).isEqualTo(name);
      assertThat(bytes.length == 17).as(name).isEqualTo(name.equals(hash));
    }
  }

  @Test
  void refusesANewStreamOnceASeriesIsFullButKeepsUpdatingKnownOnes() {
    SeriesState state = new SeriesState();
    StreamState s = new StreamState(1, 2, 3, null, null);
    for (int i = 0; i < SeriesState.MAX_STREAMS; i++) {
      assertThat(state.put("s" + i, 0, s)).isTrue();
    }

    assertThat(state.put("one-too-many", 0, s)).isFalse();
    assertThat(state.put("s0", 0, new StreamState(1, 3, 4, null, null))).isTrue();
    assertThat(state.get("s0", 0).count()).isEqualTo(4);
  }

  @Test
  void evictsSilentStreamsToMarkersAndForgetsOldMarkers() {
    SeriesState state = new SeriesState();
    state.put("old", 0, new StreamState(1, 100, 3, null, null));
    state.put("fresh", 0, new StreamState(1, 900, 3, null, null));
    state.put("marker", 0, StreamState.evictedAt(50));

    assertThat(state.evict(500, 60)).isTrue();

    assertThat(state.get("old", 0).evicted()).isTrue();
    assertThat(state.get("fresh", 0).evicted()).isFalse();
    assertThat(state.get("marker", 0)).isNull();
    assertThat(state.evict(500, 60)).isFalse();
  }

  @Test
  void roundTripsALiveSeries() {
    LiveSeries series = new LiveSeries("c1", "shop", "checkout", "POST /pay");
    TotalsByStart slots = new TotalsByStart();
    slots.add(1_000L, new SignalAccumulator().add(point("a", false, BOUNDS, 4.0)));
    slots.add(2_000L, new SignalAccumulator().add(point("b", true, BOUNDS, null)));
    series.addAll(slots, Long.MIN_VALUE);
    var serde = BinarySerdes.liveSeries();
    LiveSeries back =
        serde.deserializer().deserialize("t", serde.serializer().serialize("t", series));

    var size = java.time.Duration.ofSeconds(10);
    assertThat(back.due(5_000, 0, 500)).isTrue();
    assertThat(back.emit(0, size, 5_000, 4_000)).isEqualTo(series.emit(0, size, 5_000, 4_000));
    assertThat(back.emit(0, size, 5_000, 4_000).traffic().requests()).isEqualTo(12);
    assertThat(back.emit(0, size, 5_000, 4_000).operation()).isEqualTo("POST /pay");
  }

  @Test
  void readsPointsWrittenBeforeOperationsHadASeries() {
    SeriesPoints batch = new SeriesPoints(List.of(point("a", true, BOUNDS, null)));
    byte[] v2 = BinarySerdes.write(batch);
    // The first format: version 1, and no operation after the point (here: one "absent" byte),
    // nor an origin (one byte: none).
    byte[] v1 = java.util.Arrays.copyOf(v2, v2.length - 2);
    v1[0] = 1;

    SeriesPoints back = BinarySerdes.readPoints("t", v1);

    assertThat(back.points()).hasSize(1);
    assertThat(back.points().get(0).operation()).isNull();
    assertThat(back.points().get(0).count()).isEqualTo(batch.points().get(0).count());
  }

  @Test
  void keepsWhetherAPointIsLatencyOnly() {
    MetricPoint latency = point("a", false, BOUNDS, null);
    latency =
        new MetricPoint(
            latency.stream(),
            latency.cluster(),
            latency.namespace(),
            latency.service(),
            false,
            true,
            11,
            22,
            6,
            BOUNDS,
            latency.bucketCounts(),
            null,
            "GET /",
            true);
    SeriesPoints batch = new SeriesPoints(List.of(latency, point("b", true, BOUNDS, null)));

    SeriesPoints back = BinarySerdes.readPoints("t", BinarySerdes.write(batch));

    assertThat(back.points()).extracting(MetricPoint::latencyOnly).containsExactly(true, false);
    assertThat(back.points().get(0).bucketCounts()).containsExactly(1, 2, 3, 0);
  }

  @Test
  void readsPointsOfTheSecondFormatAsRequests() {
    SeriesPoints batch = new SeriesPoints(List.of(point("a", true, BOUNDS, null)));
    byte[] v2 = BinarySerdes.write(batch);
    v2[0] = 2; // the second format is the third without latency-only points

    SeriesPoints back = BinarySerdes.readPoints("t", v2);

    assertThat(back.points().get(0).latencyOnly()).isFalse();
    assertThat(back.points().get(0).operation()).isNull();
    assertThat(back.points().get(0).count()).isEqualTo(6);
  }

  @Test
  void keepsWhetherAPointWasMadeOfSpansWithTheirSketch() {
    MetricPoint metric = point("a", false, BOUNDS, null);
    LatencySketch latencies = new LatencySketch().add(1.5, 3).add(2.25, 2).add(4.0, 1);
    MetricPoint spans =
        new MetricPoint(
            "b",
            "c1",
            "shop",
            "checkout",
            true,
            false,
            11,
            22,
            6,
            null,
            null,
            4.0,
            "GET /cart",
            false,
            true,
            0,
            false,
            latencies,
            null);

    SeriesPoints back =
        BinarySerdes.readPoints("t", BinarySerdes.write(new SeriesPoints(List.of(spans, metric))));

    assertThat(back.points()).extracting(MetricPoint::fromSpans).containsExactly(true, false);
    assertThat(back.points().get(0).operation()).isEqualTo("GET /cart");
    assertThat(back.points().get(0).maxMs()).isEqualTo(4.0);
    LatencySketch read = back.points().get(0).sketch();
    assertThat(read.count()).isEqualTo(6);
    for (double q : new double[] {0.1, 0.5, 0.9, 1.0}) {
      assertThat(read.quantile(q)).as("q%s", q).isEqualTo(latencies.quantile(q));
    }
    assertThat(back.points().get(1).sketch()).isNull();
  }

  @Test
  void keepsWhetherAPointsBucketsAreExponential() {
    MetricPoint exponential = point("a", false, BOUNDS, null).asExponential();

    SeriesPoints back =
        BinarySerdes.readPoints(
            "t",
            BinarySerdes.write(
                new SeriesPoints(List.of(exponential, point("b", false, BOUNDS, null)))));

    assertThat(back.points()).extracting(MetricPoint::exponential).containsExactly(true, false);
    assertThat(back.points().get(0).bucketCounts()).containsExactly(1, 2, 3, 0);
  }

  @Test
  void keepsEachPointsOrigin() {
    MetricPoint a = withOrigin(point("a", false, BOUNDS, null), "0123456789abcdef");
    MetricPoint b = withOrigin(point("b", false, BOUNDS, null), "fedcba9876543210");
    SeriesPoints batch =
        new SeriesPoints(List.of(a, withOrigin(a, a.origin()), point("n", true, BOUNDS, null), b));

    byte[] bytes = BinarySerdes.write(batch);
    SeriesPoints back = BinarySerdes.readPoints("t", bytes);

    assertThat(back.points())
        .extracting(MetricPoint::origin)
        .containsExactly("0123456789abcdef", "0123456789abcdef", null, "fedcba9876543210");
    assertThat(back.points()).extracting(MetricPoint::stream).containsExactly("a", "a", "n", "b");
    byte[] none =
        BinarySerdes.write(
            new SeriesPoints(
                List.of(
                    point("a", false, BOUNDS, null),
                    point("a", false, BOUNDS, null),
                    point("n", true, BOUNDS, null),
                    point("b", false, BOUNDS, null))));
    // A byte per point either way; each of the two origins written once (2 + 16 bytes).
    assertThat(bytes.length - none.length).isEqualTo(2 * (2 + 16));

    byte[] v6 = BinarySerdes.write(new SeriesPoints(List.of(a)));
    v6[0] = 6; // the sixth format is the seventh without origins
    assertThat(BinarySerdes.readPoints("t", v6).points().get(0).origin()).isNull();
  }

  private static MetricPoint withOrigin(MetricPoint p, String origin) {
    return new MetricPoint(
        p.stream(),
        p.cluster(),
        p.namespace(),
        p.service(),
        p.error(),
        p.cumulative(),
        p.startNanos(),
        p.timeNanos(),
        p.count(),
        p.boundsMs(),
        p.bucketCounts(),
        p.maxMs(),
        p.operation(),
        p.latencyOnly(),
        p.fromSpans(),
        p.clockShiftNanos(),
        p.exponential(),
        p.sketch(),
        origin);
  }

  @Test
  void readsPointsOfTheFifthFormatAsExplicitBuckets() {
    byte[] v5 =
        BinarySerdes.write(
            new SeriesPoints(List.of(point("a", false, BOUNDS, null).withTime(5_000_000_000L))));
    v5[0] = 5; // the fifth format is the sixth without exponential or sketch points

    SeriesPoints back = BinarySerdes.readPoints("t", v5);

    assertThat(back.points().get(0).exponential()).isFalse();
    assertThat(back.points().get(0).sketch()).isNull();
    assertThat(back.points().get(0).clockShiftNanos()).isNotZero();
  }

  @Test
  void keepsAWindowsLatencySketch() {
    SignalAccumulator totals =
        new SignalAccumulator()
            .add(SignalAccumulatorTest.spans(false, new LatencySketch().add(120, 2).add(480, 1)));
    var serde = BinarySerdes.windowTotals();
    byte[] bytes = serde.serializer().serialize("t", new WindowTotals(false, totals));

    WindowTotals back = serde.deserializer().deserialize("t", bytes);

    GoldenSignal.Latency latency = back.totals().toSignal(0, Duration.ofSeconds(10)).latencyMs();
    assertThat(latency).isEqualTo(totals.toSignal(0, Duration.ofSeconds(10)).latencyMs());
    assertThat(latency.p50()).isCloseTo(120, withinPercentage(1));
    assertThat(latency.p99()).isCloseTo(480, withinPercentage(1));
  }

  @Test
  void keepsHowFarASendersClockWasCorrected() {
    MetricPoint plain = point("a", false, BOUNDS, null);
    MetricPoint corrected = point("b", false, BOUNDS, null).withTime(3_600_000_000_000L);

    SeriesPoints back =
        BinarySerdes.readPoints(
            "t", BinarySerdes.write(new SeriesPoints(List.of(corrected, plain))));

    assertThat(corrected.clockShiftNanos()).as("a cumulative point's shift").isNotZero();
    assertThat(back.points())
        .extracting(MetricPoint::clockShiftNanos)
        .containsExactly(corrected.clockShiftNanos(), 0L);
    assertThat(back.points().get(0).startNanos()).isEqualTo(corrected.startNanos());
    assertThat(back.points().get(1).operation()).isEqualTo(plain.operation());
  }

  @Test
  void readsPointsOfTheThirdFormatAsMetrics() {
    MetricPoint latency =
        new MetricPoint(
            "a",
            "c1",
            "shop",
            "checkout",
            false,
            true,
            11,
            22,
            6,
            BOUNDS,
            new long[] {1, 2, 3, 0},
            null,
            "GET /",
            true);
    byte[] v3 = BinarySerdes.write(new SeriesPoints(List.of(latency)));
    v3[0] = 3; // the third format is the fourth without points made of spans

    SeriesPoints back = BinarySerdes.readPoints("t", v3);

    assertThat(back.points().get(0).fromSpans()).isFalse();
    assertThat(back.points().get(0).latencyOnly()).isTrue();
  }

  @Test
  void keepsTheTimeOfTheLastMetricPointInTheSeriesState() {
    SeriesState state = new SeriesState();
    assertThat(state.metricsSeenNanos()).isZero();
    assertThat(state.sawMetrics(100_000_000_000L)).isTrue();
    // Within the resolution: not rewritten; an older point never moves it back.
    assertThat(state.sawMetrics(130_000_000_000L)).isFalse();
    assertThat(state.sawMetrics(50_000_000_000L)).isFalse();
    assertThat(state.sawMetrics(160_000_000_000L)).isTrue();
    var serde = BinarySerdes.seriesState();

    SeriesState back =
        serde.deserializer().deserialize("t", serde.serializer().serialize("t", state));

    assertThat(back.metricsSeenNanos()).isEqualTo(160_000_000_000L);
    // Stale after an hour: dropped, not left as an eviction marker.
    assertThat(back.evict(200_000_000_000L, 0)).isTrue();
    assertThat(back.isEmpty()).isTrue();
  }

  @Test
  void rejectsWhatIsNotItsFormatWithASerializationError() {
    assertThatThrownBy(
            () -> BinarySerdes.readPoints("t", "not json".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("unknown format");
    assertThatThrownBy(
            () -> BinarySerdes.seriesState().deserializer().deserialize("t", new byte[0]))
        .isInstanceOf(SerializationException.class);
  }

  @Test
  void neverThrowsAnythingElseOnTruncatedOrFlippedBytes() {
    byte[] good =
        BinarySerdes.write(
            new SeriesPoints(
                List.of(point("a", false, BOUNDS, 3.0), point("b", true, BOUNDS, null))));
    Random random = new Random(7);
    for (int i = 0; i < 2_000; i++) {
      byte[] bad = Arrays.copyOf(good, random.nextInt(good.length + 1));
      if (bad.length > 0 && random.nextBoolean()) {
        bad[random.nextInt(bad.length)] ^= (byte) (1 << random.nextInt(8));
      }
      try {
        BinarySerdes.readPoints("t", bad);
      } catch (SerializationException expected) {
        // a documented rejection
      }
    }
  }
}
