package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeltaSpreaderTest {
  @Test
  void spreadsInProportionToTheTimeEachSecondCovers() {
    List<DeltaSpreader.Slice> slices = DeltaSpreader.spread(5_000, 12_000, 21, new long[0]);

    assertThat(slices)
        .extracting(DeltaSpreader.Slice::slotStartMs)
        .containsExactly(5_000L, 6_000L, 7_000L, 8_000L, 9_000L, 10_000L, 11_000L);
    assertThat(slices).extracting(DeltaSpreader.Slice::count).containsOnly(3L);
  }

  @Test
  void putsAnInstantInTheSecondHoldingIt() {
    assertThat(DeltaSpreader.spread(7_400, 7_400, 5, new long[] {2, 3}))
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.slotStartMs()).isEqualTo(7_000);
              assertThat(s.count()).isEqualTo(5);
              assertThat(s.buckets()).containsExactly(2, 3);
            });
  }

  @Test
  void givesPartialSecondsTheirShare() {
    // 0.5 s + 1 s + 0.5 s: 1 + 2 + 1.
    List<DeltaSpreader.Slice> slices = DeltaSpreader.spread(1_500, 3_500, 4, new long[0]);

    assertThat(slices).extracting(DeltaSpreader.Slice::count).containsExactly(1L, 2L, 1L);
  }

  @Test
  void keepsEveryBucketsTotalAndEachSlicesCountEqualToItsBuckets() {
    Random random = new Random(42);
    for (int run = 0; run < 500; run++) {
      long from = random.nextInt(100_000);
      long to = from + random.nextInt(70_000);
      long[] buckets = new long[1 + random.nextInt(15)];
      long count = 0;
      for (int b = 0; b < buckets.length; b++) {
        buckets[b] = random.nextInt(4) == 0 ? 0 : random.nextInt(1_000);
        count += buckets[b];
      }

      List<DeltaSpreader.Slice> slices = DeltaSpreader.spread(from, to, count, buckets);

      long[] summed = new long[buckets.length];
      long total = 0;
      for (DeltaSpreader.Slice slice : slices) {
        long inSlice = 0;
        for (int b = 0; b < buckets.length; b++) {
          summed[b] += slice.buckets()[b];
          inSlice += slice.buckets()[b];
        }
        assertThat(slice.count()).isEqualTo(inSlice).isPositive();
        assertThat(slice.slotStartMs()).isBetween(DeltaSpreader.slotOf(from), to);
        total += slice.count();
      }
      assertThat(summed).as("run %d", run).containsExactly(buckets);
      assertThat(total).isEqualTo(count);
    }
  }

  @Test
  void namesTheSoleSlotExactlyWhenSpreadMakesOneSlice() {
    Random random = new Random(7);
    int sole = 0;
    for (int i = 0; i < 20_000; i++) {
      long to = random.nextInt(10_000) - 5_000;
      long from = to - random.nextInt(random.nextBoolean() ? 3_000 : 1_001);
      if (random.nextInt(10) == 0) {
        from = to + random.nextInt(500); // a start after the time: as if it were the time
      }
      // A million requests: every second the span touches gets a share.
      List<DeltaSpreader.Slice> slices = DeltaSpreader.spread(from, to, 1_000_000, new long[0]);
      long slot = DeltaSpreader.soleSlot(from, to);
      if (slices.size() == 1) {
        sole++;
        assertThat(slot).as("[%d, %d]", from, to).isEqualTo(slices.get(0).slotStartMs());
      } else {
        assertThat(slot).as("[%d, %d]", from, to).isEqualTo(DeltaSpreader.SEVERAL);
      }
    }
    assertThat(sole).isBetween(2_000, 18_000); // both answers were asked for
  }

  @Test
  void apportionsHugeTotalsExactly() {
    long[] shares = DeltaSpreader.apportion(Long.MAX_VALUE / 2, new long[] {1, 1, 1});

    assertThat(shares[0] + shares[1] + shares[2]).isEqualTo(Long.MAX_VALUE / 2);
    assertThat(shares[2]).isGreaterThanOrEqualTo(shares[0]);
  }
}
