package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Grafana dashboard type-checks against {@code @grafana/schema} from npm: {@code
 * dashboards/schema/check.mjs} compiles each dashboard as a TypeScript object literal against the
 * dashboard, panel-option and query types, so a misspelt key, a missing required key or a value of
 * the wrong type fails here rather than being silently ignored by Grafana.
 */
class DashboardSchemaTest {
  private static final Path ROOT = Path.of("..");
  private static final Path CHECKER = ROOT.resolve("dashboards/schema");
  private static final Path DASHBOARDS = ROOT.resolve("dashboards/grafana/dashboards");
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Result(int exit, String output) {}

  /** Installs the checker's pinned packages when they are missing or older than the lock file. */
  @BeforeAll
  static void installChecker() throws Exception {
    assumeTrue(Tools.onPath("node") && Tools.onPath("npm"), "node and npm are not installed");
    Path installed = CHECKER.resolve("node_modules/.package-lock.json");
    if (!Files.exists(installed)
        || Files.getLastModifiedTime(installed)
                .compareTo(Files.getLastModifiedTime(CHECKER.resolve("package-lock.json")))
            < 0) {
      Result npm = run(CHECKER, Duration.ofMinutes(5), "npm", "ci", "--no-audit", "--no-fund");
      assertThat(npm.exit()).as(npm.output()).isZero();
    }
  }

  @Test
  void everyDashboardTypeChecksAgainstGrafanaSchema() throws Exception {
    long dashboards;
    try (Stream<Path> files = Files.list(DASHBOARDS)) {
      dashboards = files.filter(f -> f.toString().endsWith(".json")).count();
    }
    Result check = check(DASHBOARDS);
    assertThat(check.exit()).as(check.output()).isZero();
    assertThat(check.output())
        .contains("checked " + dashboards + " dashboard(s)")
        .contains("no problems");
  }

  /** One broken dashboard per case: what is broken, in which file, and what the report names. */
  static Stream<Arguments> brokenDashboards() {
    return Stream.of(
        Arguments.of(
            "misspelt panel option",
            "vigil-golden-signals.json",
            (Consumer<ObjectNode>)
                d -> {
                  ObjectNode legend = object(d, "Request rate per service", "/options/legend");
                  legend.set("displayMod", legend.remove("displayMode"));
                },
            List.of(
                "panel 5 \"Request rate per service\" › options.legend.displayMod:",
                "'\"displayMod\"' does not exist")),
        Arguments.of(
            "wrong type",
            "vigil-alerts.json",
            (Consumer<ObjectNode>) d -> object(d, "Firing alerts", "/gridPos").put("w", "24"),
            List.of(
                "panel 5 \"Firing alerts\" › gridPos.w:",
                "Type 'string' is not assignable to type 'number'")),
        Arguments.of(
            "value outside an enum",
            "vigil-pipelines.json",
            (Consumer<ObjectNode>)
                d ->
                    object(d, "Stalest job", "/fieldConfig/defaults/thresholds")
                        .put("mode", "absolut"),
            List.of(
                "panel 6 \"Stalest job\" › fieldConfig.defaults.thresholds.mode:",
                "'\"absolute\" | \"percentage\"'")),
        Arguments.of(
            "unknown Elasticsearch metric aggregation",
            "vigil-golden-signals.json",
            (Consumer<ObjectNode>)
                d ->
                    object(d, "Request rate per service", "/targets/0/metrics/0")
                        .put("type", "summ"),
            List.of(
                "panel 5 \"Request rate per service\" › targets[0].metrics[0].type:",
                "Did you mean '\"sum\"'?")),
        Arguments.of(
            "misspelt Prometheus query key",
            "vigil-pipeline-health.json",
            (Consumer<ObjectNode>)
                d -> {
                  ObjectNode target = object(d, "Accepted by signal", "/targets/0");
                  target.set("legendFormt", target.remove("legendFormat"));
                },
            List.of("\"Accepted by signal\" › targets[0].legendFormt:")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenDashboards")
  void brokenDashboardFailsNamingTheField(
      String what,
      String file,
      Consumer<ObjectNode> breakIt,
      List<String> expected,
      @TempDir Path dir)
      throws Exception {
    ObjectNode dashboard = (ObjectNode) JSON.readTree(DASHBOARDS.resolve(file).toFile());
    breakIt.accept(dashboard);
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(file).toFile(), dashboard);

    Result check = check(dir);

    assertThat(check.exit()).as(check.output()).isEqualTo(1);
    assertThat(check.output()).contains("PROBLEM: " + file + ": ");
    for (String text : expected) {
      assertThat(check.output()).contains(text);
    }
  }

  /**
   * The schema is the one of the Grafana that docker-compose runs: a dashboard that type-checks
   * against a newer schema may use options that Grafana does not have.
   */
  @Test
  void schemaVersionIsTheGrafanaThatComposeRuns() throws Exception {
    Matcher compose =
        Pattern.compile("image: grafana/grafana:\\$\\{GRAFANA_VERSION:-([0-9.]+)}")
            .matcher(Files.readString(ROOT.resolve("docker-compose.yml")));
    assertThat(compose.find()).as("grafana image in docker-compose.yml").isTrue();
    JsonNode dependencies =
        JSON.readTree(CHECKER.resolve("package.json").toFile()).path("dependencies");
    assertThat(dependencies.path("@grafana/schema").asText()).isEqualTo(compose.group(1));
  }

  private static Result check(Path dashboards) throws Exception {
    return run(
        ROOT,
        Duration.ofMinutes(2),
        "node",
        CHECKER.resolve("check.mjs").toAbsolutePath().toString(),
        dashboards.toAbsolutePath().toString());
  }

  /** The object at {@code pointer} in the panel titled {@code title} (top level or in a row). */
  private static ObjectNode object(ObjectNode dashboard, String title, String pointer) {
    List<JsonNode> panels = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      panels.add(panel);
      panel.path("panels").forEach(panels::add);
    }
    JsonNode node =
        panels.stream()
            .filter(panel -> title.equals(panel.path("title").asText()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no panel titled " + title))
            .at(pointer);
    assertThat(node.isObject()).as(title + " " + pointer).isTrue();
    return (ObjectNode) node;
  }

  private static Result run(Path dir, Duration timeout, String... command)
      throws IOException, InterruptedException {
    File log = File.createTempFile("dashboard-schema", ".log");
    try {
      Process process =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log)
              .start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(
            String.join(" ", command) + " did not finish within " + timeout + ":\n" + read(log));
      }
      return new Result(process.exitValue(), read(log));
    } finally {
      Files.deleteIfExists(log.toPath());
    }
  }

  private static String read(File log) throws IOException {
    return Files.readString(log.toPath(), StandardCharsets.UTF_8);
  }
}
