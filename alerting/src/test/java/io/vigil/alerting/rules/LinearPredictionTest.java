package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class LinearPredictionTest {
  private static final Instant T0 = Instant.parse("2026-03-02T08:00:00Z");
  private static final String PREFIX = "PodMemoryFullIn1h\u0000s\u0000abc:";

  private final TreeMap<String, Learned> stored = new TreeMap<>();
  private final Memory memory = Memory.of(stored);

  private static LinearPrediction prediction(Duration range, Duration ahead) {
    return new LinearPrediction("saturation.memory_utilization", range, ahead.toSeconds());
  }

  @Test
  void readsTheLineThroughTheSamplesAheadOfTheLatestOne() {
    LinearPrediction p = prediction(Duration.ofHours(1), Duration.ofHours(1));
    OptionalDouble last = OptionalDouble.empty();
    // 30 % and one point more every minute: at 40 min 70 %, an hour later 130 %
    for (int minute = 0; minute <= 40; minute++) {
      last = p.learn(memory, PREFIX, T0.plusSeconds(60L * minute), 0.30 + 0.01 * minute);
    }

    assertThat(last).isPresent();
    assertThat(last.getAsDouble()).isCloseTo(1.30, within(1e-9));
  }

  @Test
  void fitsTheLeastSquaresLineOverEverySampleOfTheRange() {
    LinearPrediction p = prediction(Duration.ofHours(1), Duration.ofHours(4));
    Random random = new Random(42);
    List<Long> times = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    long t = T0.toEpochMilli();
    OptionalDouble predicted = OptionalDouble.empty();
    for (int i = 0; i < 1500; i++) {
      t += 1000 + random.nextInt(9000); // irregular, 1 to 10 s apart: about 2 h
      double v = 50 + 0.002 * (t - T0.toEpochMilli()) / 1000.0 + random.nextGaussian() * 3;
      times.add(t);
      values.add(v);
      predicted = p.learn(memory, PREFIX, Instant.ofEpochMilli(t), v);
    }

    // The reference: ordinary least squares over the raw samples of the last 60 slots of 1 min.
    long latest = t;
    long firstSlotStart = (Math.floorDiv(latest, 60_000L) - 59) * 60_000L;
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < times.size(); i++) {
      long ti = times.get(i);
      if (ti >= firstSlotStart) {
        double x = (ti - latest) / 1000.0;
        double y = values.get(i);
        n++;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
      }
    }
    double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    double intercept = (sy - slope * sx) / n;
    double expected = intercept + slope * 4 * 3600;

    assertThat(predicted).isPresent();
    assertThat(predicted.getAsDouble()).isCloseTo(expected, within(1e-6));
    assertThat(stored).as("one entry per slot, never more than the range's").hasSize(60);
  }

  @Test
  void givesNoValueUntilTheSamplesSpanHalfTheRange() {
    LinearPrediction p = prediction(Duration.ofHours(1), Duration.ofHours(1));
    for (int minute = 0; minute < 30; minute++) {
      assertThat(p.learn(memory, PREFIX, T0.plusSeconds(60L * minute), 0.5))
          .as("minute %d", minute)
          .isEmpty();
    }
    assertThat(p.learn(memory, PREFIX, T0.plusSeconds(60L * 30), 0.5)).hasValue(0.5);
  }

  @Test
  void aSampleItHasAlreadyLearnedOrAnOlderOneIsNotLearnedAgain() {
    LinearPrediction p = prediction(Duration.ofMinutes(10), Duration.ofMinutes(10));
    for (int s = 0; s <= 300; s += 10) {
      p.learn(memory, PREFIX, T0.plusSeconds(s), s);
    }
    TreeMap<String, Learned> before = new TreeMap<>(stored);

    assertThat(p.learn(memory, PREFIX, T0.plusSeconds(300), 1e9)).as("re-delivered").isEmpty();
    assertThat(p.learn(memory, PREFIX, T0.plusSeconds(250), 1e9)).as("older").isEmpty();
    assertThat(stored).isEqualTo(before);
    assertThat(p.learn(memory, PREFIX, T0.plusSeconds(310), 310).getAsDouble())
        .isCloseTo(310 + 600, within(1e-6));
  }

  @Test
  void dropsSlotsThatLeftTheRangeAndForgetsAfterARangeWithoutData() {
    LinearPrediction p = prediction(Duration.ofMinutes(10), Duration.ofMinutes(10));
    for (int s = 0; s <= 600; s += 5) {
      p.learn(memory, PREFIX, T0.plusSeconds(s), 1);
    }
    assertThat(stored).hasSizeLessThanOrEqualTo(LinearPrediction.SLOTS);

    // An hour later the old slots are out of range: the series starts over.
    assertThat(p.learn(memory, PREFIX, T0.plusSeconds(4200), 5)).isEmpty();
    assertThat(stored).hasSize(1);
    assertThat(p.retention()).isEqualTo(Duration.ofMinutes(10));
  }
}
