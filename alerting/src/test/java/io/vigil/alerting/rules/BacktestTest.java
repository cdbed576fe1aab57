package io.vigil.alerting.rules;

import static io.vigil.alerting.rules.Signals.T0;
import static io.vigil.alerting.rules.Signals.errorRatio;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.vigil.model.alert.AlertTransition;
import io.vigil.model.alert.AlertTransition.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BacktestTest {
  private static AlertRule rule(String name, String expr, Duration forDuration) {
    return new AlertRule(
        name,
        "g",
        "rules.yaml",
        Condition.parse(expr),
        forDuration,
        Duration.ZERO,
        Map.of("severity", "warning"),
        Map.of());
  }

  @Test
  void tellsWhenEachRuleWouldHaveFiredAndResolvedWhateverOrderHistoryIsReadIn() {
    AlertEvaluator rules =
        new AlertEvaluator(
            List.of(
                rule("Errors", "errors.ratio > 0.05", Duration.ofSeconds(20)),
                rule("Silent", "absent_over_time(traffic.requests[1m])", Duration.ZERO)),
            "");
    List<Sample> history = new ArrayList<>();
    double[] ratios = {0.0, 0.2, 0.2, 0.2, 0.2, 0.0, 0.0};
    for (int i = 0; i < ratios.length; i++) {
      history.add(Samples.of(errorRatio("checkout", 10L * i, ratios[i])));
    }
    Collections.shuffle(history, new java.util.Random(7)); // partitions interleave

    Backtest.Result result = Backtest.run(rules, history, T0.plusSeconds(300));

    assertThat(result.samples()).isEqualTo(7);
    assertThat(result.transitions())
        .extracting(AlertTransition::rule, AlertTransition::state, AlertTransition::startsAt)
        .containsExactly(
            // held from the window ending at 20 s; 20 s later it fires
            tuple("Errors", State.FIRING, T0.plusSeconds(40)),
            tuple("Errors", State.RESOLVED, T0.plusSeconds(40)),
            // the last window ended at 70 s; a minute without data after it, to the second
            tuple("Silent", State.FIRING, T0.plusSeconds(130)));
    assertThat(result.transitions().get(1).endsAt()).isEqualTo(T0.plusSeconds(60));
    assertThat(result.firingAtEnd())
        .extracting(a -> a.labels().get("alertname"))
        .containsExactly("Silent");
  }

  @Test
  void replaysLogLinesAndResolvesWhenTheirCountAgesOut() {
    AlertEvaluator rules =
        new AlertEvaluator(
            List.of(
                rule(
                    "Oom",
                    "count_over_time({service=\"checkout\"} |= \"OutOfMemoryError\" [1m]) > 1",
                    Duration.ZERO)),
            "");
    Map<String, String> checkout = Map.of("cluster", "c1", "service", "checkout");
    List<LogLine> lines =
        new ArrayList<>(
            List.of(
                new LogLine(checkout, "java.lang.OutOfMemoryError", T0.plusSeconds(10)),
                new LogLine(checkout, "GET /cart", T0.plusSeconds(15)),
                new LogLine(checkout, "java.lang.OutOfMemoryError again", T0.plusSeconds(20)),
                new LogLine(
                    Map.of("service", "cart"), "java.lang.OutOfMemoryError", T0.plusSeconds(20))));
    Collections.shuffle(lines, new java.util.Random(7));

    Backtest.Result result =
        Backtest.run(
            rules, List.of(Samples.of(errorRatio("checkout", 0, 0.0))), lines, T0.plusSeconds(300));

    assertThat(result.samples()).isEqualTo(5);
    assertThat(result.transitions())
        .extracting(AlertTransition::state, AlertTransition::value)
        .containsExactly(tuple(State.FIRING, 2.0), tuple(State.RESOLVED, 1.0));
    assertThat(result.transitions().get(0).startsAt()).isEqualTo(T0.plusSeconds(20));
    assertThat(result.transitions().get(0).labels())
        .containsEntry("service", "checkout")
        .containsEntry("cluster", "c1");
    // the line at 10 s counts in its 1 s slot until 71 s
    assertThat(result.transitions().get(1).endsAt()).isEqualTo(T0.plusSeconds(71));
    assertThat(result.firingAtEnd()).isEmpty();
  }
}
