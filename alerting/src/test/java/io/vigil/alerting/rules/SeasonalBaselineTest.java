package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SeasonalBaselineTest {
  /** A Monday, 00:00 UTC. */
  private static final Instant MONDAY = Instant.parse("2026-03-02T00:00:00Z");

  private static final String PREFIX = "TrafficLow\u0000c1/shop/checkout/GET\u0000abc:";

  private final TreeMap<String, Learned> stored = new TreeMap<>();
  private final Memory memory = Memory.of(stored);

  private static SeasonalBaseline baseline(String args) {
    return (SeasonalBaseline)
        Condition.parse("anomaly(traffic.rate_per_s" + args + ") < -4").learner();
  }

  private Learned.Bucket bucket(int n) {
    return (Learned.Bucket) stored.get(PREFIX + n);
  }

  @Test
  void learnsTheMeanAndVarianceOfEachBucket() {
    SeasonalBaseline b = baseline(", season=none, half_life=100y");
    double[] values = {10, 12, 14, 16};
    for (int i = 0; i < values.length; i++) {
      b.learn(memory, PREFIX, MONDAY.plusSeconds(60L * i), values[i]);
    }

    assertThat(bucket(0).n()).isEqualTo(4);
    assertThat(bucket(0).mean()).isCloseTo(13, within(1e-6));
    assertThat(bucket(0).variance()).as("population variance").isCloseTo(5, within(1e-6));
  }

  @Test
  void anEarlierSampleWeighsHalfAfterAHalfLife() {
    SeasonalBaseline b = baseline(", season=none, half_life=1d");
    b.learn(memory, PREFIX, MONDAY, 0);
    b.learn(memory, PREFIX, MONDAY.plus(Duration.ofDays(1)), 3);

    // weights 0.5 and 1: mean (0 * 0.5 + 3) / 1.5, variance (0.5 * 2² + 1 * 1²) / 1.5
    assertThat(bucket(0).weight()).isCloseTo(1.5, within(1e-9));
    assertThat(bucket(0).mean()).isCloseTo(2, within(1e-9));
    assertThat(bucket(0).variance()).isCloseTo(2, within(1e-9));
  }

  @Test
  void scoresASampleAgainstItsOwnHourOfTheDayOnly() {
    SeasonalBaseline b = baseline(", warmup=1d, min_samples=2");
    b.learn(memory, PREFIX, MONDAY.plusSeconds(3 * 3600), 19);
    b.learn(memory, PREFIX, MONDAY.plusSeconds(3 * 3600 + 600), 21);
    b.learn(memory, PREFIX, MONDAY.plusSeconds(15 * 3600), 99);
    b.learn(memory, PREFIX, MONDAY.plusSeconds(15 * 3600 + 600), 101);

    Instant tuesday = MONDAY.plus(Duration.ofDays(1));
    assertThat(b.learn(memory, PREFIX, tuesday.plusSeconds(3 * 3600 + 600), 20).getAsDouble())
        .as("20 at night is usual")
        .isCloseTo(0, within(0.01));
    assertThat(b.learn(memory, PREFIX, tuesday.plusSeconds(15 * 3600 + 600), 20).getAsDouble())
        .as("20 in the afternoon: 80 deviations of 1 below the usual 100")
        .isCloseTo(-80, within(0.01));
  }

  @Test
  void givesNoValueUntilTheBucketHoldsMinSamplesAndIsWarmupOld() {
    SeasonalBaseline b = baseline(", season=none, warmup=1h, min_samples=5");
    for (int minute = 0; minute < 60; minute += 20) {
      assertThat(b.learn(memory, PREFIX, MONDAY.plusSeconds(60L * minute), 100)).isEmpty();
    }
    assertThat(b.learn(memory, PREFIX, MONDAY.plusSeconds(3600), 100))
        .as("an hour old, but 3 samples of 5")
        .isEmpty();
    assertThat(b.learn(memory, PREFIX, MONDAY.plusSeconds(3601), 100)).as("4 of 5").isEmpty();
    assertThat(b.learn(memory, PREFIX, MONDAY.plusSeconds(3602), 100)).isPresent();
  }

  @Test
  void aFlatSeriesDividesByOnePercentOfItsMeanOrMinDev() {
    SeasonalBaseline b = baseline(", season=none, warmup=0s, min_samples=2");
    SeasonalBaseline floored = baseline(", season=none, warmup=0s, min_samples=2, min_dev=5");
    Learned.Bucket flat = new Learned.Bucket(0, 0, 100, 100, 100, 0);
    Learned.Bucket zero = new Learned.Bucket(0, 0, 100, 100, 0, 0);

    assertThat(b.score(flat, 90)).isEqualTo(-10);
    assertThat(floored.score(flat, 90)).isEqualTo(-2);
    assertThat(b.score(zero, 0)).isZero();
    assertThat(b.score(zero, 0.001))
        .as("no deviation at all: off the scale, but finite")
        .isEqualTo(SeasonalBaseline.MAX_SCORE);
    assertThat(b.score(zero, -1)).isEqualTo(-SeasonalBaseline.MAX_SCORE);
    assertThat(floored.score(zero, 1)).isEqualTo(0.2);
  }

  @Test
  void anOutlierMovesTheBaselineByAtMostThreeDeviations() {
    SeasonalBaseline b = baseline(", season=none, warmup=0s, min_samples=2");
    Learned.Bucket usual = new Learned.Bucket(0, 0, 1000, 1000, 100, 4); // deviation 2

    Learned.Bucket after = b.learned(usual, 1, 1_000_000, true);

    assertThat(after.mean()).isCloseTo(100 + 3 * 2 / 1001.0, within(1e-9));
    assertThat(b.learned(usual, 1, 1_000_000, false).mean())
        .as("not clamped during warm-up")
        .isGreaterThan(1000);
  }

  @Test
  void aSampleItHasAlreadyLearnedIsNotLearnedTwice() {
    SeasonalBaseline b = baseline(", season=none, warmup=0s, min_samples=2");
    b.learn(memory, PREFIX, MONDAY, 1);
    b.learn(memory, PREFIX, MONDAY.plusSeconds(10), 3);
    Learned.Bucket before = bucket(0);

    assertThat(b.learn(memory, PREFIX, MONDAY.plusSeconds(10), 3)).isEmpty();
    assertThat(bucket(0)).isEqualTo(before);
  }

  @Test
  void bucketsAreHoursOfTheDayOrOfTheWeekInTheZone() {
    Instant mondayMorning = Instant.parse("2026-03-02T08:30:00Z");
    Instant sundayNight = Instant.parse("2026-03-08T23:59:59Z");
    Instant julyMorning = Instant.parse("2026-07-01T08:30:00Z");

    assertThat(baseline("").bucketOf(mondayMorning)).isEqualTo(8);
    assertThat(baseline(", tz=Europe/Berlin").bucketOf(mondayMorning)).as("CET").isEqualTo(9);
    assertThat(baseline(", tz=Europe/Berlin").bucketOf(julyMorning)).as("CEST").isEqualTo(10);
    assertThat(baseline(", season=1w").bucketOf(mondayMorning)).isEqualTo(8);
    assertThat(baseline(", season=1w").bucketOf(sundayNight)).isEqualTo(167);
    assertThat(baseline(", season=none").bucketOf(sundayNight)).isZero();
    assertThat(baseline(", season=1w").zone()).isEqualTo(ZoneOffset.UTC);
    assertThat(baseline(", tz=Europe/Berlin").zone()).isEqualTo(ZoneId.of("Europe/Berlin"));
  }

  /**
   * Ten days of a daily wave with noise, every 5 minutes; then a day whose afternoon falls to a
   * third of its usual traffic for two hours.
   */
  @Test
  void aDropBelowTheUsualLevelForTheHourScoresFarBelowWhileTheNightlyLowDoesNot() {
    SeasonalBaseline b = baseline("");
    Random random = new Random(7);
    double lowestUsual = 0;
    double highestUsual = 0;
    for (int i = 0; i < 11 * 288; i++) {
      Instant t = MONDAY.plusSeconds(300L * i);
      double hour = (i % 288) / 12.0;
      double usual = 100 + 50 * Math.sin(2 * Math.PI * (hour - 9) / 24) + random.nextGaussian() * 5;
      boolean outage = i >= 10 * 288 + 14 * 12 && i < 10 * 288 + 16 * 12;
      OptionalDouble score = b.learn(memory, PREFIX, t, outage ? usual / 3 : usual);
      if (i < 2 * 288) {
        assertThat(score).as("warming up, sample %d", i).isEmpty();
      } else if (outage) {
        assertThat(score.getAsDouble()).as("during the outage, sample %d", i).isLessThan(-6);
      } else {
        lowestUsual = Math.min(lowestUsual, score.getAsDouble());
        highestUsual = Math.max(highestUsual, score.getAsDouble());
      }
    }
    assertThat(lowestUsual)
        .as("the usual night, and the evening after the outage")
        .isGreaterThan(-4.5);
    assertThat(highestUsual).isLessThan(4.5);
    assertThat(stored).as("one bucket per hour of the day").hasSize(24);
  }

  @Test
  void absScoresWithoutSign() {
    SeasonalBaseline b =
        (SeasonalBaseline)
            Condition.parse(
                    "abs(anomaly(traffic.rate_per_s, season=none, warmup=0s, min_samples=2)) > 3")
                .learner();
    b.learn(memory, PREFIX, MONDAY, 100);
    b.learn(memory, PREFIX, MONDAY.plusSeconds(10), 100);

    assertThat(b.learn(memory, PREFIX, MONDAY.plusSeconds(20), 90)).hasValue(10);
  }
}
