package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The index hands a sample every rule that may select it, in file order, and only those. */
class RuleIndexTest {
  private static final List<AlertRule> RULES =
      RuleLoader.parse(
          """
          groups:
            - name: g
              rules:
                - {alert: A, expr: 'errors.ratio > 0.05'}
                - {alert: B, expr: 'errors.ratio{service="checkout"} > 0.1'}
                - {alert: C, expr: 'latency_ms.p99{service="cart", namespace="shop"} > 900'}
                - {alert: D, expr: 'errors.ratio{service=~"check.*"} > 0.2'}
                - {alert: E, expr: 'errors.ratio{service!="cart"} > 0.3'}
                - {alert: F, expr: 'errors.ratio{service="checkout", operation!=""} > 0.4'}
                - {alert: G, expr: 'errors.ratio{namespace="shop"} > 0.5'}
                - {alert: H, expr: 'pipeline.failed{job="nightly"} > 0'}
          """,
          "rules.yaml");

  private static List<String> candidates(Sample sample) {
    return new RuleIndex(RULES).candidates(sample).stream().map(AlertRule::name).toList();
  }

  private static Sample signal(Map<String, String> labels) {
    return new Sample(Sample.Source.SIGNALS, labels.toString(), labels, Map.of(), Instant.EPOCH);
  }

  @Test
  void handsOverTheRulesForEverySeriesAndThoseForTheSamplesOwnLabelValuesInFileOrder() {
    assertThat(candidates(signal(Map.of("service", "checkout", "namespace", "shop"))))
        .containsExactly("A", "B", "D", "E", "F", "G");
    assertThat(candidates(signal(Map.of("service", "cart", "namespace", "shop"))))
        .containsExactly("A", "C", "D", "E", "G");
    assertThat(candidates(signal(Map.of("service", "search"))))
        .as("no namespace label: the rules that need one are left out")
        .containsExactly("A", "D", "E");
  }

  @Test
  void leavesOutNoRuleThatSelectsTheSample() {
    for (Map<String, String> labels :
        List.of(
            Map.of("service", "checkout", "namespace", "shop"),
            Map.of("service", "checkout", "operation", "GET /pay", "namespace", "shop"),
            Map.of("service", "cart", "namespace", "shop"),
            Map.of("service", "cart"),
            Map.<String, String>of())) {
      Sample sample = signal(labels);
      List<String> selecting =
          RULES.stream().filter(r -> r.condition().selects(sample)).map(AlertRule::name).toList();
      assertThat(candidates(sample)).as("%s", labels).containsAll(selecting);
    }
  }
}
