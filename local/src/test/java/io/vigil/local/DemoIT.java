package io.vigil.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.embedded.elasticsearch.ElasticsearchLauncher;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code vigil demo}, the main job, run as a user runs it (shortened), from the packaged jar: it
 * must exit 0 and show the incident reaching Slack and email, with counts read back from
 * Elasticsearch. The Elasticsearch is the test's (through {@code ELASTICSEARCH_URL}, as a user
 * points the demo at their own), so that afterwards every query of the shipped Grafana dashboards
 * runs against what the demo indexed; where {@code prometheus} is installed, a real Prometheus
 * scrapes the demo's services as docker-compose's does, and every Prometheus panel query runs
 * against it. One demo run serves the three tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoIT {
  private static final Path JAR = Path.of("target", "vigil-local.jar");

  /**
   * Panels whose data the demo does not leave behind: no run is aborted, no data point comes late,
   * every alert has resolved when it ends (the current-state panels show firing ones), and run 5 is
   * reported overdue only after a 50 s demo (its alert is in the history panels); that overdue
   * record is also the demo's only run over its SLA (the others take 2 s of the 20 s its catalog
   * expects).
   */
  private static final Set<String> NOT_FED_BY_THE_DEMO =
      Set.of(
          "Aborted runs",
          "Late supplements",
          "Alerts firing now",
          "Firing by severity",
          "Firing alerts",
          "Overdue runs",
          "Runs over their SLA",
          // The demo runs no pods: its one saturation series is the machine, a node.
          "Saturation: CPU per service (busiest pod)",
          "Saturation: memory per service (busiest pod)");

  /**
   * Metrics the demo's services never count, and why: labelled counters of things going wrong,
   * which have no series until the first one (their panels show "No data" in a healthy pipeline),
   * and the spool's metrics, which a collector registers only with a {@code spool.dir}. Their
   * queries are checked to be valid; dashboards/check.py checks their names and labels against the
   * Java sources.
   */
  private static final Map<String, String> NOT_COUNTED_IN_THE_DEMO =
      Map.ofEntries(
          Map.entry(
              "vigil_collector_requests_rejected_total",
              "the workload sends no bad or oversized body"),
          Map.entry(
              "vigil_processor_data_points_skipped_total",
              "every data point is decodable and valid"),
          Map.entry(
              "vigil_processor_data_points_adjusted_total",
              "the workload's clock is the machine's and its operations are few"),
          Map.entry(
              "vigil_processor_records_rejected_total", "no poison record reaches the processor"),
          Map.entry("vigil_alerting_dlq_records_total", "no poison record reaches alerting"),
          Map.entry("vigil_alerting_es_failures_total", "Elasticsearch rejects no document"),
          Map.entry(
              "vigil_alerting_batch_retries_total",
              "Elasticsearch answers every bulk request at once"),
          Map.entry("vigil_collector_spool_bytes", "the demo's collector runs without a spool"),
          Map.entry(
              "vigil_collector_spool_records_in_total",
              "the demo's collector runs without a spool"),
          Map.entry(
              "vigil_collector_spool_records_out_total",
              "the demo's collector runs without a spool"),
          Map.entry(
              "vigil_collector_spool_write_failures_total",
              "the demo's collector runs without a spool"));

  /** Prometheus' scrape jobs and {@code service} labels: those of deploy/compose/prometheus.yml. */
  private static final Map<String, String> JOBS =
      Map.of(
          "collector", "vigil-collector",
          "processor", "vigil-processor",
          "alerting", "vigil-alerting");

  private static final Pattern ADMIN_PORT =
      Pattern.compile("(?m)^ +(collector|processor|alerting) .*admin :(\\d+)$");

  private EmbeddedElasticsearch elasticsearch;
  private PrometheusProcess prometheus;
  private Exception prometheusFailure;
  private Instant prometheusStarted;
  private boolean ended;
  private int exitValue;
  private String output;

  @BeforeAll
  void runTheDemo() throws Exception {
    Path workDir = Path.of("target", "demo-it");
    Path log = Files.createDirectories(Path.of("target")).resolve("demo-it.out");
    elasticsearch = ElasticsearchLauncher.start(System.getenv());
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
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      Optional<Path> binary = PrometheusProcess.binary();
      Map<String, Integer> adminPorts = Map.of();
      // Prometheus scrapes the demo's services as soon as it has printed their admin ports.
      while (binary.isPresent() && prometheus == null && prometheusFailure == null) {
        adminPorts = adminPorts(Files.readString(log, StandardCharsets.UTF_8));
        if (adminPorts.size() == JOBS.size()) {
          prometheus = startPrometheus(binary.get(), adminPorts);
        } else if (!process.isAlive() || System.nanoTime() > deadline) {
          prometheusFailure =
              new IllegalStateException("the demo did not print its admin ports: " + adminPorts);
        } else {
          TimeUnit.MILLISECONDS.sleep(200); // polling the output of another process
        }
      }
      ended = process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } finally {
      process.destroyForcibly(); // by its handle (PID); a no-op once it ended
    }
    exitValue = ended ? process.exitValue() : -1;
    output = Files.readString(log, StandardCharsets.UTF_8);
    System.out.println(output);
  }

  private PrometheusProcess startPrometheus(Path binary, Map<String, Integer> adminPorts) {
    Map<String, PrometheusProcess.ScrapeJob> jobs = new LinkedHashMap<>();
    adminPorts.forEach(
        (service, port) ->
            jobs.put(
                JOBS.get(service),
                new PrometheusProcess.ScrapeJob(List.of("127.0.0.1:" + port), service)));
    try {
      Path dir = Path.of("target", "demo-it-prometheus");
      deleteRecursively(dir);
      prometheusStarted = Instant.now();
      return PrometheusProcess.start(binary, dir, jobs);
    } catch (IOException | RuntimeException e) {
      prometheusFailure = e;
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      prometheusFailure = e;
      return null;
    }
  }

  private static Map<String, Integer> adminPorts(String output) {
    Map<String, Integer> ports = new LinkedHashMap<>();
    Matcher m = ADMIN_PORT.matcher(output);
    while (m.find()) {
      ports.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    return ports;
  }

  @AfterAll
  void stopServers() {
    if (prometheus != null) {
      prometheus.close();
    }
    if (elasticsearch != null) {
      elasticsearch.close();
    }
  }

  @Test
  void demoDetectsTheIncidentAndReportsIt() throws Exception {
    Path workDir = Path.of("target", "demo-it");
    assertThat(ended).as("the demo ended within 5 minutes").isTrue();
    assertThat(exitValue).isZero();
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
  }

  /**
   * Every Elasticsearch query of the shipped Grafana dashboards (variables at "All") is accepted by
   * Elasticsearch, and every panel but those of data the demo does not make returns documents.
   */
  @Test
  void elasticsearchPanelsShowTheDemo() {
    assertThat(ended).as("the demo ended within 5 minutes").isTrue();
    HttpClient http = HttpClient.newHttpClient();
    List<DashboardQueries.Query> queries = DashboardQueries.all();
    Map<DashboardQueries.Query, Long> counts = new LinkedHashMap<>();
    for (DashboardQueries.Query q : queries) {
      counts.put(q, DashboardQueries.count(http, elasticsearch.url(), q));
    }
    counts.forEach((q, n) -> System.out.println("dashboard query " + n + " ← " + q));
    assertThat(queries).hasSizeGreaterThan(30);
    assertThat(NOT_FED_BY_THE_DEMO)
        .as("panels excused that no dashboard has")
        .allSatisfy(
            panel -> assertThat(queries).anySatisfy(q -> assertThat(q.panel()).isEqualTo(panel)));
    assertThat(queries)
        .filteredOn(q -> !NOT_FED_BY_THE_DEMO.contains(q.panel()))
        .allSatisfy(q -> assertThat(counts.get(q)).as(q.toString()).isPositive());
  }

  /**
   * Every Prometheus query of the shipped Grafana dashboards (variables at "All", the dashboard's
   * default range), run at the last moment Prometheus scraped all three services, is accepted by
   * Prometheus, and every one but those of metrics the demo never counts returns a series.
   */
  @Test
  void prometheusPanelsShowTheDemo() throws Exception {
    Instant at = lastAllUp();
    List<PrometheusDashboardQueries.Query> queries = PrometheusDashboardQueries.all();
    Map<PrometheusDashboardQueries.Query, Integer> series = new LinkedHashMap<>();
    for (PrometheusDashboardQueries.Query q : queries) {
      JsonNode answer = prometheus.query(q.promql(), at);
      series.put(q, answer.at("/data/result").size());
    }
    series.forEach((q, n) -> System.out.println("dashboard query " + n + " series ← " + q));
    assertThat(queries).hasSizeGreaterThan(20);
    assertThat(NOT_COUNTED_IN_THE_DEMO.keySet())
        .as("metrics excused that no panel reads")
        .allSatisfy(
            metric ->
                assertThat(queries).anySatisfy(q -> assertThat(q.metrics()).contains(metric)));
    assertThat(queries)
        .filteredOn(q -> q.metrics().stream().noneMatch(NOT_COUNTED_IN_THE_DEMO::containsKey))
        .allSatisfy(q -> assertThat(series.get(q)).as(q.toString()).isPositive());
  }

  /**
   * The demo's collector scrapes the demo's own collector and processor (its scrape jobs {@code
   * vigil-collector} and {@code vigil-processor}) and stores what it scraped: Prometheus, scraping
   * the collector, sees scrapes of both jobs end well. (The metric's own {@code job} label becomes
   * {@code exported_job} next to Prometheus' one.)
   */
  @Test
  void theDemosCollectorScrapesItsOwnServices() throws Exception {
    Instant at = lastAllUp();
    JsonNode result =
        prometheus
            .query("sum by (exported_job) (vigil_collector_scrapes_total{outcome=\"ok\"})", at)
            .at("/data/result");
    Map<String, Double> ok = new LinkedHashMap<>();
    result.forEach(r -> ok.put(r.at("/metric/exported_job").asText(), r.at("/value/1").asDouble()));
    System.out.println("the demo collector's good scrapes by job: " + ok);
    assertThat(ok).containsOnlyKeys("vigil-collector", "vigil-processor");
    assertThat(ok.values()).allSatisfy(n -> assertThat(n).isPositive());
  }

  /**
   * The last time Prometheus saw the demo's three services up at once, once the demo ended (the
   * test is skipped where Prometheus is not installed).
   */
  private Instant lastAllUp() throws Exception {
    assumeTrue(
        PrometheusProcess.binary().isPresent(),
        "prometheus is not on the PATH (Debian: apt-get install prometheus)");
    if (prometheusFailure != null) {
      throw prometheusFailure;
    }
    assertThat(ended).as("the demo ended within 5 minutes").isTrue();
    return prometheus
        .lastAllUp("vigil-.+", JOBS.size(), prometheusStarted, Instant.now())
        .orElseThrow(
            () -> new AssertionError("Prometheus never scraped the three services at once"));
  }

  /**
   * The dashboards' Prometheus variables list the demo's scrape jobs and their instances (with the
   * other variables at "All"), as Grafana would offer them.
   */
  @Test
  void prometheusVariablesListTheDemosJobs() throws Exception {
    assumeTrue(
        PrometheusProcess.binary().isPresent(),
        "prometheus is not on the PATH (Debian: apt-get install prometheus)");
    if (prometheusFailure != null) {
      throw prometheusFailure;
    }
    List<PrometheusDashboardQueries.LabelValues> variables = PrometheusDashboardQueries.variables();
    assertThat(variables)
        .extracting(PrometheusDashboardQueries.LabelValues::label)
        .contains("job", "instance");
    for (PrometheusDashboardQueries.LabelValues v : variables) {
      List<String> values = prometheus.labelValues(v.label(), v.selector());
      System.out.println("dashboard variable " + values + " ← " + v);
      if (v.label().equals("job")) {
        assertThat(values).as(v.toString()).containsExactlyInAnyOrderElementsOf(JOBS.values());
      } else {
        assertThat(values).as(v.toString()).isNotEmpty();
      }
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> paths = Files.walk(dir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
