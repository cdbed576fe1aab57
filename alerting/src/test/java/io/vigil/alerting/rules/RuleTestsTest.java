package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.model.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuleTestsTest {
  @TempDir Path dir;

  private Path write(String rules, String tests) throws Exception {
    Files.writeString(dir.resolve("rules.yaml"), rules);
    return Files.writeString(dir.resolve("rules.test.yaml"), tests);
  }

  private static final String RULES =
      """
      groups:
        - name: g
          rules:
            - alert: HighErrorRatio
              expr: errors.ratio > 0.05
              labels: {severity: critical}
              annotations: {summary: "{{ $labels.service }} at {{ $value }}"}
            - alert: Silent
              expr: absent_over_time(traffic.requests{service="cart"}[2m])
      """;

  @Test
  void passesWhenTheExpectedAlertsFire() throws Exception {
    Path file =
        write(
            RULES,
            """
            rule_files: [rules.yaml]
            tests:
              - interval: 1m
                input_series:
                  - series: 'errors.ratio{service="checkout"}'
                    values: '0 0.5 0'
                  - series: 'traffic.requests{service="cart"}'
                    values: '10 10'
                alert_rule_test:
                  - eval_time: 1m
                    alertname: HighErrorRatio
                    exp_alerts:
                      - exp_labels: {service: checkout, severity: critical}
                        exp_annotations: {summary: checkout at 0.5}
                  - eval_time: 2m
                    alertname: HighErrorRatio
                    exp_alerts: []
                  - eval_time: 4m
                    alertname: Silent
                    exp_alerts:
                      - exp_labels: {service: cart}
            """);

    RuleTests.Result result = RuleTests.run(file);

    assertThat(result.tests()).isEqualTo(1);
    assertThat(result.failures()).isEmpty();
  }

  @Test
  void reportsWhatFiredInsteadOfWhatWasExpected() throws Exception {
    Path file =
        write(
            RULES,
            """
            rule_files: [rules.yaml]
            tests:
              - name: wrong
                interval: 10s
                input_series:
                  - series: 'errors.ratio{service="checkout"}'
                    values: '0.5'
                alert_rule_test:
                  - eval_time: 0s
                    alertname: HighErrorRatio
                    exp_alerts:
                      - exp_labels: {service: cart, severity: critical}
                  - eval_time: 0s
                    alertname: HighErrorRatio
                    exp_alerts:
                      - exp_labels: {service: checkout, severity: critical}
                        exp_annotations: {summary: nope}
            """);

    RuleTests.Result result = RuleTests.run(file);

    assertThat(result.failures())
        .extracting(RuleTests.Failure::message)
        .containsExactly(
            "wrong, eval_time 0s, HighErrorRatio: expected firing [{service=cart,"
                + " severity=critical}], got [{service=checkout, severity=critical}]",
            "wrong, eval_time 0s, HighErrorRatio {service=checkout, severity=critical}: expected"
                + " annotations {summary=nope}, got {summary=checkout at 0.5}");
  }

  @Test
  void badInputNamesFileAndKey() throws Exception {
    Path file =
        write(
            RULES,
            """
            rule_files: [rules.yaml]
            tests:
              - input_series:
                  - series: 'errors.ratio{service=~"x"}'
                    values: '1'
            """);

    assertThatThrownBy(() -> RuleTests.run(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("tests[0].input_series[0].series")
        .hasMessageContaining("label=\"value\"");
  }

  @Test
  void expandsPromtoolValueNotation() {
    assertThat(RuleTests.expand("1 2 _ 3+1x2 5x1 10-2x2 _x2"))
        .isEqualTo(
            Arrays.asList(1.0, 2.0, null, 3.0, 4.0, 5.0, 5.0, 5.0, 10.0, 8.0, 6.0, null, null));
    assertThatThrownBy(() -> RuleTests.expand("1 two")).hasMessageContaining("bad value 'two'");
  }

  @Test
  void logLinesAreInputAndABadStreamNamesTheFileAndKey() throws Exception {
    String rules =
        """
        groups:
          - name: logs
            rules:
              - alert: Oom
                expr: 'count_over_time({service="checkout"} |= "OutOfMemoryError" [1m]) > 1'
                annotations: {summary: "{{ $value }}: {{ $line }}"}
        """;
    Path file =
        write(
            rules,
            """
            rule_files: [rules.yaml]
            tests:
              - input_logs:
                  - stream: '{service="checkout",pod="p1"}'
                    lines:
                      - {at: 5s, message: "java.lang.OutOfMemoryError", times: 2}
                alert_rule_test:
                  - eval_time: 5s
                    alertname: Oom
                    exp_alerts:
                      - exp_labels: {service: checkout}
                        exp_annotations: {summary: "2: java.lang.OutOfMemoryError"}
                  - eval_time: 1m6s
                    alertname: Oom
                    exp_alerts: []
            """);

    RuleTests.Result result = RuleTests.run(file);

    assertThat(result.failures()).isEmpty();
    Path bad =
        write(
            rules,
            """
            rule_files: [rules.yaml]
            tests:
              - input_logs:
                  - stream: '{service="checkout",severity_text="ERROR"}'
                    lines: [{at: 0s, message: x}]
            """);
    assertThatThrownBy(() -> RuleTests.run(bad))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "rules.test.yaml: tests[0].input_logs[0].stream: unknown log label"
                + " 'severity_text', known: cluster, container, host, level, namespace, node, pod,"
                + " service");
  }
}
