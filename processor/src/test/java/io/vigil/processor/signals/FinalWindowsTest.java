package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A service's final windows, with its operations in the same store entry. */
class FinalWindowsTest {
  private static final Duration WINDOW = Duration.ofSeconds(10);
  private static final Duration GRACE = Duration.ofSeconds(5);
  private static final long W0 = 1_800_000_000_000L;
  private static final String SERVICE = GoldenSignal.seriesKey("c1", "shop", "checkout", null);
  private static final String CART = GoldenSignal.seriesKey("c1", "shop", "checkout", "GET /cart");

  private final ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private final List<String> emitted = new ArrayList<>();
  private KeyValueStore<String, WindowTotals> store;

  @BeforeEach
  void store() {
    store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("windows"),
                Serdes.String(),
                BinarySerdes.windowTotals())
            .withLoggingDisabled()
            .build();
    store.init(new MockProcessorContext<>().getStateStoreContext(), store);
  }

  private static SignalAccumulator requests(String operation, long count, long errors) {
    SignalAccumulator totals =
        operation == null ? new SignalAccumulator() : new SignalAccumulator().named(operation);
    totals.add(point(false, count - errors));
    totals.add(point(true, errors));
    return totals;
  }

  private static MetricPoint point(boolean error, long count) {
    return new MetricPoint(
        "s", "c1", "shop", "checkout", error, false, 1, 2, count, null, null, null, null, false);
  }

  private static Map<String, SignalAccumulator> operations(Object... nameThenTotals) {
    Map<String, SignalAccumulator> ops = new LinkedHashMap<>();
    for (int i = 0; i < nameThenTotals.length; i += 2) {
      ops.put((String) nameThenTotals[i], (SignalAccumulator) nameThenTotals[i + 1]);
    }
    return ops;
  }

  private void closeAfterTheWindow(FinalWindows windows) {
    windows.close(
        W0 + WINDOW.toMillis() + GRACE.toMillis() + 1,
        (series, signal, timestampMs) ->
            emitted.add(
                series
                    + " "
                    + signal.signal().traffic().requests()
                    + "/"
                    + signal.signal().errors().count()));
  }

  @Test
  void keepsAServicesOperationsInItsEntryAndSendsEachSeriesWhenTheWindowCloses() {
    FinalWindows windows = new FinalWindows(store, WINDOW, GRACE, metrics);

    windows.add(
        SERVICE,
        W0,
        requests(null, 3, 1),
        operations(
            "GET /cart", requests("GET /cart", 2, 1), "GET /pay", requests("GET /pay", 1, 0)),
        W0 + 1_000);
    windows.add(
        SERVICE,
        W0,
        requests(null, 4, 0),
        operations("GET /cart", requests("GET /cart", 4, 0)),
        W0 + 2_000);

    assertThat(store.approximateNumEntries()).as("one entry for the service's window").isOne();
    closeAfterTheWindow(windows);
    assertThat(emitted)
        .containsExactly(SERVICE + " 7/1", SERVICE + "GET /cart 6/1", SERVICE + "GET /pay 1/0");
    assertThat(store.approximateNumEntries()).isZero();
  }

  @Test
  void anEntryReadBackFromTheStoreStillHoldsItsOperations() {
    new FinalWindows(store, WINDOW, GRACE, metrics)
        .add(
            SERVICE,
            W0,
            requests(null, 5, 2),
            operations("GET /cart", requests("GET /cart", 5, 2)),
            W0 + 1_000);

    // A task that takes over starts from the store.
    closeAfterTheWindow(new FinalWindows(store, WINDOW, GRACE, metrics));

    assertThat(emitted).containsExactly(SERVICE + " 5/2", CART + " 5/2");
  }

  @Test
  void anOperationsWindowOpenInTheEarlierFormatTakesItsDataUntilItClosesAndGoesOutOnce() {
    // Written by a processor before the upgrade: the service and its operation, one entry each.
    store.put(FinalWindows.key(W0, SERVICE), new WindowTotals(false, requests(null, 5, 1)));
    store.put(FinalWindows.key(W0, CART), new WindowTotals(false, requests("GET /cart", 5, 1)));
    FinalWindows windows = new FinalWindows(store, WINDOW, GRACE, metrics);

    windows.add(
        SERVICE,
        W0,
        requests(null, 2, 0),
        operations("GET /cart", requests("GET /cart", 2, 0)),
        W0 + 3_000);
    closeAfterTheWindow(windows);

    assertThat(emitted).containsExactlyInAnyOrder(SERVICE + " 7/1", CART + " 7/1");

    // The next window's operation data goes into the service's entry.
    emitted.clear();
    windows.add(
        SERVICE,
        W0 + WINDOW.toMillis(),
        requests(null, 1, 0),
        operations("GET /cart", requests("GET /cart", 1, 0)),
        W0 + 16_000);
    assertThat(store.approximateNumEntries()).isOne();
  }

  @Test
  void readsAWindowOfTheThirdFormatAsOneSeriesWithoutOperations() throws Exception {
    // Written by the third format's code: "GET /cart", 4 requests, 3 of them errors, late.
    byte[] v3;
    try (var in = getClass().getResourceAsStream("/store-formats/window-v3.bin")) {
      v3 = in.readAllBytes();
    }

    WindowTotals back = BinarySerdes.windowTotals().deserializer().deserialize("t", v3);

    assertThat(back.late()).isTrue();
    assertThat(back.operations()).isEmpty();
    assertThat(back.totals().operation()).isEqualTo("GET /cart");
    assertThat(back.totals().toSignal(W0, WINDOW).traffic().requests()).isEqualTo(4);
    assertThat(back.totals().toSignal(W0, WINDOW).seriesKey()).isEqualTo(CART);
  }
}
