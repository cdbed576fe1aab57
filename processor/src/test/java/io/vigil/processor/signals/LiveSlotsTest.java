package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link LiveSlots} against a {@link TreeMap} of the same slots, which it replaced. */
class LiveSlotsTest {
  private static final double[] BOUNDS = {5, 10, 25};

  /** Totals of {@code requests} requests. */
  private static SignalAccumulator requests(long requests) {
    return new SignalAccumulator()
        .add(
            new MetricPoint(
                "s",
                "c1",
                "shop",
                "checkout",
                false,
                false,
                0,
                1,
                requests,
                BOUNDS,
                new long[] {requests, 0, 0, 0},
                null,
                null,
                false));
  }

  @Test
  void keepsTheSameSlotsAsASortedMapUnderRandomAddsAndDrops() {
    Random random = new Random(42);
    LiveSlots slots = new LiveSlots();
    TreeMap<Long, Long> expected = new TreeMap<>();
    long newest = 1_000_000;
    for (int step = 0; step < 20_000; step++) {
      int kind = random.nextInt(20);
      if (kind < 12) {
        newest += random.nextInt(3) * 1000L; // the newest slot, or a new one after it
        add(slots, expected, newest, random);
      } else if (kind < 17) {
        add(slots, expected, newest - random.nextInt(40) * 1000L, random); // late, out of order
      } else {
        long cut = newest - random.nextInt(30) * 1000L;
        slots.dropBefore(cut);
        expected.headMap(cut).clear();
      }
      assertThat(contents(slots)).isEqualTo(expected);
      assertThat(slots.isEmpty()).isEqualTo(expected.isEmpty());
      if (!expected.isEmpty()) {
        assertThat(slots.firstStart()).isEqualTo(expected.firstKey());
      }
    }
  }

  @Test
  void keepsAPartAsTheNewSlotsTotalsAndMergesTheNextOnesIntoIt() {
    LiveSlots slots = new LiveSlots();
    SignalAccumulator first = requests(3);

    slots.add(5_000, first);
    slots.add(5_000, requests(4));
    slots.add(4_000, requests(1));

    assertThat(slots.size()).isEqualTo(2);
    assertThat(slots.start(0)).isEqualTo(4_000);
    assertThat(slots.totals(1)).isSameAs(first);
    assertThat(first.requests()).isEqualTo(7);
    slots.dropBefore(6_000);
    assertThat(slots.isEmpty()).isTrue();
  }

  private static void add(LiveSlots slots, Map<Long, Long> expected, long start, Random random) {
    long n = 1 + random.nextInt(5);
    slots.add(start, requests(n));
    expected.merge(start, n, Long::sum);
  }

  private static Map<Long, Long> contents(LiveSlots slots) {
    Map<Long, Long> found = new TreeMap<>();
    List<Long> order = new ArrayList<>();
    for (int i = 0; i < slots.size(); i++) {
      found.put(slots.start(i), slots.totals(i).requests());
      order.add(slots.start(i));
    }
    assertThat(order).isSorted().doesNotHaveDuplicates();
    return found;
  }
}
