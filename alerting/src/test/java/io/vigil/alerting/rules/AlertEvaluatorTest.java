package io.vigil.alerting.rules;

import static io.vigil.alerting.rules.Signals.T0;
import static io.vigil.alerting.rules.Signals.errorRatio;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.alert.AlertTransition;
import io.vigil.model.alert.AlertTransition.State;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
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
        Duration.ZERO,
        Map.of("severity", "critical"),
        Map.of("summary", "{{ $labels.service }} error ratio is {{ $value }}"));
  }

  /** An evaluator with its state in a map, fed golden signals. */
  private static final class Evaluation {
    final AlertEvaluator evaluator;
    final Map<String, AlertState> store = new HashMap<>();
    final AlertEvaluator.States states =
        AlertEvaluator.States.of(store::get, store::put, store::remove);

    Evaluation(List<AlertRule> rules) {
      evaluator = new AlertEvaluator(rules, "http://localhost:8890/");
    }

    List<AlertTransition> evaluate(GoldenSignal signal) {
      return evaluator.evaluate(Samples.of(signal), states);
    }

    List<AlertTransition> evaluate(PipelineRun run) {
      return evaluator.evaluate(Samples.of(run), states);
    }

    List<AlertState> firing() {
      return store.values().stream().filter(AlertState::firing).toList();
    }
  }

  private final Evaluation immediate = new Evaluation(List.of(rule(Duration.ZERO)));

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
    Evaluation evaluator = new Evaluation(List.of(rule(Duration.ofSeconds(20))));

    assertThat(evaluator.evaluate(errorRatio(0, 0.2))).isEmpty(); // pending since t=10
    assertThat(evaluator.evaluate(errorRatio(10, 0.2))).isEmpty(); // held 10s
    assertThat(evaluator.firing()).isEmpty();
    List<AlertTransition> out = evaluator.evaluate(errorRatio(20, 0.2)); // held 20s

    assertThat(out).singleElement().extracting(AlertTransition::state).isEqualTo(State.FIRING);
    assertThat(out.get(0).startsAt()).isEqualTo(T0.plusSeconds(30));
  }

  @Test
  void pendingAlertThatStopsMatchingStartsOver() {
    Evaluation evaluator = new Evaluation(List.of(rule(Duration.ofSeconds(20))));

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
  }

  @Test
  void signalLackingTheSectionDoesNotMatch() {
    Evaluation latency =
        new Evaluation(
            List.of(
                new AlertRule(
                    "SlowRequests",
                    "g",
                    "f",
                    Condition.parse("latency_ms.p99 > 100"),
                    null,
                    null,
                    null,
                    null)));
    GoldenSignal withoutLatency = errorRatio(0, 0.5);

    assertThat(latency.evaluate(withoutLatency)).isEmpty();
    assertThat(latency.firing()).isEmpty();
  }

  @Test
  void severityDefaultsToWarningAndUnknownPlaceholdersStayVisible() {
    Evaluation evaluator =
        new Evaluation(
            List.of(
                new AlertRule(
                    "Errors",
                    "g",
                    "f",
                    Condition.parse("errors.count >= 1"),
                    null,
                    null,
                    null,
                    Map.of("summary", "{{ $labels.nope }}|{{ .Value }}|{{$value}}"))));

    AlertTransition t = evaluator.evaluate(errorRatio(0, 0.2)).get(0);

    assertThat(t.severity()).isEqualTo("warning");
    assertThat(t.labels()).doesNotContainKey("severity");
    assertThat(t.annotations()).containsEntry("summary", "|{{ .Value }}|200");
  }

  private static AlertRule rule(String name, String expr, Duration keepFiringFor) {
    return new AlertRule(
        name, "g", "f", Condition.parse(expr), Duration.ZERO, keepFiringFor, null, null);
  }

  private static PipelineRun run(String job, String state, int second, PipelineRun.DataQuality dq) {
    Instant at = T0.plusSeconds(second);
    return new PipelineRun(
        at,
        PipelineRun.RUN,
        new PipelineRun.Job("airflow", job),
        new PipelineRun.Run("run-" + second, null, null),
        state,
        at.minusSeconds(60),
        state.equals("running") ? null : at,
        60.0,
        null,
        null,
        dq,
        null);
  }

  @Test
  void failedPipelineFiresPerJobAndResolvesOnTheNextSuccessfulRun() {
    Evaluation e = new Evaluation(List.of(rule("PipelineFailed", "pipeline.failed > 0", null)));

    List<AlertTransition> fired = e.evaluate(run("daily_sales", "failed", 0, null));
    assertThat(fired)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo(State.FIRING);
              assertThat(t.labels())
                  .containsEntry("job", "daily_sales")
                  .containsEntry("job_namespace", "airflow")
                  .containsEntry("alertname", "PipelineFailed");
            });
    assertThat(e.evaluate(run("daily_sales", "running", 60, null)))
        .as("a new run starting says nothing about failure yet")
        .isEmpty();
    assertThat(e.evaluate(run("hourly_users", "complete", 60, null))).isEmpty();
    assertThat(e.evaluate(run("daily_sales", "complete", 120, null)))
        .singleElement()
        .extracting(AlertTransition::state)
        .isEqualTo(State.RESOLVED);
  }

  @Test
  void freshnessRecordsLeaveRunAlertsAlone() {
    Evaluation e =
        new Evaluation(
            List.of(
                rule("PipelineFailed", "pipeline.failed > 0", null),
                rule("Stale", "freshness.age_s > 3600", null)));
    e.evaluate(run("daily_sales", "failed", 0, null));

    List<AlertTransition> out =
        e.evaluate(
            PipelineRun.freshness(
                T0.plusSeconds(30),
                new PipelineRun.Job("airflow", "daily_sales"),
                new PipelineRun.Freshness(T0.minusSeconds(7200), 7230.0)));

    assertThat(out).singleElement().extracting(AlertTransition::rule).isEqualTo("Stale");
    assertThat(e.firing()).hasSize(2);
  }

  @Test
  void dataQualityFailuresAreAValue() {
    Evaluation e =
        new Evaluation(List.of(rule("DataQuality", "pipeline.data_quality.failed >= 2", null)));

    assertThat(
            e.evaluate(
                run("orders", "complete", 0, new PipelineRun.DataQuality(5, 1, List.of("a")))))
        .isEmpty();
    assertThat(
            e.evaluate(
                run(
                    "orders",
                    "complete",
                    60,
                    new PipelineRun.DataQuality(5, 2, List.of("a", "b")))))
        .singleElement()
        .extracting(AlertTransition::value)
        .isEqualTo(2.0);
  }

  @Test
  void labelMatchersSelectTheSeries() {
    Evaluation e =
        new Evaluation(
            List.of(rule("CartErrors", "errors.ratio{service=~\"cart|basket\"} > 0.05", null)));

    assertThat(e.evaluate(errorRatio("checkout", 0, 0.5))).isEmpty();
    assertThat(e.evaluate(errorRatio("cart", 0, 0.5))).hasSize(1);
  }

  @Test
  void aWindowWithoutRequestsNeitherResolvesNorFires() {
    Evaluation latency =
        new Evaluation(List.of(rule("SlowRequests", "latency_ms.p99 > 100", Duration.ZERO)));
    assertThat(immediate.evaluate(errorRatio(0, 0.2))).hasSize(1); // fires at t=10
    assertThat(latency.evaluate(Signals.served(0, 1000, 250.0))).hasSize(1);

    // The data stopped for a while (a collector restart): the trailing windows hold no request.
    assertThat(immediate.evaluate(Signals.served(10, 0, null)))
        .as("no evidence: still firing")
        .isEmpty();
    assertThat(latency.evaluate(Signals.served(10, 0, null))).isEmpty();
    assertThat(immediate.firing()).hasSize(1);
    assertThat(latency.firing()).hasSize(1);

    // Requests again, still failing: the same alert, no second notification.
    assertThat(immediate.evaluate(errorRatio(20, 0.3))).isEmpty();
    // Requests again, all fine: resolved.
    assertThat(immediate.evaluate(errorRatio(30, 0.0)))
        .singleElement()
        .satisfies(t -> assertThat(t.state()).isEqualTo(State.RESOLVED));
    assertThat(latency.evaluate(Signals.served(30, 1000, 20.0)))
        .singleElement()
        .satisfies(t -> assertThat(t.state()).isEqualTo(State.RESOLVED));

    // And a quiet window does not fire a new one.
    Evaluation fresh = new Evaluation(List.of(rule(Duration.ZERO)));
    assertThat(fresh.evaluate(Signals.served(0, 0, null))).isEmpty();
    assertThat(fresh.firing()).isEmpty();
  }

  @Test
  void keepFiringForBridgesAFlappingValue() {
    Evaluation e =
        new Evaluation(List.of(rule("Errors", "errors.ratio > 0.05", Duration.ofSeconds(15))));

    assertThat(e.evaluate(errorRatio(0, 0.2))).hasSize(1); // fires at t=10
    assertThat(e.evaluate(errorRatio(10, 0.0))).as("5 s of 15 after the last hold").isEmpty();
    assertThat(e.evaluate(errorRatio(20, 0.2))).as("holds again: still the same alert").isEmpty();
    assertThat(e.evaluate(errorRatio(30, 0.0))).isEmpty(); // 10 s
    assertThat(e.evaluate(errorRatio(40, 0.0)))
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo(State.RESOLVED);
              assertThat(t.startsAt()).isEqualTo(T0.plusSeconds(10));
            });
  }

  @Test
  void absentOverTimeFiresForASeriesThatFellSilentAndResolvesWhenItSpeaksAgain() {
    Evaluation e =
        new Evaluation(
            List.of(
                rule(
                    "Silent",
                    "absent_over_time(traffic.requests{service=\"checkout\"}[2m])",
                    null)));
    Instant wall = Instant.parse("2026-01-01T00:00:00Z");
    GoldenSignal checkout = errorRatio("checkout", 0, 0.0);

    assertThat(e.evaluator.evaluate(Samples.of(checkout), e.states, wall)).isEmpty();
    assertThat(e.evaluator.checkAbsences(wall.plusSeconds(119), e.store.entrySet(), e.store::put))
        .isEmpty();
    List<AlertTransition> fired =
        e.evaluator.checkAbsences(wall.plusSeconds(120), e.store.entrySet(), e.store::put);
    assertThat(fired)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo(State.FIRING);
              assertThat(t.value()).as("seconds without data").isEqualTo(120.0);
              assertThat(t.labels()).containsEntry("service", "checkout");
            });
    assertThat(e.evaluator.checkAbsences(wall.plusSeconds(300), e.store.entrySet(), e.store::put))
        .as("fires once")
        .isEmpty();

    assertThat(
            e.evaluator.evaluate(
                Samples.of(errorRatio("checkout", 10, 0.0)), e.states, wall.plusSeconds(301)))
        .singleElement()
        .extracting(AlertTransition::state)
        .isEqualTo(State.RESOLVED);
    assertThat(e.evaluate(errorRatio("cart", 0, 0.0))).as("not a watched series").isEmpty();
  }

  @Test
  void absenceWatchesOnlySeriesThatCarryTheField() {
    Evaluation e =
        new Evaluation(
            List.of(
                rule(
                    "Silent",
                    "absent_over_time(traffic.requests{service=\"checkout\"}[2m])",
                    null)));
    Instant wall = Instant.parse("2026-01-01T00:00:00Z");
    GoldenSignal logs =
        GoldenSignal.logs(
            null,
            new GoldenSignal.Window(T0, T0.plusSeconds(10), 10),
            "c1",
            "shop",
            "checkout",
            new GoldenSignal.Logs(3, 1, 0.3, 0.1),
            null);

    // The service's log volume has its labels but no requests: its silence is no absence.
    assertThat(e.evaluator.evaluate(Samples.of(logs), e.states, wall)).isEmpty();
    assertThat(e.evaluator.checkAbsences(wall.plusSeconds(600), e.store.entrySet(), e.store::put))
        .isEmpty();
  }

  @Test
  void aRuleWatchesOperationSeriesOnlyWhenItNamesTheOperation() {
    Evaluation services = new Evaluation(List.of(rule("PerService", "errors.ratio > 0.05", null)));
    Evaluation operations =
        new Evaluation(
            List.of(rule("PerOperation", "errors.ratio{operation=~\".+\"} > 0.05", null)));
    GoldenSignal service = errorRatio("checkout", null, 0, 0.2);
    GoldenSignal pay = errorRatio("checkout", "POST /pay", 0, 0.4);

    assertThat(services.evaluate(service)).singleElement();
    assertThat(services.evaluate(pay))
        .as("the route's requests are the service's too: one page, not two")
        .isEmpty();
    assertThat(operations.evaluate(service)).as("no operation label: not an operation").isEmpty();
    assertThat(operations.evaluate(pay))
        .singleElement()
        .satisfies(t -> assertThat(t.labels()).containsEntry("operation", "POST /pay"));
  }

  @Test
  void absentOverTimeNeedsAPositiveDuration() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Condition.parse("absent_over_time(traffic.requests[0s])"))
        .hasMessageContaining("must be > 0");
    assertThat(Condition.parse("absent_over_time(pipeline.duration_s{job=\"x\"}[1h])").absentFor())
        .isEqualTo(Duration.ofHours(1));
  }

  @Test
  void aNodesCpuAboveTheThresholdFiresPerNodeAndResolvesWhenTheNodeStopsReporting() {
    AlertRule cpu =
        new AlertRule(
            "NodeCpuHigh",
            "saturation",
            "rules.yaml",
            Condition.parse("saturation.cpu_utilization > 0.8"),
            Duration.ZERO,
            Duration.ZERO,
            Map.of("severity", "warning"),
            Map.of("summary", "{{ $labels.node }} CPU at {{ $value }}"));
    Evaluation e = new Evaluation(List.of(cpu, rule(Duration.ZERO)));

    List<AlertTransition> fired = e.evaluate(Signals.nodeSaturation("worker-1", 10, 0.93, 0.5));
    // Another node, and a service's requests, are series of their own.
    assertThat(e.evaluate(Signals.nodeSaturation("worker-2", 10, 0.2, 0.5))).isEmpty();
    assertThat(e.evaluate(errorRatio(0, 0.0))).isEmpty();

    assertThat(fired).hasSize(1);
    assertThat(fired.get(0).labels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "alertname",
                "NodeCpuHigh",
                "cluster",
                "c1",
                "node",
                "worker-1",
                "severity",
                "warning"));
    assertThat(fired.get(0).annotations()).containsEntry("summary", "worker-1 CPU at 0.93");

    // The processor's last word on a node that went away: no saturation left.
    List<AlertTransition> resolved =
        e.evaluate(Signals.nodeSaturation("worker-1", 320, null, null));
    assertThat(resolved).extracting(AlertTransition::state).containsExactly(State.RESOLVED);
  }
}
