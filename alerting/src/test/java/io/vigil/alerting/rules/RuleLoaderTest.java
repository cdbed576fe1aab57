package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.model.config.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuleLoaderTest {
  private static final String VALID =
      """
      groups:
        - name: golden-signals
          rules:
            - alert: HighErrorRatio
              expr: errors.ratio > 0.05
              for: 30s
              labels: {severity: critical, team: payments}
              annotations:
                summary: "{{ $labels.service }} error ratio is {{ $value }}"
            - alert: SlowRequests
              expr: latency_ms.p99>=250
      """;

  @Test
  void parsesRulesWithDefaults() {
    List<AlertRule> rules = RuleLoader.parse(VALID, "rules.yaml");

    assertThat(rules).hasSize(2);
    AlertRule first = rules.get(0);
    assertThat(first.name()).isEqualTo("HighErrorRatio");
    assertThat(first.group()).isEqualTo("golden-signals");
    assertThat(first.forDuration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(first.labels())
        .containsExactlyInAnyOrderEntriesOf(Map.of("severity", "critical", "team", "payments"));
    assertThat(first.condition().field()).isEqualTo("errors.ratio");
    assertThat(first.condition().operator()).isEqualTo(Condition.Operator.GT);
    assertThat(first.condition().threshold()).isEqualTo(0.05);
    AlertRule second = rules.get(1);
    assertThat(second.forDuration()).isZero();
    assertThat(second.condition().field()).isEqualTo("latency_ms.p99");
    assertThat(second.condition().operator()).isEqualTo(Condition.Operator.GE);
  }

  @Test
  void unknownFieldNamesFileKeyAndValue() {
    String yaml =
        """
        groups:
          - name: g
            rules:
              - alert: A
                expr: errors.ratio > 0.05
              - alert: B
                expr: errors.ration > 0.05
        """;

    assertThatThrownBy(() -> RuleLoader.parse(yaml, "rules.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "rules.yaml: groups[0].rules[1].expr: unknown field 'errors.ration', known: ")
        .hasMessageContaining("errors.ratio, ")
        .hasMessageContaining("pipeline.failed, ")
        .hasMessageEndingWith(", was 'errors.ration > 0.05'");
  }

  @Test
  void rejectsSectionsThatAreNotNumbers() {
    assertThatThrownBy(() -> RuleLoader.parse(rule("expr: errors > 1"), "r.yaml"))
        .hasMessageContaining("r.yaml: groups[0].rules[0].expr: unknown field 'errors'");
  }

  @Test
  void rejectsBadSyntaxNamingTheKey() {
    assertThatThrownBy(() -> RuleLoader.parse(rule("expr: errors.ratio >> 1"), "r.yaml"))
        .hasMessageStartingWith(
            "r.yaml: groups[0].rules[0].expr: expected '<field>[{label matchers}] <op> <number>'")
        .hasMessageEndingWith("was 'errors.ratio >> 1'");
  }

  @Test
  void rejectsUnknownKeysAndBadDurations() {
    assertThatThrownBy(
            () -> RuleLoader.parse(rule("expr: errors.ratio > 1\n        fore: 1m"), "r.yaml"))
        .hasMessageStartingWith("r.yaml: groups[0].rules[0].fore: unknown key");
    assertThatThrownBy(
            () -> RuleLoader.parse(rule("expr: errors.ratio > 1\n        for: soon"), "r.yaml"))
        .hasMessageStartingWith("r.yaml: groups[0].rules[0].for: not a duration")
        .hasMessageEndingWith("was 'soon'");
  }

  @Test
  void rejectsMissingExprAndRecordingRules() {
    assertThatThrownBy(() -> RuleLoader.parse(rule("labels: {a: b}"), "r.yaml"))
        .hasMessageStartingWith("r.yaml: groups[0].rules[0].expr: is required");
    String recording =
        """
        groups:
          - name: g
            rules:
              - record: job:errors:rate5m
                expr: errors.ratio > 1
        """;
    assertThatThrownBy(() -> RuleLoader.parse(recording, "r.yaml"))
        .hasMessageContaining("groups[0].rules[0].record: recording rules are not supported");
  }

  @Test
  void rejectsDuplicateGroupsAndInvalidYaml() {
    String twice =
        """
        groups:
          - {name: g, rules: []}
          - {name: g, rules: []}
        """;
    assertThatThrownBy(() -> RuleLoader.parse(twice, "r.yaml"))
        .hasMessageStartingWith("r.yaml: groups[1].name: duplicate group name");
    assertThatThrownBy(() -> RuleLoader.parse("groups: [", "r.yaml"))
        .hasMessageStartingWith("r.yaml: not valid YAML");
  }

  private static String rule(String body) {
    return """
        groups:
          - name: g
            rules:
              - alert: A
                %s
        """
        .formatted(body);
  }
}
