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

/**
 * A service's operation series, found in the order its last record named them, driven as the
 * signals step drives them: records at given wall-clock times, the emit tick every 100 ms and the
 * slide every second.
 */
class LiveWindowsTest {
  private static final long N0 = 1_800_000_000_000L;
  private static final String SERVICE = GoldenSignal.seriesKey("c1", "shop", "checkout", null);
  private static final String CART = "GET /cart";
  private static final String PAY = "POST /pay";
  private static final MetricPoint IDENTITY =
      new MetricPoint(
          "s", "c1", "shop", "checkout", false, false, 1, 2, 1, null, null, null, null, false);

  private final List<String> emitted = new ArrayList<>();
  private LiveWindows live;
  private long now;

  @BeforeEach
  void windows() {
    KeyValueStore<String, LiveSeries> store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("live"), Serdes.String(), BinarySerdes.liveSeries())
            .withLoggingDisabled()
            .build();
    store.init(new MockProcessorContext<>().getStateStoreContext(), store);
    live =
        new LiveWindows(
            store, Duration.ofSeconds(10), Duration.ofSeconds(1), ProcessorMetrics.unexported());
    now = N0;
  }

  /** What a record of the given operations and request counts adds, at its time's slot. */
  private void record(long atMs, Object... operationThenCount) {
    runTo(atMs);
    recordAt(atMs, atMs, operationThenCount);
  }

  /**
   * What a record of data time {@code dataMs} adds at wall-clock {@code now}, having been processed
   * (as the signals step marks each record's points seen first).
   */
  private void recordAt(long dataMs, long now, Object... operationThenCount) {
    live.saw(dataMs, now);
    Map<String, TotalsByStart> slots = new LinkedHashMap<>();
    for (int i = 0; i < operationThenCount.length; i += 2) {
      TotalsByStart totals = new TotalsByStart();
      totals.add(
          DeltaSpreader.slotOf(dataMs),
          new SignalAccumulator().add(requests((Integer) operationThenCount[i + 1])));
      slots.put((String) operationThenCount[i], totals);
    }
    live.addOperations(SERVICE, slots, IDENTITY, now, this::emitted);
  }

  private static MetricPoint requests(long count) {
    return new MetricPoint(
        "s", "c1", "shop", "checkout", false, false, 1, 2, count, null, null, null, null, false);
  }

  /** Runs the tick and the slide up to wall-clock {@code toMs}. */
  private void runTo(long toMs) {
    while (now < toMs) {
      now += 100;
      live.emitPending(now, this::emitted);
      if (now % 1000 == 0) {
        live.slide(now, this::emitted);
      }
    }
  }

  private void emitted(String series, Emitted signal, long timestampMs) {
    emitted.add(
        (now - N0) / 1000
            + "s "
            + signal.signal().operation()
            + " "
            + signal.signal().traffic().requests());
  }

  /**
   * Pay falls quiet and is forgotten while cart, named in the same records, still waits out its
   * emit interval; a record naming both in the same order then finds pay's forgotten series at its
   * place, and must start a new one: emitted at once, and falling to zero when quiet again.
   */
  @Test
  void anOperationForgottenWhileItsServiceLivesOnStartsAfreshInTheSameOrder() {
    record(N0 + 2_000, CART, 3);
    record(N0 + 3_000, CART, 1, PAY, 2);
    record(N0 + 15_000, CART, 1, PAY, 4);
    runTo(N0 + 40_000);

    List<String> pay = emitted.stream().filter(e -> e.contains(PAY)).toList();
    assertThat(pay)
        .as(emitted.toString())
        .startsWith("3s POST /pay 2", "13s POST /pay 0", "15s POST /pay 4");
    assertThat(pay.get(pay.size() - 1)).as(emitted.toString()).endsWith("POST /pay 0");
    List<String> cart = emitted.stream().filter(e -> e.contains(CART)).toList();
    assertThat(cart.get(cart.size() - 1)).as(emitted.toString()).endsWith("GET /cart 0");
  }

  /**
   * A task working through a backlog, ten seconds of data every 100 ms of wall clock: its live
   * windows move with the data, and an operation's series, emitted every five seconds of wall
   * clock, must not hold the slots of the 500 seconds of data that came in between. Its signals
   * still count the window that ends at the data.
   */
  @Test
  void aBacklogKeepsNoSlotBehindTheLiveWindow() {
    long dataMs = N0 - 3_600_000;
    for (int i = 0; i < 200; i++) {
      runTo(N0 + i * 100L);
      for (int second = 0; second < 10; second++, dataMs += 1_000) {
        recordAt(dataMs, now, CART, 2, PAY, 1);
      }
      assertThat(live.slotsHeld()).as("after %d records", (i + 1) * 10).isLessThanOrEqualTo(20);
    }
    runTo(N0 + 30_000);

    assertThat(emitted).contains("5s POST /pay 10", "5s GET /cart 20");
  }
}
