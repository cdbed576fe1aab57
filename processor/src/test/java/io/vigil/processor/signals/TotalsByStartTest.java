package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TotalsByStartTest {
  private static MetricPoint requests(long count, boolean error) {
    return new MetricPoint(
        "s", "c1", "shop", "checkout", error, false, 1, 2, count, null, null, null, null, false);
  }

  @Test
  void findsEachStartsTotalsWhicheverCameLast() {
    TotalsByStart byStart = new TotalsByStart();
    byStart.in(2_000).add(requests(3, false));
    byStart.in(1_000).add(requests(5, true));
    byStart.in(2_000).add(requests(7, false));
    byStart.in(3_000).add(requests(1, false));
    byStart.in(1_000).add(requests(2, false));

    assertThat(byStart.size()).isEqualTo(3);
    // In the order the starts first came, each with what was added to it.
    assertThat(byStart.start(0)).isEqualTo(2_000);
    assertThat(byStart.totals(0).requests()).isEqualTo(10);
    assertThat(byStart.start(1)).isEqualTo(1_000);
    assertThat(byStart.totals(1).requests()).isEqualTo(7);
    assertThat(byStart.totals(1).errors()).isEqualTo(5);
    assertThat(byStart.start(2)).isEqualTo(3_000);
    assertThat(byStart.totals(2).requests()).isEqualTo(1);
  }

  @Test
  void keepsTheTotalsOfANewStartAndMergesIntoThoseThereAre() {
    TotalsByStart byStart = new TotalsByStart();
    SignalAccumulator first = new SignalAccumulator().add(requests(4, false));
    byStart.add(1_000, first);
    byStart.add(1_000, new SignalAccumulator().add(requests(6, true)));

    assertThat(byStart.size()).isEqualTo(1);
    assertThat(byStart.totals(0)).isSameAs(first);
    assertThat(first.requests()).isEqualTo(10);
    assertThat(first.errors()).isEqualTo(6);
  }

  @Test
  void holdsAsManyStartsAsADeltaSpreadOver() {
    TotalsByStart byStart = new TotalsByStart();
    for (int second = 0; second < 300; second++) {
      byStart.in(second * 1_000L).add(requests(second + 1, false));
    }
    for (int second = 299; second >= 0; second--) {
      byStart.in(second * 1_000L).add(requests(1, false));
    }

    assertThat(byStart.size()).isEqualTo(300);
    for (int i = 0; i < 300; i++) {
      assertThat(byStart.start(i)).isEqualTo(i * 1_000L);
      assertThat(byStart.totals(i).requests()).isEqualTo(i + 2);
    }
    assertThat(new TotalsByStart().isEmpty()).isTrue();
  }
}
