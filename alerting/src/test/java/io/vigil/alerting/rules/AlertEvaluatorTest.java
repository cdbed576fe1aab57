package io.vigil.alerting.rules;

import static io.vigil.alerting.rules.Signals.T0;
import static io.vigil.alerting.rules.Signals.errorRatio;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.alert.AlertTransition;
import io.vigil.model.alert.AlertTransition.State;
import io.vigil.model.signal.GoldenSignal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertEvaluatorTest {
  private static AlertRule rule(Duration forDuration) {
    return new AlertRule(
        "HighErrorRatio",
        "golden-signals",
        "rules.yaml",
        Condition.parse("errors.ratio > 0.05"),
        forDuration,
        Map.of("severity", "critical"),
        Map.of("summary", "{{ $labels.service }} error ratio is {{ $value }}"));
  }

  private final AlertEvaluator immediate =
      new AlertEvaluator(List.of(rule(Duration.ZERO)), "http://localhost:8890/");

  @Test
  void firesAtOnceWithoutForAndDescribesTheAlert() {
    List<AlertTransition> out = immediate.evaluate(errorRatio(0, 0.2));

    assertThat(out).hasSize(1);
    AlertTransition t = out.get(0);
    assertThat(t.state()).isEqualTo(State.FIRING);
    assertThat(t.rule()).isEqualTo("HighErrorRatio");
    assertThat(t.severity()).isEqualTo("critical");
    assertThat(t.value()).isEqualTo(0.2);
    assertThat(t.labels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "alertname", "HighErrorRatio",
                "cluster", "c1",
                "namespace", "shop",
                "service", "checkout",
                "operation", "POST /pay",
                "severity", "critical"));
    assertThat(t.annotations()).containsEntry("summary", "checkout error ratio is 0.2");
    assertThat(t.startsAt()).isEqualTo(T0.plusSeconds(10));
    assertThat(t.endsAt()).isNull();
    assertThat(t.fingerprint()).matches("[0-9a-f]{16}").isEqualTo(Fingerprints.of(t.labels()));
    assertThat(t.generatorUrl())
        .isEqualTo("http://localhost:8890/api/v2/alerts?fingerprint=" + t.fingerprint());
  }

  @Test
  void repeatedFiringWindowsDoNotEmitAgain() {
    assertThat(immediate.evaluate(errorRatio(0, 0.2))).hasSize(1);
    assertThat(immediate.evaluate(errorRatio(10, 0.3))).isEmpty();
    assertThat(immediate.evaluate(errorRatio(20, 0.4))).isEmpty();
    assertThat(immediate.firing())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.value()).isEqualTo(0.4);
              assertThat(a.updatedAt()).isEqualTo(T0.plusSeconds(30));
              assertThat(a.startsAt()).isEqualTo(T0.plusSeconds(10));
            });
  }

  @Test
  void resolvesWhenALaterWindowNoLongerMatches() {
    AlertTransition fired = immediate.evaluate(errorRatio(0, 0.2)).get(0);

    List<AlertTransition> out = immediate.evaluate(errorRatio(10, 0.01));

    assertThat(out)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo(State.RESOLVED);
              assertThat(t.fingerprint()).isEqualTo(fired.fingerprint());
              assertThat(t.startsAt()).isEqualTo(fired.startsAt());
              assertThat(t.endsAt()).isEqualTo(T0.plusSeconds(20));
              assertThat(t.value()).isEqualTo(0.01);
            });
    assertThat(immediate.firing()).isEmpty();
    assertThat(immediate.evaluate(errorRatio(20, 0.01))).isEmpty();
  }

  @Test
  void waitsForTheForDurationInEventTime() {
    AlertEvaluator evaluator =
        new AlertEvaluator(List.of(rule(Duration.ofSeconds(20))), "http://x");

    assertThat(evaluator.evaluate(errorRatio(0, 0.2))).isEmpty(); // pending since t=10
    assertThat(evaluator.evaluate(errorRatio(10, 0.2))).isEmpty(); // held 10s
    assertThat(evaluator.firing()).isEmpty();
    List<AlertTransition> out = evaluator.evaluate(errorRatio(20, 0.2)); // held 20s

    assertThat(out).singleElement().extracting(AlertTransition::state).isEqualTo(State.FIRING);
    assertThat(out.get(0).startsAt()).isEqualTo(T0.plusSeconds(30));
  }

  @Test
  void pendingAlertThatStopsMatchingStartsOver() {
    AlertEvaluator evaluator =
        new AlertEvaluator(List.of(rule(Duration.ofSeconds(20))), "http://x");

    evaluator.evaluate(errorRatio(0, 0.2));
    assertThat(evaluator.evaluate(errorRatio(10, 0.0))).isEmpty(); // back to inactive, no resolve
    evaluator.evaluate(errorRatio(20, 0.2));
    assertThat(evaluator.evaluate(errorRatio(30, 0.2))).isEmpty();
    assertThat(evaluator.evaluate(errorRatio(40, 0.2))).hasSize(1);
  }

  @Test
  void ignoresOutOfOrderAndRedeliveredWindows() {
    immediate.evaluate(errorRatio(20, 0.2));

    assertThat(immediate.evaluate(errorRatio(10, 0.0))).isEmpty(); // older: would resolve
    assertThat(immediate.evaluate(errorRatio(20, 0.0))).isEmpty(); // same window again
    assertThat(immediate.firing()).hasSize(1);
    assertThat(immediate.evaluate(errorRatio(30, 0.0))).hasSize(1);
  }

  @Test
  void keepsSeriesApart() {
    assertThat(immediate.evaluate(errorRatio("checkout", 0, 0.2))).hasSize(1);
    assertThat(immediate.evaluate(errorRatio("cart", 0, 0.2))).hasSize(1);
    assertThat(immediate.evaluate(errorRatio("cart", 10, 0.0))).hasSize(1);

    assertThat(immediate.firing())
        .singleElement()
        .satisfies(a -> assertThat(a.labels()).containsEntry("service", "checkout"));
    assertThat(immediate.trackedSeries()).isEqualTo(2);
  }

  @Test
  void signalLackingTheSectionDoesNotMatch() {
    AlertEvaluator latency =
        new AlertEvaluator(
            List.of(
                new AlertRule(
                    "SlowRequests",
                    "g",
                    "f",
                    Condition.parse("latency_ms.p99 > 100"),
                    null,
                    null,
                    null)),
            "http://x");
    GoldenSignal withoutLatency = errorRatio(0, 0.5);

    assertThat(latency.evaluate(withoutLatency)).isEmpty();
    assertThat(latency.firing()).isEmpty();
  }

  @Test
  void severityDefaultsToWarningAndUnknownPlaceholdersStayVisible() {
    AlertEvaluator evaluator =
        new AlertEvaluator(
            List.of(
                new AlertRule(
                    "Errors",
                    "g",
                    "f",
                    Condition.parse("errors.count >= 1"),
                    null,
                    null,
                    Map.of("summary", "{{ $labels.nope }}|{{ .Value }}|{{$value}}"))),
            "http://x");

    AlertTransition t = evaluator.evaluate(errorRatio(0, 0.2)).get(0);

    assertThat(t.severity()).isEqualTo("warning");
    assertThat(t.labels()).doesNotContainKey("severity");
    assertThat(t.annotations()).containsEntry("summary", "|{{ .Value }}|200");
  }

  private AlertTransition firedBeforeRestart() {
    AlertEvaluator before = new AlertEvaluator(List.of(rule(Duration.ZERO)), "http://x");
    return before.evaluate(errorRatio(0, 0.2)).get(0);
  }

  @Test
  void restoredFiringAlertDoesNotFireAgain() {
    AlertTransition fired = firedBeforeRestart();

    assertThat(immediate.restore(List.of(fired))).isEqualTo(1);

    assertThat(immediate.firing())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.fingerprint()).isEqualTo(fired.fingerprint());
              assertThat(a.startsAt()).isEqualTo(fired.startsAt());
              assertThat(a.annotations()).isEqualTo(fired.annotations());
            });
    assertThat(immediate.evaluate(errorRatio(10, 0.3))).isEmpty();
    assertThat(immediate.firing()).singleElement().extracting(ActiveAlert::value).isEqualTo(0.3);
  }

  @Test
  void restoredFiringAlertResolvesOnTheNextHealthyWindow() {
    AlertTransition fired = firedBeforeRestart();
    immediate.restore(List.of(fired));

    List<AlertTransition> out = immediate.evaluate(errorRatio(20, 0.01));

    assertThat(out)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo(State.RESOLVED);
              assertThat(t.fingerprint()).isEqualTo(fired.fingerprint());
              assertThat(t.startsAt()).isEqualTo(fired.startsAt());
              assertThat(t.endsAt()).isEqualTo(T0.plusSeconds(30));
            });
    assertThat(immediate.firing()).isEmpty();
  }

  @Test
  void restoreIgnoresAlertsOfRulesThatNoLongerExist() {
    AlertTransition fired = firedBeforeRestart();
    AlertEvaluator other =
        new AlertEvaluator(
            List.of(
                new AlertRule(
                    "SlowCheckout",
                    "golden-signals",
                    "rules.yaml",
                    Condition.parse("errors.ratio > 0.05"),
                    Duration.ZERO,
                    Map.of("severity", "critical"),
                    Map.of())),
            "http://x");

    assertThat(other.restore(List.of(fired))).isZero();

    assertThat(other.firing()).isEmpty();
    assertThat(other.evaluate(errorRatio(20, 0.01))).isEmpty();
  }

  @Test
  void restoreIgnoresAlertsWhoseRuleLabelsChanged() {
    AlertTransition fired = firedBeforeRestart();
    AlertEvaluator relabelled =
        new AlertEvaluator(
            List.of(
                new AlertRule(
                    "HighErrorRatio",
                    "golden-signals",
                    "rules.yaml",
                    Condition.parse("errors.ratio > 0.05"),
                    Duration.ZERO,
                    Map.of("severity", "warning"),
                    Map.of())),
            "http://x");

    assertThat(relabelled.restore(List.of(fired))).isZero();
  }

  @Test
  void restoreKeepsRedeliveredOlderWindowsIgnored() {
    AlertTransition fired = firedBeforeRestart();
    AlertEvaluator before = new AlertEvaluator(List.of(rule(Duration.ZERO)), "http://x");
    before.evaluate(errorRatio(0, 0.2));
    AlertTransition resolved = before.evaluate(errorRatio(10, 0.01)).get(0);

    immediate.restore(List.of(resolved));

    assertThat(immediate.firing()).isEmpty();
    assertThat(immediate.evaluate(errorRatio(0, 0.2))).as("re-delivered firing window").isEmpty();
    assertThat(immediate.evaluate(errorRatio(20, 0.2)))
        .singleElement()
        .satisfies(t -> assertThat(t.startsAt()).isEqualTo(T0.plusSeconds(30)))
        .satisfies(t -> assertThat(t.startsAt()).isNotEqualTo(fired.startsAt()));
  }
}
