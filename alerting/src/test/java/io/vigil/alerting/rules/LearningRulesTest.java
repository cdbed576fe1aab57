package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.alert.AlertTransition;
import io.vigil.model.alert.AlertTransition.State;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Rules that learn from history, through the evaluator: for, labels, annotations, resolving. */
class LearningRulesTest {
  private static final Instant T0 = Instant.parse("2026-03-02T08:00:00Z");
  private static final Map<String, String> POD =
      Map.of("cluster", "c1", "namespace", "shop", "service", "checkout", "pod", "checkout-1");

  private final Map<String, AlertState> store = new HashMap<>();
  private final AlertEvaluator.States states =
      AlertEvaluator.States.of(store::get, store::put, store::remove);
  private final TreeMap<String, Learned> learned = new TreeMap<>();
  private final Memory memory = Memory.of(learned);

  private static AlertRule rule(String name, String expr, Duration forDuration) {
    return new AlertRule(
        name,
        "learned",
        "anomaly.yaml",
        Condition.parse(expr),
        forDuration,
        Duration.ZERO,
        Map.of("severity", "warning"),
        Map.of("summary", "{{ $labels.pod }} at {{ $value | humanizePercentage }} in an hour"));
  }

  private static Sample memory(Instant at, Double utilization) {
    return new Sample(
        Sample.Source.SIGNALS,
        "c1/shop/checkout//worker-1/checkout-1",
        POD,
        utilization == null ? Map.of() : Map.of("saturation.memory_utilization", utilization),
        at);
  }

  private static Sample traffic(Instant at, double rate) {
    return new Sample(
        Sample.Source.SIGNALS,
        "c1/shop/checkout/",
        Map.of("cluster", "c1", "namespace", "shop", "service", "checkout"),
        Map.of("traffic.rate_per_s", rate, "traffic.requests", rate * 10),
        at);
  }

  @Test
  void aPredictionFiresAfterForWithThePredictedValueAndResolvesWhenTheTrendStops() {
    AlertEvaluator evaluator =
        new AlertEvaluator(
            List.of(
                rule(
                    "PodMemoryFullIn1h",
                    "predict_linear(saturation.memory_utilization{pod!=\"\"}[1h], 1h) > 1",
                    Duration.ofMinutes(5))),
            "");
    List<AlertTransition> out = new ArrayList<>();
    for (int minute = 0; minute <= 40; minute++) {
      out.addAll(
          evaluator.evaluate(
              memory(T0.plusSeconds(60L * minute), 0.30 + 0.01 * minute), states, memory, T0));
      if (minute < 30) {
        assertThat(store).as("minute %d: too little history, no state", minute).isEmpty();
      }
    }

    assertThat(out)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo(State.FIRING);
              assertThat(t.startsAt())
                  .as("pending at 30 min, 5 min of for")
                  .isEqualTo(T0.plusSeconds(35 * 60));
              assertThat(t.value())
                  .as("65 % now, 1 % more a minute")
                  .isCloseTo(1.25, org.assertj.core.api.Assertions.within(1e-9));
              assertThat(t.labels())
                  .containsEntry("pod", "checkout-1")
                  .containsEntry("alertname", "PodMemoryFullIn1h");
              assertThat(t.annotations()).containsEntry("summary", "checkout-1 at 125% in an hour");
            });

    // The leak stops at 70 %: the fitted line flattens and the prediction falls under 100 %.
    List<AlertTransition> later = new ArrayList<>();
    int minute = 41;
    while (later.isEmpty() && minute < 120) {
      later.addAll(
          evaluator.evaluate(memory(T0.plusSeconds(60L * minute++), 0.70), states, memory, T0));
    }
    assertThat(later)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo(State.RESOLVED);
              assertThat(t.value()).isLessThanOrEqualTo(1.0);
            });
    assertThat(learned).as("the history outlives the alert").isNotEmpty();
  }

  @Test
  void aRecordWithoutTheValueResolvesAsForEveryRuleButTooLittleHistoryLeavesTheStateAlone() {
    AlertEvaluator evaluator =
        new AlertEvaluator(
            List.of(
                rule(
                    "PodMemoryFullIn1h",
                    "predict_linear(saturation.memory_utilization[10m], 1h) > 1",
                    Duration.ZERO)),
            "");
    for (int s = 0; s <= 300; s += 10) {
      evaluator.evaluate(memory(T0.plusSeconds(s), 0.5 + 0.001 * s), states, memory, T0);
    }
    assertThat(store.values()).singleElement().satisfies(s -> assertThat(s.firing()).isTrue());

    // The processor's last word on a pod that went away: no saturation left.
    assertThat(evaluator.evaluate(memory(T0.plusSeconds(310), null), states, memory, T0))
        .extracting(AlertTransition::state)
        .containsExactly(State.RESOLVED);
  }

  @Test
  void anAnomalyFiresWithTheScoreAndAWarmingUpBaselineNeverDoes() {
    AlertEvaluator evaluator =
        new AlertEvaluator(
            List.of(
                new AlertRule(
                    "TrafficFarBelowUsual",
                    "learned",
                    "anomaly.yaml",
                    Condition.parse(
                        "anomaly(traffic.rate_per_s, season=none, warmup=10m, min_samples=5) < -4"),
                    Duration.ZERO,
                    Duration.ZERO,
                    Map.of(),
                    Map.of("summary", "{{ $value | humanize }} deviations"))),
            "");
    assertThat(evaluator.evaluate(traffic(T0, 100), states, memory, T0)).isEmpty();
    assertThat(evaluator.evaluate(traffic(T0.plusSeconds(10), 1), states, memory, T0))
        .as("warming up: a drop is no anomaly yet")
        .isEmpty();
    for (int s = 20; s <= 600; s += 10) {
      evaluator.evaluate(traffic(T0.plusSeconds(s), s % 20 == 0 ? 98 : 102), states, memory, T0);
    }

    List<AlertTransition> fired =
        evaluator.evaluate(traffic(T0.plusSeconds(610), 10), states, memory, T0);

    assertThat(fired)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo(State.FIRING);
              assertThat(t.value()).isLessThan(-4);
              assertThat(t.annotations().get("summary")).matches("-\\d+(\\.\\d+)? deviations");
            });
    assertThat(evaluator.evaluate(traffic(T0.plusSeconds(620), 100), states, memory, T0))
        .extracting(AlertTransition::state)
        .containsExactly(State.RESOLVED);
  }

  @Test
  void forgetsWhatSeriesThatWentAwayTaughtAndWhatNoRuleNeedsAnyMore() {
    AlertRule predict =
        rule(
            "PodMemoryFullIn1h",
            "predict_linear(saturation.memory_utilization[10m], 1h) > 1",
            Duration.ZERO);
    AlertEvaluator evaluator = new AlertEvaluator(List.of(predict), "");
    evaluator.evaluate(memory(T0, 0.5), states, memory, T0);
    String ours = learned.firstKey();
    String prefix = AlertEvaluator.key("PodMemoryFullIn1h", "other");
    learned.put(
        prefix + "\u0000" + predict.condition().learner().signature() + ":1",
        slot(T0.plusSeconds(600)));
    learned.put(prefix + "\u0000deadbeef:1", slot(T0.plusSeconds(600)));
    learned.put(AlertEvaluator.key("Removed", "s") + "\u0000abc:1", slot(T0.plusSeconds(600)));

    int forgotten =
        evaluator.forget(T0.plusSeconds(601), List.copyOf(learned.entrySet()), learned::remove);

    assertThat(forgotten).isEqualTo(3);
    assertThat(learned.keySet())
        .as("only the fresh entry of a current rule stays")
        .containsExactly(prefix + "\u0000" + predict.condition().learner().signature() + ":1");
    assertThat(ours)
        .startsWith(
            AlertEvaluator.key("PodMemoryFullIn1h", "c1/shop/checkout//worker-1/checkout-1"));
  }

  private static Learned.Slot slot(Instant at) {
    return new Learned.Slot(at.toEpochMilli(), at.toEpochMilli(), 1, 0, 1, 0, 0);
  }
}
