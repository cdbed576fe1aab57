package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.signal.GoldenSignal;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

/**
 * The stores' formats: what an older processor wrote (files in {@code store-formats/}, written by
 * the code of that format) is still read, and the current format is compact: these entries are
 * rewritten, and sent to their changelog, with every request.
 */
class StoreFormatsTest {
  private static final double[] BOUNDS = {5, 10, 25};
  private static final double[] OTHER = {1, 2, 3};
  private static final Duration SIZE = Duration.ofSeconds(10);

  /** A point of service checkout with buckets {@code counts} over {@code bounds}. */
  private static MetricPoint point(boolean error, double[] bounds, long[] counts, Double max) {
    long count = 0;
    for (long c : counts) {
      count += c;
    }
    return new MetricPoint(
        "s",
        "c1",
        "shop",
        "checkout",
        error,
        false,
        11,
        22,
        count,
        bounds,
        counts,
        max,
        null,
        false);
  }

  private static SignalAccumulator spans() {
    return new SignalAccumulator()
        .add(SignalAccumulatorTest.spans(true, new LatencySketch().add(120, 2).add(480, 1)));
  }

  /** A series' cumulative state: two streams, an eviction marker, the last metric's time. */
  static SeriesState sampleState() {
    SeriesState state = new SeriesState();
    state.put("-4411", 11, new StreamState(11, 22, 6, BOUNDS, new long[] {1, 2, 3, 0}));
    state.put(
        "981",
        1_733_380_000_000_000_000L,
        new StreamState(
            1_733_380_000_000_000_000L,
            1_733_380_060_000_000_000L,
            300_000,
            OTHER,
            new long[] {100_000, 150_000, 0, 50_000}));
    state.put("7", 3, StreamState.evictedAt(9));
    state.sawMetrics(1_733_380_060_000_000_000L);
    return state;
  }

  /** A service's final window: two layouts, a max, a sketch, and two operations. */
  static WindowTotals sampleWindow() {
    SignalAccumulator totals =
        new SignalAccumulator()
            .add(point(false, BOUNDS, new long[] {1, 2, 3, 0}, 9.5))
            .add(point(true, OTHER, new long[] {0, 0, 1, 1}, 30.0))
            .merge(spans());
    Map<String, SignalAccumulator> operations = new LinkedHashMap<>();
    operations.put(
        "GET /a",
        new SignalAccumulator()
            .named("GET /a")
            .add(point(false, BOUNDS, new long[] {1, 2, 3, 0}, 9.5)));
    operations.put(
        "POST /b",
        new SignalAccumulator()
            .named("POST /b")
            .add(point(true, OTHER, new long[] {0, 0, 1, 1}, null))
            .merge(spans()));
    return new WindowTotals(true, totals, operations);
  }

  /** An operation's live series: three slots, one of spans. */
  static LiveSeries sampleLive() {
    LiveSeries series = new LiveSeries("c1", "shop", "checkout", "POST /pay");
    TotalsByStart slots = new TotalsByStart();
    slots.add(
        1_733_380_001_000L,
        new SignalAccumulator().add(point(false, BOUNDS, new long[] {4, 0, 0, 0}, 4.0)));
    slots.add(
        1_733_380_002_000L,
        new SignalAccumulator().add(point(true, BOUNDS, new long[] {0, 0, 2, 7}, null)));
    slots.add(1_733_380_005_000L, spans());
    series.addAll(slots, Long.MIN_VALUE);
    return series;
  }

  /** The OpenTelemetry SDK's default bounds of a duration histogram, in milliseconds. */
  private static final double[] SDK_BOUNDS = {
    0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000
  };

  private static final long SDK_START = 1_733_380_000_123_456_789L;

  /**
   * A series as an OpenTelemetry SDK's exports make one: 100 streams named as the decoders name
   * them (32 hex digits of a hash), one start, the SDK's bounds, ten minutes of counts.
   */
  static SeriesState sdkState() {
    SeriesState state = new SeriesState();
    for (int i = 0; i < 100; i++) {
      long[] counts = new long[SDK_BOUNDS.length + 1];
      counts[3] = 1_000L * i + 7;
      counts[4] = 300L + i;
      counts[6] = i % 5;
      long count = counts[3] + counts[4] + counts[6];
      state.put(
          sdkStream(i),
          SDK_START,
          new StreamState(SDK_START, SDK_START + 600_000_000_000L, count, SDK_BOUNDS, counts));
    }
    state.sawMetrics(SDK_START + 600_000_000_000L);
    return state;
  }

  private static String sdkStream(int i) {
    return String.format("%016x%016x", i * 0x9E3779B97F4A7C15L, (i + 1) * 0xC2B2AE3D27D4EB4FL);
  }

  @Test
  void readsTheSeriesStateThePreviousFormatsWrote() throws Exception {
    assertSameState(read("series-state-v2.bin", BinarySerdes.seriesState()), sampleState());
    assertSameState(read("series-state-v3.bin", BinarySerdes.seriesState()), sampleState());
    SeriesState sdk = sdkState();
    SeriesState back = read("series-state-v3-sdk.bin", BinarySerdes.seriesState());
    for (int i = 0; i < 100; i++) {
      assertThat(back.get(sdkStream(i), SDK_START))
          .usingRecursiveComparison()
          .isEqualTo(sdk.get(sdkStream(i), SDK_START));
    }
    assertThat(back.metricsSeenNanos()).isEqualTo(sdk.metricsSeenNanos());
  }

  /**
   * The series state is read and written with every request: its streams named by 16 bytes instead
   * of a {@code <hash>@<start>} string of 52 characters, and the start written once.
   */
  @Test
  void writesAnSdkSeriesInLittleMoreThanHalfOfThePreviousFormatsBytes() throws Exception {
    byte[] previous = golden("series-state-v3-sdk.bin");
    byte[] now = bytes(sdkState(), BinarySerdes.seriesState());

    assertThat(now)
        .as("%d bytes before", previous.length)
        .hasSizeLessThan(previous.length * 6 / 10);
    assertThat(roundTrip(sdkState(), BinarySerdes.seriesState()).get(sdkStream(42), SDK_START))
        .usingRecursiveComparison()
        .isEqualTo(sdkState().get(sdkStream(42), SDK_START));
  }

  @Test
  void readsTheWindowThePreviousFormatWrote() throws Exception {
    assertSameWindow(read("window-v4.bin", BinarySerdes.windowTotals()), sampleWindow());
  }

  @Test
  void readsTheLiveSeriesThePreviousFormatWrote() throws Exception {
    assertSameLive(read("live-v3.bin", BinarySerdes.liveSeries()), sampleLive());
  }

  @Test
  void roundTripsEachEntryInTheCompactFormat() {
    assertSameState(roundTrip(sampleState(), BinarySerdes.seriesState()), sampleState());
    assertSameWindow(roundTrip(sampleWindow(), BinarySerdes.windowTotals()), sampleWindow());
    assertSameLive(roundTrip(sampleLive(), BinarySerdes.liveSeries()), sampleLive());
  }

  @Test
  void writesEachEntryInAFractionOfThePreviousFormatsBytes() throws Exception {
    assertThat(bytes(sampleState(), BinarySerdes.seriesState()))
        .as("the series state: 271 bytes before")
        .hasSizeLessThan(golden("series-state-v2.bin").length * 3 / 4);
    assertThat(bytes(sampleWindow(), BinarySerdes.windowTotals()))
        .as("the window: 402 bytes before")
        .hasSizeLessThan(golden("window-v4.bin").length * 3 / 4);
    assertThat(bytes(sampleLive(), BinarySerdes.liveSeries()))
        .as("the live series: 341 bytes before")
        .hasSizeLessThan(golden("live-v3.bin").length / 2);
  }

  /**
   * A live series as the processor keeps one: ten one-second slots of the OpenTelemetry SDK's
   * default 15 bounds, a few requests each. The previous format wrote 3,164 bytes (measured with
   * its code): the series with every slot, every bound and count in 8 bytes.
   */
  @Test
  void writesABusyLiveSeriesInAFifthOfItsPreviousSize() {
    double[] sdkBounds = {0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000};
    LiveSeries series = new LiveSeries("prod-eu", "shop", "checkout", "POST /checkout/{cart}");
    for (int slot = 0; slot < 10; slot++) {
      long[] counts = new long[sdkBounds.length + 1];
      counts[3] = 7 + slot;
      counts[4] = 2;
      counts[6] = slot % 3;
      TotalsByStart totals = new TotalsByStart();
      totals.add(
          1_733_380_000_000L + slot * 1_000L,
          new SignalAccumulator().add(point(slot == 4, sdkBounds, counts, 80.0)));
      series.addAll(totals, Long.MIN_VALUE);
    }

    byte[] bytes = bytes(series, BinarySerdes.liveSeries());

    assertThat(bytes).hasSizeLessThan(600);
    assertSameLive(BinarySerdes.liveSeries().deserializer().deserialize("t", bytes), series);
  }

  /**
   * A changelog entry damaged in any way fails its restore with a {@link SerializationException}
   * naming the store's format, never with another exception (or an allocation of what a corrupt
   * length says).
   */
  @Test
  void refusesDamagedEntriesOfEveryFormatWithASerializationError() throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("state", bytes(sampleState(), BinarySerdes.seriesState()));
    entries.put("window", bytes(sampleWindow(), BinarySerdes.windowTotals()));
    entries.put("live", bytes(sampleLive(), BinarySerdes.liveSeries()));
    entries.put("series-state-v2.bin", golden("series-state-v2.bin"));
    entries.put("series-state-v3.bin", golden("series-state-v3.bin"));
    entries.put("state-sdk", bytes(sdkState(), BinarySerdes.seriesState()));
    entries.put("window-v4.bin", golden("window-v4.bin"));
    entries.put("window-v3.bin", golden("window-v3.bin"));
    entries.put("live-v3.bin", golden("live-v3.bin"));
    Random random = new Random(11);
    int refused = 0;
    for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
      Serde<?> serde =
          entry.getKey().startsWith("state") || entry.getKey().startsWith("series")
              ? BinarySerdes.seriesState()
              : entry.getKey().startsWith("window")
                  ? BinarySerdes.windowTotals()
                  : BinarySerdes.liveSeries();
      byte[] good = entry.getValue();
      for (int i = 0; i < 2_000; i++) {
        byte[] bad = Arrays.copyOf(good, random.nextInt(good.length));
        if (bad.length > 0 && random.nextBoolean()) {
          bad[random.nextInt(bad.length)] ^= (byte) (1 << random.nextInt(8));
        }
        try {
          serde.deserializer().deserialize("t", bad);
        } catch (SerializationException expected) {
          assertThat(expected).hasMessageContaining("not Vigil processor state on topic t");
          refused++;
        }
      }
    }
    assertThat(refused).as("truncated entries are refused").isGreaterThan(entries.size() * 1_000);
  }

  private static void assertSameState(SeriesState back, SeriesState expected) {
    Map<String, Long> streams = new LinkedHashMap<>();
    streams.put("-4411", 11L);
    streams.put("981", 1_733_380_000_000_000_000L);
    streams.put("7", 3L);
    streams.forEach(
        (stream, start) ->
            assertThat(back.get(stream, start))
                .as(stream + "@" + start)
                .usingRecursiveComparison()
                .isEqualTo(expected.get(stream, start)));
    assertThat(back.metricsSeenNanos()).isEqualTo(expected.metricsSeenNanos());
    assertThat(back.get("7", 3).evicted()).isTrue();
  }

  private static void assertSameWindow(WindowTotals back, WindowTotals expected) {
    assertThat(back.late()).isEqualTo(expected.late());
    assertSameTotals(back.totals(), expected.totals());
    assertThat(back.operations()).containsOnlyKeys(expected.operations().keySet());
    expected
        .operations()
        .forEach((op, totals) -> assertSameTotals(back.operations().get(op), totals));
  }

  /** The same counts, layouts and max; the same quantiles from the sketch (which has no equals). */
  private static void assertSameTotals(SignalAccumulator back, SignalAccumulator expected) {
    assertThat(back)
        .usingRecursiveComparison()
        .ignoringFieldsOfTypes(LatencySketch.class)
        .isEqualTo(expected);
    assertThat(back.toSignal(0, SIZE)).isEqualTo(expected.toSignal(0, SIZE));
  }

  /**
   * The same series, emission state and slots (each slot's series is its live series', whatever the
   * slot's points named); the same signal emitted from them.
   */
  private static void assertSameLive(LiveSeries back, LiveSeries expected) {
    assertThat(back)
        .usingRecursiveComparison()
        .ignoringFieldsOfTypes(LatencySketch.class)
        .ignoringFieldsMatchingRegexes("slots\\.totals\\.(cluster|namespace|service|operation)")
        .isEqualTo(expected);
    long windowStart = 1_733_380_000_000L;
    GoldenSignal signal = back.emit(windowStart, SIZE, windowStart + 10_000, windowStart + 9_000);
    assertThat(signal)
        .isEqualTo(expected.emit(windowStart, SIZE, windowStart + 10_000, windowStart + 9_000));
    assertThat(signal.traffic().requests()).isPositive();
  }

  private static <T> T read(String file, Serde<T> serde) throws Exception {
    return serde.deserializer().deserialize("t", golden(file));
  }

  private static byte[] golden(String file) throws Exception {
    try (InputStream in = StoreFormatsTest.class.getResourceAsStream("/store-formats/" + file)) {
      assertThat(in).as(file).isNotNull();
      return in.readAllBytes();
    }
  }

  private static <T> byte[] bytes(T value, Serde<T> serde) {
    return serde.serializer().serialize("t", value);
  }

  private static <T> T roundTrip(T value, Serde<T> serde) {
    return serde.deserializer().deserialize("t", bytes(value, serde));
  }
}
