package io.vigil.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.signal.GoldenSignal;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LatestSignalsTest {
  private static GoldenSignal signal(String service, long startSecond) {
    Instant start = Instant.ofEpochSecond(startSecond);
    return new GoldenSignal(
        null,
        new GoldenSignal.Window(start, start.plusSeconds(10), 10),
        null,
        null,
        service,
        null,
        new GoldenSignal.Traffic(1, 0.1),
        new GoldenSignal.Errors(0, 0),
        null,
        null);
  }

  @Test
  void keepsTheLatestWindowPerSeries() {
    LatestSignals latest = new LatestSignals(10);
    latest.record(signal("a", 20));
    latest.record(signal("a", 10)); // older window arriving late
    latest.record(signal("b", 10));

    assertThat(latest.snapshot())
        .extracting(GoldenSignal::id)
        .containsExactly("//a/@20000", "//b/@10000");
  }

  @Test
  void dropsTheSeriesUpdatedLongestAgoWhenFull() {
    LatestSignals latest = new LatestSignals(2);
    latest.record(signal("a", 10));
    latest.record(signal("b", 10));
    latest.record(signal("a", 20));
    latest.record(signal("c", 10));

    assertThat(latest.snapshot()).extracting(GoldenSignal::service).containsExactly("a", "c");
  }
}
