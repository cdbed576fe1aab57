package io.vigil.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.embedded.elasticsearch.ElasticsearchLauncher;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code vigil demo}, the main job, run as a user runs it (shortened), from the packaged jar: it
 * must exit 0 and show the incident reaching Slack and email, with counts read back from
 * Elasticsearch. The Elasticsearch is the test's (through {@code ELASTICSEARCH_URL}, as a user
 * points the demo at their own), so that afterwards every query of the shipped Grafana dashboards
 * runs against what the demo indexed.
 */
class DemoIT {
  private static final Path JAR = Path.of("target", "vigil-local.jar");

  /**
   * Panels whose data the demo does not leave behind: no run is aborted, no data point comes late,
   * every alert has resolved when it ends (the current-state panels show firing ones), and run 5 is
   * reported overdue only after a 50 s demo (its alert is in the history panels).
   */
  private static final Set<String> NOT_FED_BY_THE_DEMO =
      Set.of(
          "Aborted runs",
          "Late supplements",
          "Alerts firing now",
          "Firing by severity",
          "Firing alerts",
          "Overdue runs",
          // The demo runs no pods: its one saturation series is the machine, a node.
          "Saturation: CPU per service (busiest pod)",
          "Saturation: memory per service (busiest pod)");

  @Test
  void demoDetectsTheIncidentAndReportsIt() throws Exception {
    Path workDir = Path.of("target", "demo-it");
    Path log = Files.createDirectories(Path.of("target")).resolve("demo-it.out");
    try (EmbeddedElasticsearch elasticsearch = ElasticsearchLauncher.start(System.getenv())) {
      ProcessBuilder demo =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-jar",
                  JAR.toString(),
                  "demo",
                  "--duration",
                  "50s",
                  "--work-dir",
                  workDir.toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      demo.environment().put(ElasticsearchLauncher.ENV_URL, elasticsearch.url());
      Process process = demo.start();
      boolean ended;
      try {
        ended = process.waitFor(5, TimeUnit.MINUTES);
      } finally {
        process.destroyForcibly(); // by its handle (PID); a no-op once it ended
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      System.out.println(output);

      assertThat(ended).as("the demo ended within 5 minutes").isTrue();
      assertThat(process.exitValue()).isZero();
      assertThat(output)
          .contains("Slack  <- [FIRING:1] HighErrorRatio checkout")
          .contains("Email  <- to oncall@shop.example: \"[FIRING:1] HighErrorRatio")
          .contains("The incident was detected and reached Slack and email.")
          .contains("silence                       PipelineOverdue muted for 1 h")
          .containsPattern("silences \\(alerting API\\) +1 active")
          .contains("alertname=\"PipelineOverdue\" by vigil demo: run 5 is a known long backfill")
          .containsPattern(
              "metrics-vigil\\.signals-default +[1-9][0-9,]* documents \\([1-9][0-9,]* of them"
                  + " the CPU and memory of host .*, [1-9][0-9,]* the services' log volume\\)")
          .containsPattern("vigil-alerts \\(current state\\) +[1-9][0-9,]* documents")
          .containsPattern(
              "logs-vigil\\.app-default +[1-9][0-9,]* documents \\(level error: [1-9][0-9,]*;")
          .doesNotContain("HighErrorRatio catalog");
      assertThat(workDir.resolve("vigil.yaml")).exists();
      assertThat(Files.readString(workDir.resolve("rules.yaml"))).contains("HighErrorRatio");

      dashboardsShowTheDemo(elasticsearch.url());
    }
  }

  /**
   * Every Elasticsearch query of the shipped Grafana dashboards (variables at "All") is accepted by
   * Elasticsearch, and every panel but those of data the demo does not make returns documents.
   */
  private static void dashboardsShowTheDemo(String url) {
    HttpClient http = HttpClient.newHttpClient();
    List<DashboardQueries.Query> queries = DashboardQueries.all();
    Map<DashboardQueries.Query, Long> counts = new LinkedHashMap<>();
    for (DashboardQueries.Query q : queries) {
      counts.put(q, DashboardQueries.count(http, url, q));
    }
    counts.forEach((q, n) -> System.out.println("dashboard query " + n + " ← " + q));
    assertThat(queries).hasSizeGreaterThan(30);
    assertThat(queries)
        .filteredOn(q -> !NOT_FED_BY_THE_DEMO.contains(q.panel()))
        .allSatisfy(q -> assertThat(counts.get(q)).as(q.toString()).isPositive());
  }
}
