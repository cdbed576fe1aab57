package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.model.config.ConfigException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** {@code predict_linear(…)} and {@code anomaly(…)} as rule files write them, good and bad. */
class FunctionParserTest {
  @Test
  void readsPredictLinearAsPromQlWritesIt() {
    Condition c =
        Condition.parse(
            "predict_linear(saturation.memory_utilization{pod!=\"\", namespace=~\"shop|cart\"}[1h],"
                + " 4h) > 1");

    assertThat(c.learns()).isTrue();
    assertThat(c.field()).isEqualTo("saturation.memory_utilization");
    assertThat(c.matchers()).hasSize(2);
    assertThat(c.operator()).isEqualTo(Condition.Operator.GT);
    assertThat(c.threshold()).isEqualTo(1.0);
    LinearPrediction p = (LinearPrediction) c.learner();
    assertThat(p.range()).isEqualTo(Duration.ofHours(1));
    assertThat(p.aheadSeconds()).isEqualTo(4 * 3600.0);
    assertThat(
            ((LinearPrediction)
                    Condition.parse("predict_linear(lag.messages[30m], 14400) >= 1e6").learner())
                .aheadSeconds())
        .as("seconds, as PromQL's second argument")
        .isEqualTo(14400.0);
  }

  @Test
  void readsAnomalyWithItsDefaultsAndParameters() {
    SeasonalBaseline d =
        (SeasonalBaseline) Condition.parse("anomaly(traffic.rate_per_s) < -4").learner();
    assertThat(d.season()).isEqualTo(SeasonalBaseline.Season.DAY);
    assertThat(d.halfLife()).isEqualTo(Duration.ofDays(7));
    assertThat(d.warmup()).isEqualTo(Duration.ofDays(2));
    assertThat(d.minSamples()).isEqualTo(10);
    assertThat(d.minDev()).isZero();
    assertThat(d.zone()).isEqualTo(ZoneOffset.UTC);
    assertThat(d.absolute()).isFalse();

    Condition c =
        Condition.parse(
            "abs(anomaly(latency_ms.p99{service=\"a,b\"}, season=1w, half_life=2w, warmup=1w,"
                + " min_samples=4, min_dev=25, tz=\"Europe/Berlin\")) > 5");
    SeasonalBaseline w = (SeasonalBaseline) c.learner();
    assertThat(c.field()).isEqualTo("latency_ms.p99");
    assertThat(c.matchers()).singleElement().extracting(m -> m.value()).isEqualTo("a,b");
    assertThat(w.season()).isEqualTo(SeasonalBaseline.Season.WEEK);
    assertThat(w.halfLife()).isEqualTo(Duration.ofDays(14));
    assertThat(w.warmup()).isEqualTo(Duration.ofDays(7));
    assertThat(w.minSamples()).isEqualTo(4);
    assertThat(w.minDev()).isEqualTo(25.0);
    assertThat(w.zone()).isEqualTo(ZoneId.of("Europe/Berlin"));
    assertThat(w.absolute()).isTrue();

    SeasonalBaseline none =
        (SeasonalBaseline)
            Condition.parse("anomaly(errors.ratio, season=none, half_life=6h) > 3").learner();
    assertThat(none.warmup()).as("one half-life without a season").isEqualTo(Duration.ofHours(6));
  }

  @Test
  void badPredictLinearArgumentsSayWhichOne() {
    assertRejected(
        "predict_linear(saturation.memory_utilization[1x], 4h) > 1",
        "predict_linear: bad range '1x', expected e.g. [1h]");
    assertRejected(
        "predict_linear(saturation.memory_utilization[0s], 4h) > 1",
        "predict_linear: the range must be from 1s to 100y, was [0s]");
    assertRejected(
        "predict_linear(saturation.memory_utilization[9999999999999d], 4h) > 1",
        "predict_linear: bad range '9999999999999d'");
    assertRejected(
        "predict_linear(saturation.memory_utilization[1h], 1e300) > 1",
        "predict_linear: bad duration '1e300'");
    assertRejected(
        "predict_linear(saturation.memory_utilization, 4h) > 1",
        "predict_linear: expected a range in brackets after the field");
    assertRejected(
        "predict_linear(saturation.memory_utilization[1h]) > 1",
        "predict_linear: expected ', <duration>' (how far ahead to predict) after the range");
    assertRejected(
        "predict_linear(saturation.memory_utilization[1h], soon) > 1",
        "predict_linear: bad duration 'soon' (how far ahead to predict), expected e.g. 4h or 14400");
    assertRejected(
        "predict_linear(saturation.memory_utilization[1h], 4 * 3600) > 1",
        "predict_linear: bad duration '4 * 3600'");
    assertRejected(
        "predict_linear(saturation.memory_utilization[1h], 1h)",
        "predict_linear(…) must be compared with a number: expected '<op> <number>'");
    assertRejected(
        "predict_linear(saturation.memory_utilisation[1h], 1h) > 1",
        "unknown field 'saturation.memory_utilisation', known: ");
    assertRejected(
        "predict_linear(saturation.memory_utilization[1h], 1h > 1",
        "expected ')' to close 'predict_linear('");
  }

  @Test
  void badAnomalyArgumentsSayWhichOne() {
    assertRejected("anomaly(traffic.rate_per_s)", "anomaly(…) must be compared with a number");
    assertRejected("anomaly(traffic.rate_per_s) >", "anomaly(…) must be compared with a number");
    assertRejected(
        "anomaly(traffic.rate_per_s, season=1m) < -3",
        "anomaly: unknown season '1m', expected 1d, 1w or none");
    assertRejected(
        "anomaly(traffic.rate_per_s, seasn=1d) < -3",
        "anomaly: unknown parameter 'seasn', known: half_life, min_dev, min_samples, season, tz,"
            + " warmup");
    assertRejected(
        "anomaly(traffic.rate_per_s, season=1d, season=1w) < -3", "anomaly: season is given twice");
    assertRejected(
        "anomaly(traffic.rate_per_s, 1d) < -3", "anomaly: expected name=value, was '1d'");
    assertRejected(
        "anomaly(traffic.rate_per_s, half_life=0s) < -3", "anomaly: half_life must be > 0");
    assertRejected(
        "anomaly(traffic.rate_per_s, half_life=a week) < -3",
        "anomaly: bad half_life 'a week', expected a duration");
    assertRejected(
        "anomaly(traffic.rate_per_s, warmup=200y) < -3",
        "anomaly: warmup must be at most 100y, was '200y'");
    assertRejected(
        "anomaly(traffic.rate_per_s, min_samples=1) < -3",
        "anomaly: min_samples must be a whole number of at least 2, was '1'");
    assertRejected(
        "anomaly(traffic.rate_per_s, min_dev=-1) < -3",
        "anomaly: min_dev must be a number >= 0 (in the field's unit), was '-1'");
    assertRejected(
        "anomaly(traffic.rate_per_s, min_dev=NaN) < -3", "anomaly: min_dev must be a number");
    assertRejected(
        "anomaly(traffic.rate_per_s, tz=Mars/Olympus) < -3",
        "anomaly: unknown time zone 'Mars/Olympus'");
    assertRejected("anomaly(traffic.rate_per_s[1h]) < -3", "anomaly: takes no range");
    assertRejected("anomaly(traffic.rates) < -3", "unknown field 'traffic.rates', known: ");
    assertRejected("anomaly() < -3", "anomaly: expected a field");
    assertRejected("abs(traffic.rate_per_s) > 3", "abs(…) takes anomaly(…)");
    assertRejected(
        "abs(anomaly(traffic.rate_per_s))", "abs(anomaly(…)) must be compared with a number");
    assertRejected(
        "rate(traffic.requests[5m]) > 3",
        "unknown function 'rate', known: abs, absent_over_time, anomaly, count_over_time, predict_linear");
    assertRejected(
        "absent_over_time(anomaly(traffic.rate_per_s)[5m])",
        "absent_over_time takes a field and its label matchers, not a function");
  }

  @Test
  void aRuleFileErrorNamesTheFileTheKeyAndTheValue() {
    String yaml =
        """
        groups:
          - name: g
            rules:
              - alert: TrafficLow
                expr: anomaly(traffic.rate_per_s, season=2d) < -4
        """;

    assertThatThrownBy(() -> RuleLoader.parse(yaml, "anomaly.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "anomaly.yaml: groups[0].rules[0].expr: anomaly: unknown season '2d', expected 1d, 1w"
                + " or none, in alert TrafficLow, was 'anomaly(traffic.rate_per_s, season=2d) <"
                + " -4'");
  }

  @Test
  void theSignatureChangesWithWhatIsStoredNotWithTheThresholdOrTuning() {
    String a = Condition.parse("anomaly(traffic.rate_per_s) < -4").learner().signature();
    assertThat(
            Condition.parse("anomaly(traffic.rate_per_s, min_dev=3, half_life=3d) < -6")
                .learner()
                .signature())
        .isEqualTo(a);
    assertThat(Condition.parse("anomaly(traffic.rate_per_s, season=1w) < -4").learner().signature())
        .isNotEqualTo(a);
    assertThat(Condition.parse("predict_linear(lag.messages[1h], 1h) > 1").learner().signature())
        .isEqualTo(
            Condition.parse("predict_linear(lag.messages[1h], 4h) > 9").learner().signature())
        .isNotEqualTo(
            Condition.parse("predict_linear(lag.messages[2h], 1h) > 1").learner().signature());
  }

  private static void assertRejected(String expr, String message) {
    assertThatThrownBy(() -> Condition.parse(expr))
        .as(expr)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
