package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class QuantileEstimatorTest {
  private static final double[] BOUNDS = {5, 10, 25, 50, 100};
  private static final double[] COUNTS = {10, 20, 30, 30, 9, 1};

  @Test
  void interpolatesLinearlyInsideTheBucketHoldingTheRank() {
    assertThat(QuantileEstimator.quantile(0.5, BOUNDS, COUNTS)).isCloseTo(20.0, within(1e-12));
    assertThat(QuantileEstimator.quantile(0.95, BOUNDS, COUNTS))
        .isCloseTo(50 + 50 * 5 / 9.0, within(1e-12));
  }

  @Test
  void returnsTheUpperBoundWhenTheRankEndsABucket() {
    assertThat(QuantileEstimator.quantile(0.9, BOUNDS, COUNTS)).isEqualTo(50.0);
    assertThat(QuantileEstimator.quantile(0.99, BOUNDS, COUNTS)).isEqualTo(100.0);
  }

  @Test
  void startsTheFirstBucketAtZero() {
    assertThat(QuantileEstimator.quantile(0.05, BOUNDS, COUNTS)).isCloseTo(2.5, within(1e-12));
  }

  @Test
  void answersTheOverflowBucketsLowerBound() {
    assertThat(QuantileEstimator.quantile(0.995, BOUNDS, COUNTS)).isEqualTo(100.0);
    assertThat(QuantileEstimator.quantile(0.5, new double[] {1, 2}, new double[] {0, 0, 4}))
        .isEqualTo(2.0);
  }

  @Test
  void skipsEmptyBuckets() {
    double[] counts = {0, 0, 4, 0, 0, 0};
    assertThat(QuantileEstimator.quantile(0.5, BOUNDS, counts)).isCloseTo(17.5, within(1e-12));
  }

  @Test
  void hasNoAnswerWithoutObservationsOrFiniteBuckets() {
    assertThat(QuantileEstimator.quantile(0.5, BOUNDS, new double[6])).isNaN();
    assertThat(QuantileEstimator.quantile(0.5, new double[0], new double[] {3})).isNaN();
    assertThat(QuantileEstimator.quantile(0.5, BOUNDS, new double[] {1, 2})).isNaN();
  }

  @Test
  void mergingLayoutsKeepsEachHistogramsQuantiles() {
    double[] coarse = {10, 100};
    long[] coarseCounts = {0, 10, 0};
    QuantileEstimator.Merged merged =
        QuantileEstimator.merge(
            List.of(coarse, new double[] {50}), List.of(coarseCounts, new long[2]));

    assertThat(merged.bounds()).containsExactly(10, 50, 100);
    assertThat(merged.counts()).containsExactly(0, 40.0 / 9, 50.0 / 9, 0);
    assertThat(QuantileEstimator.quantile(0.5, merged.bounds(), merged.counts()))
        .isCloseTo(QuantileEstimator.quantile(0.5, coarse, new double[] {0, 10, 0}), within(1e-9));
  }

  @Test
  void mergingAddsCountsOfTheSameBucketsAndKeepsOverflow() {
    QuantileEstimator.Merged merged =
        QuantileEstimator.merge(
            List.of(new double[] {10, 20}, new double[] {10, 20}, new double[] {10}),
            List.of(new long[] {1, 2, 3}, new long[] {4, 5, 6}, new long[] {7, 8}));

    assertThat(merged.bounds()).containsExactly(10, 20);
    assertThat(merged.counts()).containsExactly(12, 7, 17);
  }
}
