package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Which raw {@code vigil.logs} records the log-pattern rules skip without parsing: only those that
 * cannot contain what every rule requires.
 */
class LogRulesPrefilterTest {
  private static LogRules rules(String... exprs) {
    StringBuilder yaml = new StringBuilder("groups:\n  - name: g\n    rules:\n");
    for (int i = 0; i < exprs.length; i++) {
      yaml.append("      - alert: R")
          .append(i)
          .append("\n        expr: '")
          .append(exprs[i].replace("'", "''"))
          .append("'\n");
    }
    return new AlertEvaluator(RuleLoader.parse(yaml.toString(), "rules.yaml"), "http://vigil")
        .logRules();
  }

  private static byte[] record(String message) {
    return ("{\"@timestamp\":\"2026-12-03T05:00:00Z\",\"message\":\""
            + message
            + "\",\"service\":{\"name\":\"checkout\"}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aRecordWithoutAnyRulesRequiredTextIsSkipped() {
    LogRules rules =
        rules(
            "count_over_time({service=\"checkout\"} |= \"OutOfMemoryError\" [5m]) > 0",
            "count_over_time({service=\"checkout\"} |= \"refused\" |= \"Connection refused\" [1m]) > 3");

    assertThat(rules.mayMatch(record("java.lang.OutOfMemoryError: heap"))).isTrue();
    assertThat(rules.mayMatch(record("dial tcp: Connection refused"))).isTrue();
    assertThat(rules.mayMatch(record("GET /healthz 200"))).isFalse();
    assertThat(rules.mayMatch("{not json".getBytes(StandardCharsets.UTF_8)))
        .as("cannot match, so not parsed (and not dead-lettered)")
        .isFalse();
  }

  @Test
  void everyLineIsReadWhenARuleHasNoPlainText() {
    assertThat(
            rules(
                    "count_over_time({service=\"checkout\"} |= \"OutOfMemoryError\" [5m]) > 0",
                    "count_over_time({level=\"error\"} |~ \"time(d)? out\" [1m]) > 3")
                .mayMatch(record("GET /healthz 200")))
        .as("a regex-only rule")
        .isTrue();
    assertThat(
            rules("count_over_time({service=\"checkout\"} |= \"say \\\"hi\\\"\" [5m]) > 0")
                .mayMatch(record("nothing")))
        .as("a text with a quote, which JSON escapes")
        .isTrue();
    assertThat(
            rules("count_over_time({service=\"checkout\"} |= \"Zürich\" [5m]) > 0")
                .mayMatch(record("nothing")))
        .as("non-ASCII text, which a JSON writer may escape")
        .isTrue();
    assertThat(
            rules("count_over_time({service=\"checkout\"} != \"debug\" [5m]) > 0")
                .mayMatch(record("debug")))
        .as("only negative filters")
        .isTrue();
  }
}
