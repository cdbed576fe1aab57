package io.vigil.local;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@code vigil demo}, the main job, run as a user runs it (shortened): it must exit 0 and show the
 * incident reaching Slack and email, with counts read back from Elasticsearch.
 */
class DemoIT {

  @Test
  void demoDetectsTheIncidentAndReportsIt() throws Exception {
    Path workDir = Path.of("target", "demo-it");
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      exit = VigilLocal.execute("demo", "--duration", "50s", "--work-dir", workDir.toString());
    } finally {
      System.setOut(original);
      restoreTestLogging();
    }
    String output = captured.toString(StandardCharsets.UTF_8);
    original.println(output);

    assertThat(exit).isZero();
    assertThat(output)
        .contains("Slack  <- [FIRING:1] HighErrorRatio checkout")
        .contains("Email  <- to oncall@shop.example: \"[FIRING:1] HighErrorRatio")
        .contains("The incident was detected and reached Slack and email.")
        .contains("silence                       PipelineOverdue muted for 1 h")
        .containsPattern("silences \\(alerting API\\) +1 active")
        .contains("alertname=\"PipelineOverdue\" by vigil demo: run 5 is a known long backfill")
        .containsPattern("metrics-vigil\\.signals-default +[1-9][0-9,]* documents")
        .containsPattern("vigil-alerts \\(current state\\) +[1-9][0-9,]* documents")
        .containsPattern(
            "logs-vigil\\.app-default +[1-9][0-9,]* documents \\(level error: [1-9][0-9,]*;")
        .doesNotContain("HighErrorRatio catalog");
    assertThat(workDir.resolve("vigil.yaml")).exists();
    assertThat(Files.readString(workDir.resolve("rules.yaml"))).contains("HighErrorRatio");
  }

  /** The demo sends logs to its work folder; later tests in this JVM log as configured again. */
  private static void restoreTestLogging() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    new ContextInitializer(context).autoConfig();
  }
}
