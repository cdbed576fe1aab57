package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.route.Matcher;
import io.vigil.alerting.rules.Condition;
import io.vigil.alerting.rules.RuleLoader;
import io.vigil.embedded.fuzz.Damage;
import io.vigil.model.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The alert engine's parsers under hostile input: the real fixtures truncated, bit-flipped and
 * spliced with random text. The property: a documented rejection (the exception each parser
 * declares, with a message) or a parse — never another exception, never a hang.
 */
class HostileInputFuzzTest {
  private static final List<String> ROUTING =
      List.of(
          "/fixtures/alertmanager/valid/simple.yml",
          "/fixtures/alertmanager/valid/ha-webhook-alertmanager.yml",
          "/fixtures/alertmanager/valid/conf.group-by-all.yml");
  private static final List<String> RULES =
      List.of(
          "/fixtures/rules/golden-signals.yaml",
          "/fixtures/rules/pipelines.yaml",
          "/fixtures/rules/anomaly.yaml");
  private static final String POSTED =
      "/fixtures/alertmanager/api-v2-postable-alerts.from-examples-ha-send_alerts.json";

  private static byte[] resource(String name) {
    try (InputStream in = HostileInputFuzzTest.class.getResourceAsStream(name)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException(name, e);
    }
  }

  @Provide
  Arbitrary<String> splices() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(12),
        Arbitraries.of(
            "{",
            "}",
            "[",
            "]",
            ":",
            "- ",
            "\"",
            "'",
            "\n  ",
            "${X}",
            "=~",
            "(",
            "*",
            "&a",
            "!!x",
            "\t",
            "\u0000",
            "1e999",
            "-1",
            "null",
            "[[[[[[[[",
            "{{ $value }}",
            "..."));
  }

  @Property(tries = 400)
  void alertmanagerFilesParseOrAreRejectedWithTheKey(
      @ForAll @IntRange(min = 0, max = 2) int file,
      @ForAll Damage how,
      @ForAll int where,
      @ForAll("splices") String inserted) {
    String yaml =
        new String(how.apply(resource(ROUTING.get(file)), where, inserted), StandardCharsets.UTF_8);
    try {
      AlertmanagerConfig.parse(yaml, "alertmanager.yml");
    } catch (ConfigException e) {
      assertThat(e.getMessage()).startsWith("alertmanager.yml");
    }
  }

  @Property(tries = 400)
  void ruleFilesParseOrAreRejectedWithTheKey(
      @ForAll @IntRange(min = 0, max = 2) int file,
      @ForAll Damage how,
      @ForAll int where,
      @ForAll("splices") String inserted) {
    String yaml =
        new String(how.apply(resource(RULES.get(file)), where, inserted), StandardCharsets.UTF_8);
    try {
      RuleLoader.parse(yaml, "rules.yaml");
    } catch (ConfigException e) {
      assertThat(e.getMessage()).startsWith("rules.yaml");
    }
  }

  @Property(tries = 400)
  void postedAlertsParseOrAreRejectedWithAMessage(
      @ForAll Damage how, @ForAll int where, @ForAll("splices") String inserted) {
    byte[] body = how.apply(resource(POSTED), where, inserted);
    try {
      PostedAlerts.parse(body, Instant.parse("2026-12-02T10:00:00Z"), Duration.ofMinutes(5));
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  @Property(tries = 1000)
  void conditionsAndMatchersParseOrAreRejected(@ForAll("expressions") String text) {
    try {
      Condition.parse(text);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
    try {
      Matcher.parseAll(text);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  @Provide
  Arbitrary<String> expressions() {
    Arbitrary<String> pieces =
        Arbitraries.of(
            "errors.ratio",
            "pipeline.failed",
            "absent_over_time(",
            "predict_linear(",
            "anomaly(",
            "abs(",
            ", season=",
            "1w",
            ", min_dev=",
            ", tz=",
            "Europe/Berlin",
            ", 4h",
            "=",
            ")",
            "[5m]",
            "[",
            "]",
            "{",
            "}",
            "service",
            "=",
            "!=",
            "=~",
            "!~",
            "\"",
            "checkout",
            "(a+)+",
            ",",
            ">",
            ">=",
            "0.05",
            "1e3",
            " ",
            "\\",
            "job",
            ".*",
            "x");
    return pieces.list().ofMaxSize(12).map(list -> String.join("", list));
  }

  /** Seeds that once broke a parser stay here as examples. */
  @Example
  void anAbsenceWithoutItsClosingParenthesisIsASyntaxError() {
    try {
      Condition.parse("absent_over_time(errors.ratio[5m]");
      throw new AssertionError("accepted");
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).contains("expected");
    }
  }
}
