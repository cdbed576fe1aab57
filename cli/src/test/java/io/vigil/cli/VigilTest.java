package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VigilTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream originalOut;
  private PrintStream originalErr;

  @BeforeEach
  void captureOutput() {
    originalOut = System.out;
    originalErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreOutput() {
    System.setOut(originalOut);
    System.setErr(originalErr);
  }

  @Test
  void listsTheCommandsInHelp() {
    assertThat(Vigil.execute("--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("collector", "processor", "alerting", "rules")
        .doesNotContain("demo", "standalone");
  }

  @Test
  void printsItsVersion() {
    assertThat(Vigil.execute("--version")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("vigil ");
  }

  @Test
  void exitsWith2OnAnUnknownCommand() {
    assertThat(Vigil.execute("frobnicate")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("frobnicate");
  }

  @Test
  void exitsWith2AndNamesTheMissingConfigFile(@TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");

    assertThat(Vigil.execute("collector", "--config", missing.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--config").contains("nope.yaml");
  }

  @Test
  void exitsWith2AndNamesAnUnknownKey(@TempDir Path dir) throws Exception {
    Path config = Files.writeString(dir.resolve("c.yaml"), "collector:\n  otlpp: {}\n");

    assertThat(Vigil.execute("collector", "--config", config.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("collector.otlpp: unknown key");
  }

  @Test
  void exitsWith2WhenAKafkaSettingWouldWeakenAGuarantee(@TempDir Path dir) throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("p.yaml"),
            "processor:\n  kafka:\n    streams: {processing.guarantee: at_least_once}\n");

    assertThat(Vigil.execute("processor", "--config", config.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("kafka.streams.processing.guarantee: Vigil sets this itself: exactly_once_v2")
        .contains("was 'at_least_once'");
  }

  @Test
  void anEmptyOrSectionlessConfigFileIsAnError(@TempDir Path dir) throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.yaml"), "");
    Path misspelt = Files.writeString(dir.resolve("misspelt.yaml"), "colector:\n  otlp: {}\n");

    assertThat(Vigil.execute("collector", "--config", empty.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("collector: section is required (write 'collector: {}' for every default)");
    assertThat(Vigil.execute("processor", "--config", empty.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("processor: section is required");
    err.reset();
    assertThat(Vigil.execute("collector", "--config", misspelt.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("collector: section is required");
  }

  @Test
  void exitsWith2AndNamesAnInvalidValue(@TempDir Path dir) throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("c.yaml"), "collector:\n  otlp:\n    http:\n      port: 70000\n");

    assertThat(Vigil.execute("collector", "--config", config.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("port").contains("70000");
  }

  @Test
  void theServicesJarSaysWhereDemoAndStandaloneAre() {
    assertThat(Vigil.execute("demo", "--duration", "50s")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("'demo' needs the embedded servers")
        .contains("vigil-local.jar");
    assertThat(Vigil.execute("standalone", "--config", "x.yaml")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("'standalone' needs");
  }

  @Test
  void checksRuleAndRoutingFiles(@TempDir Path dir) throws Exception {
    Path rules =
        Files.writeString(
            dir.resolve("rules.yaml"),
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: errors.ratio > 0.05\n");
    Path routing =
        Files.writeString(
            dir.resolve("alertmanager.yml"),
            "route: {receiver: r}\nreceivers:\n- name: r\n"
                + "  slack_configs: [{api_url: 'http://127.0.0.1:1/x'}]\n");

    assertThat(Vigil.execute("rules", "check", rules.toString(), routing.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("rules.yaml: OK, 1 rule")
        .contains("alertmanager.yml: OK, Alertmanager configuration with 1 receiver");
  }

  @Test
  void failsARuleCheckNamingFileAndKey(@TempDir Path dir) throws Exception {
    Path rules =
        Files.writeString(
            dir.resolve("rules.yaml"),
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: errors.ration > 0.05\n");
    Path other = Files.writeString(dir.resolve("other.yaml"), "foo: 1\n");

    assertThat(Vigil.execute("rules", "check", rules.toString(), other.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("FAILED: " + rules + ": groups[0]")
        .contains("groups[0].rules[0].expr")
        .contains("errors.ration")
        .contains("FAILED: " + other + ": neither a rule file");
  }

  @Test
  void backtestNamesTheOptionThatIsWrong() {
    Path rules = Path.of("..", "config", "rules", "golden-signals.yaml");

    assertThat(
            Vigil.execute("rules", "backtest", "--rules", rules.toString(), "--from", "yesterday"))
        .isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "--from: expected RFC 3339 (2026-12-01T08:00:00Z), now or now-<duration>,"
                + " was 'yesterday'");
  }

  @Test
  void runsTheShippedRuleTests() {
    Path tests = Path.of("..", "config", "rules", "tests", "examples.test.yaml");

    assertThat(Vigil.execute("rules", "test", tests.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("examples.test.yaml: SUCCESS, 6 tests");
  }

  @Test
  void aFailingRuleTestExitsOneAndSaysWhatFired(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("rules.yaml"),
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: errors.ratio > 0.05\n");
    Path tests =
        Files.writeString(
            dir.resolve("a.test.yaml"),
            "rule_files: [rules.yaml]\ntests:\n- input_series:\n  - series: 'errors.ratio{s=\"x\"}'\n"
                + "    values: '1'\n  alert_rule_test:\n  - eval_time: 0s\n    alertname: A\n"
                + "    exp_alerts: []\n");

    assertThat(Vigil.execute("rules", "test", tests.toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "FAILED: " + tests + ": test 1, eval_time 0s, A: expected firing [], got [{s=x}]");
  }
}
