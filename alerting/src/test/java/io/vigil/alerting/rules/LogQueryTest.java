package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.alerting.route.Matcher;
import io.vigil.model.config.ConfigException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code count_over_time(…)} as rule files write it, good and bad, and what it matches. */
class LogQueryTest {
  private static final Instant T = Instant.parse("2026-12-03T05:00:00Z");

  private static LogLine line(String message, String... labels) {
    Map<String, String> map = new java.util.TreeMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      map.put(labels[i], labels[i + 1]);
    }
    return new LogLine(map, message, T);
  }

  @Test
  void readsLokisCountOverTime() {
    Condition c =
        Condition.parse(
            "count_over_time({service=\"checkout\", level=~\"error|fatal\"}"
                + " |~ \"OutOfMemoryError|Connection refused\" [5m]) > 3");

    assertThat(c.isLogCount()).isTrue();
    assertThat(c.source()).isEqualTo(Sample.Source.LOGS);
    assertThat(c.operator()).isEqualTo(Condition.Operator.GT);
    assertThat(c.threshold()).isEqualTo(3.0);
    LogQuery q = c.logQuery();
    assertThat(q.range()).isEqualTo(Duration.ofMinutes(5));
    assertThat(q.matchers()).extracting(Matcher::name).containsExactly("service", "level");
    assertThat(q.filters()).extracting(LogQuery.LineFilter::op).containsExactly("|~");
    assertThat(c.toString()).startsWith("count_over_time({service=");
  }

  @Test
  void matchesLabelsThenEveryLineFilter() {
    LogQuery q =
        Condition.parse(
                "count_over_time({service=\"checkout\", level=~\"error|fatal\"} |= \"pay\""
                    + " != \"retrying\" |~ `Connection (refused|reset)` !~ \"(?i)healthz\" [1m])"
                    + " >= 1")
            .logQuery();

    assertThat(q.matches(line("pay: Connection refused", "service", "checkout", "level", "error")))
        .isTrue();
    assertThat(q.matches(line("pay: Connection reset", "service", "checkout", "level", "fatal")))
        .isTrue();
    assertThat(q.matches(line("pay: Connection refused", "service", "checkout", "level", "warn")))
        .as("level not selected")
        .isFalse();
    assertThat(q.matches(line("pay: Connection refused", "service", "cart", "level", "error")))
        .isFalse();
    assertThat(
            q.matches(
                line("pay: Connection refused, retrying", "service", "checkout", "level", "error")))
        .as("!= excludes")
        .isFalse();
    assertThat(q.matches(line("Connection refused", "service", "checkout", "level", "error")))
        .as("|= requires")
        .isFalse();
    assertThat(
            q.matches(
                line("pay /HEALTHZ: Connection refused", "service", "checkout", "level", "error")))
        .as("!~ excludes, case-insensitive here")
        .isFalse();
  }

  @Test
  void countsPerServiceAndTheLabelsMatchedWithEquals() {
    LogQuery q =
        Condition.parse(
                "count_over_time({container=\"app\", level=~\"error|fatal\"} |= \"oom\" [5m]) > 0")
            .logQuery();

    assertThat(
            q.seriesLabels(
                Map.of(
                    "cluster",
                    "c1",
                    "namespace",
                    "shop",
                    "service",
                    "checkout",
                    "level",
                    "error",
                    "pod",
                    "checkout-1",
                    "container",
                    "app")))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "cluster", "c1", "namespace", "shop", "service", "checkout", "container", "app"));
  }

  @Test
  void readsGoEscapesAndRawStrings() {
    LogQuery q =
        Condition.parse(
                "count_over_time({service=\"a\"} |= \"say \\\"hi\\\"\" |~ `\\d+ ms` [10s]) > 0")
            .logQuery();

    assertThat(q.filters())
        .extracting(LogQuery.LineFilter::text)
        .containsExactly("say \"hi\"", "\\d+ ms");
    assertThat(q.matches(line("they say \"hi\" in 12 ms", "service", "a"))).isTrue();
    assertThat(
            Condition.parse("count_over_time({service=\"a\"} |~ \"a\\\\(b\\\\)\" [1m]) > 0")
                .logQuery()
                .matches(line("x a(b) y", "service", "a")))
        .as("\\\\( in double quotes is a regex escape")
        .isTrue();
  }

  @Test
  void badExpressionsSayWhatIsWrong() {
    assertRejected(
        "count_over_time({service=\"a\"} |~ \"(oom\" [5m]) > 0",
        "count_over_time: bad regex in |~ \"(oom\": missing closing )");
    assertRejected(
        "count_over_time({service=\"a\"} |~ \"a(?=b)\" [5m]) > 0",
        "count_over_time: bad regex in |~ \"a(?=b)\"");
    assertRejected(
        "count_over_time({service=\"a\"} |~ \"\\d+\" [5m]) > 0",
        "count_over_time: unknown escape '\\d' in a line filter: write \\\\d for a regex escape,"
            + " or put the regex in `backquotes`");
    assertRejected(
        "count_over_time({level=~\"err(\"} [5m]) > 0",
        "count_over_time: invalid regular expression 'err(': missing closing )");
    assertRejected(
        "count_over_time({severity_text=\"ERROR\"} [5m]) > 0",
        "count_over_time: unknown log label 'severity_text', known: cluster, container, host,"
            + " level, namespace, node, pod, service");
    assertRejected(
        "count_over_time({pod=~\".*\"} |= \"oom\" [5m]) > 0",
        "count_over_time: the stream selector needs at least one matcher that does not match the"
            + " empty string");
    assertRejected("count_over_time({} |= \"oom\" [5m]) > 0", "needs at least one matcher");
    assertRejected(
        "count_over_time(logs{service=\"a\"} [5m]) > 0",
        "count_over_time: expected a log stream selector in braces, e.g. 'count_over_time(");
    assertRejected(
        "count_over_time({service=\"a\"} |= \"oom\") > 0",
        "count_over_time: expected the range after the selector, e.g. [5m]");
    assertRejected(
        "count_over_time({service=\"a\"} | \"oom\" [5m]) > 0",
        "count_over_time: expected a line filter (|= != |~ !~ and a quoted string) or the range"
            + " [5m], at '| \"oom\" [5m]'");
    assertRejected(
        "count_over_time({service=\"a\"} |= oom [5m]) > 0",
        "count_over_time: a line filter takes a string in double quotes or backquotes, at 'oom");
    assertRejected("count_over_time({service=\"a\"} |= \"oom [5m]) > 0", "expected ')' to close");
    assertRejected(
        "count_over_time({service=\"a\"} |= \"oom\" [5x]) > 0",
        "count_over_time: bad range '5x', expected e.g. [5m]");
    assertRejected(
        "count_over_time({service=\"a\"} [30d]) > 0",
        "count_over_time: the range must be from 1s to 7d, was [30d]");
    assertRejected(
        "count_over_time({service=\"a\"} [5m] |= \"oom\") > 0",
        "count_over_time: unexpected '|= \"oom\"' after the range; the range comes last");
    assertRejected(
        "count_over_time({service=\"a\"} |= \"oom\" [5m])",
        "count_over_time(…) must be compared with a number");
    assertRejected(
        "count_over_time({service=\"a\" [5m]) > 0",
        "count_over_time: unclosed '{' in the stream selector");
    assertRejected(
        "absent_over_time(count_over_time({service=\"a\"} [5m])[5m])",
        "absent_over_time takes a field and its label matchers");
  }

  @Test
  void aBadRegexInARuleFileNamesTheFileTheRuleAndTheRegex() {
    String yaml =
        """
        groups:
          - name: log-patterns
            rules:
              - alert: Fine
                expr: 'count_over_time({service="a"} |= "x" [5m]) > 0'
              - alert: OomInLogs
                expr: 'count_over_time({service="checkout"} |~ "OutOfMemory(Error" [5m]) > 3'
        """;

    assertThatThrownBy(() -> RuleLoader.parse(yaml, "logs.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "logs.yaml: groups[0].rules[1].expr: count_over_time: bad regex in |~"
                + " \"OutOfMemory(Error\": missing closing ), in alert OomInLogs, was"
                + " 'count_over_time(");
  }

  private static void assertRejected(String expr, String message) {
    assertThatThrownBy(() -> Condition.parse(expr))
        .as(expr)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
