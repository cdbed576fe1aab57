package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The series states against a real in-memory store, as one task sees them: a request writes its
 * sender's entry alone, an entry of the format before senders gives its streams up to them as they
 * come (two thousand of them too), and a failed record leaves the store's entries as they were.
 */
class SeriesStatesTest {
  private static final String CHECKOUT = "c1/shop/checkout/";
  private static final String SINCE = "!since";
  private static final long START = 1_700_000_000_000_000_000L;
  private static final double[] BOUNDS = {5, 10};

  private KeyValueStore<String, SeriesState> store;

  private final Serde<SeriesState> serde = BinarySerdes.seriesState();

  /** The entries encoded for the store (each also a changelog record in the topology), in order. */
  private final List<byte[]> encoded = new ArrayList<>();

  @BeforeEach
  void store() {
    Serializer<SeriesState> counting =
        (topic, state) -> {
          byte[] bytes = serde.serializer().serialize(topic, state);
          encoded.add(bytes);
          return bytes;
        };
    store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("series"),
                Serdes.String(),
                Serdes.serdeFrom(counting, serde.deserializer()))
            .withLoggingDisabled()
            .build();
    store.init(new MockProcessorContext<>().getStateStoreContext(), store);
  }

  /** Encoded entry {@code i}, read back. */
  private SeriesState written(int i) {
    return serde.deserializer().deserialize("t", encoded.get(i));
  }

  private static StreamState state(long count) {
    return new StreamState(
        START, START + count * 1_000_000_000L, count, BOUNDS, new long[] {count, 0, 0});
  }

  private static String stream(int i) {
    return "%032x".formatted(i);
  }

  /**
   * One request of {@code origin} with streams {@code 0..n-1}, each counted up to {@code count}.
   */
  private static void request(SeriesStates states, String origin, int n, long count) {
    states.begin(CHECKOUT);
    for (int i = 0; i < n; i++) {
      states.get(origin, stream(i), START);
      assertThat(states.put(origin, stream(i), START, state(count))).isTrue();
    }
    states.write();
  }

  @Test
  void aRequestWritesItsSendersEntryAlone() {
    SeriesStates states = new SeriesStates(store, SINCE);
    request(states, "a", 100, 1);
    request(states, "b", 100, 1);
    assertThat(encoded).hasSize(2);

    request(states, "a", 100, 2);
    assertThat(encoded).as("replica a's request, one entry").hasSize(3);
    assertThat(written(2).size()).as("a's streams alone").isEqualTo(100);
    assertThat(written(2).get(stream(99), START).count()).isEqualTo(2);
    assertThat(store.get(CHECKOUT + "#a").size()).isEqualTo(100);
    assertThat(store.get(CHECKOUT + "#b").size()).isEqualTo(100);
    assertThat(store.get(CHECKOUT + "#b").get(stream(99), START).count()).isEqualTo(1);
    assertThat(store.get(CHECKOUT)).as("no series entry without metrics").isNull();

    // A task that takes over reads each sender's streams back.
    SeriesStates moved = new SeriesStates(store, SINCE);
    moved.begin(CHECKOUT);
    assertThat(moved.get("a", stream(7), START).count()).isEqualTo(2);
    assertThat(moved.get("b", stream(7), START).count()).isEqualTo(1);
  }

  @Test
  void takesAStreamFromTheSeriesEntryAnOlderProcessorWrote() {
    SeriesState older = new SeriesState();
    older.sawMetrics(START);
    for (int i = 0; i < 3; i++) {
      older.put(stream(i), START, state(10 + i));
    }
    store.put(CHECKOUT, older);
    encoded.clear();
    SeriesStates states = new SeriesStates(store, SINCE);

    states.begin(CHECKOUT);
    assertThat(states.get("a", stream(1), START).count())
        .as("the stream's state from before senders, not a new stream")
        .isEqualTo(11);
    states.put("a", stream(1), START, state(15));
    states.write();

    assertThat(store.get(CHECKOUT + "#a").get(stream(1), START).count()).isEqualTo(15);
    SeriesState series = store.get(CHECKOUT);
    assertThat(series.size()).isEqualTo(2);
    assertThat(series.get(stream(1), START)).isNull();
    assertThat(series.get(stream(2), START).count()).isEqualTo(12);
    assertThat(series.metricsSeenNanos()).isEqualTo(START);
    assertThat(encoded).as("both entries, once each").hasSize(2);
    assertThat(List.of(written(0).size(), written(1).size())).containsExactlyInAnyOrder(1, 2);

    // Moved once: the next request finds it in its sender's entry and leaves the series' alone.
    encoded.clear();
    states.begin(CHECKOUT);
    assertThat(states.get("a", stream(1), START).count()).isEqualTo(15);
    states.put("a", stream(1), START, state(16));
    states.write();
    assertThat(encoded).hasSize(1);
    assertThat(written(0).get(stream(1), START).count()).isEqualTo(16);
    assertThat(store.get(CHECKOUT).size()).isEqualTo(2);
    // A point an older processor put on the repartition topic (no origin) still reads the series'.
    states.begin(CHECKOUT);
    assertThat(states.get(null, stream(2), START).count()).isEqualTo(12);
  }

  /**
   * Two replicas take the 2,000 streams of an older entry between them, one request each and in an
   * order of their own (a the even ones from the last down, b the odd ones from the first up): each
   * stream's state moves with it, once, and the older entry keeps none.
   */
  @Test
  void sendersTakeEveryStreamOfALargeOlderEntry() {
    SeriesState older = new SeriesState();
    older.sawMetrics(START);
    for (int i = 0; i < 2_000; i++) {
      older.put(stream(i), START, state(i + 1));
    }
    store.put(CHECKOUT, older);
    SeriesStates states = new SeriesStates(store, SINCE);

    for (String origin : List.of("a", "b")) {
      states.begin(CHECKOUT);
      for (int k = 0; k < 1_000; k++) {
        int i = origin.equals("a") ? 1_998 - 2 * k : 2 * k + 1;
        assertThat(states.get(origin, stream(i), START))
            .as("%s's stream %d", origin, i)
            .isNotNull()
            .extracting(StreamState::count)
            .isEqualTo(i + 1L);
        states.put(origin, stream(i), START, state(i + 2));
      }
      states.write();
    }

    assertThat(store.get(CHECKOUT).size()).isZero();
    assertThat(store.get(CHECKOUT).metricsSeenNanos()).isEqualTo(START);
    SeriesState a = store.get(CHECKOUT + "#a");
    SeriesState b = store.get(CHECKOUT + "#b");
    assertThat(List.of(a.size(), b.size())).containsExactly(1_000, 1_000);
    for (int i = 0; i < 2_000; i++) {
      SeriesState sender = i % 2 == 0 ? a : b;
      assertThat(sender.get(stream(i), START).count()).as("stream %d", i).isEqualTo(i + 2L);
    }
  }

  @Test
  void aFailedRecordLeavesTheStoresEntries() {
    SeriesStates states = new SeriesStates(store, SINCE);
    request(states, "a", 2, 1);

    states.begin(CHECKOUT);
    states.get("a", stream(0), START);
    states.put("a", stream(0), START, state(9));
    states.get("a", stream(5), START);
    states.put("a", stream(5), START, state(9));
    states.revert(); // the record failed before it was written

    states.begin(CHECKOUT);
    assertThat(states.get("a", stream(0), START).count()).isEqualTo(1);
    assertThat(states.get("a", stream(5), START)).isNull();
  }
}
