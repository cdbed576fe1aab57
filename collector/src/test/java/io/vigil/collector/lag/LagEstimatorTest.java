package io.vigil.collector.lag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LagEstimatorTest {

  @Test
  void aGroupAtTheEndIsZeroSecondsBehind() {
    LagEstimator estimator = new LagEstimator();
    estimator.end("t-0", 1_000, 100);

    assertThat(estimator.seconds("t-0", 100, 5_000)).isZero();
  }

  @Test
  void interpolatesWhenTheEndWasWhereTheGroupIsNow() {
    LagEstimator estimator = new LagEstimator();
    estimator.end("t-0", 0, 0);
    estimator.end("t-0", 10_000, 1_000); // 100 messages a second
    estimator.end("t-0", 20_000, 2_000);

    // Committed 1,500: the end was there at 15 s; now is 20 s.
    assertThat(estimator.seconds("t-0", 1_500, 20_000)).isCloseTo(5.0, within(1e-9));
    assertThat(estimator.seconds("t-0", 1_000, 25_000)).isCloseTo(15.0, within(1e-9));
  }

  @Test
  void extrapolatesBeyondTheOldestReading() {
    LagEstimator estimator = new LagEstimator();
    estimator.end("t-0", 10_000, 1_000);
    estimator.end("t-0", 20_000, 2_000); // 100/s

    // 500 before the oldest reading at 100/s: 5 s before 10 s; now 20 s → 15 s behind.
    assertThat(estimator.seconds("t-0", 500, 20_000)).isCloseTo(15.0, within(1e-9));
  }

  @Test
  void oneReadingCannotSayHowLongAgo() {
    LagEstimator estimator = new LagEstimator();
    estimator.end("t-0", 10_000, 1_000);

    assertThat(estimator.seconds("t-0", 500, 10_000)).isNaN();
  }

  @Test
  void aRecreatedTopicStartsItsHistoryAgain() {
    LagEstimator estimator = new LagEstimator();
    estimator.end("t-0", 0, 5_000);
    estimator.end("t-0", 10_000, 10);

    assertThat(estimator.seconds("t-0", 0, 10_000))
        .as("the readings before the recreation are gone: one reading, not known yet")
        .isNaN();
    assertThat(estimator.seconds("t-0", 10, 10_000)).isZero();
  }
}
