package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.rules.RuleLoader;
import io.vigil.model.config.ConfigLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The deployment files — {@code deploy/compose/} for docker-compose, {@code k8s/} for Kustomize —
 * hold configurations the services load, and the Kustomize overlays render. (No container runs
 * here: images, compose and clusters are checked by what can be checked without a daemon.)
 */
class DeploymentFilesTest {
  private static final Path ROOT = Path.of("..");
  private static final Map<String, String> ENV =
      Map.of(
          "KAFKA_BOOTSTRAP_SERVERS", "kafka:9092",
          "ELASTICSEARCH_URL", "http://es:9200",
          "VIGIL_EXTERNAL_URL", "https://vigil.example.org",
          "NODE_NAME", "node-a",
          "NODE_IP", "10.0.0.5");

  @ParameterizedTest
  @ValueSource(strings = {"deploy/compose", "k8s/base/config"})
  void serviceConfigurationsLoad(String folder, @TempDir Path secrets) throws Exception {
    Path dir = ROOT.resolve(folder);
    assertThat(
            ConfigLoader.load(dir.resolve("collector.yaml"), ENV, ConfigFiles.CollectorFile.class)
                .collector()
                .kafka()
                .bootstrapServers())
        .isEqualTo("kafka:9092");
    assertThat(
            ConfigLoader.load(dir.resolve("processor.yaml"), ENV, ConfigFiles.ProcessorFile.class)
                .processor()
                .stateDir())
        .isNotBlank();
    assertThat(
            ConfigLoader.load(dir.resolve("alerting.yaml"), ENV, ConfigFiles.AlertingFile.class)
                .alerting()
                .elasticsearch()
                .url())
        .isEqualTo("http://es:9200");

    // Secrets are files in the containers (/run/secrets/vigil/…): give the routing some here.
    Files.writeString(secrets.resolve("slack-webhook-url"), "https://hooks.example.org/T/B/X\n");
    Files.writeString(secrets.resolve("smtp-password"), "secret\n");
    String routing =
        Files.readString(dir.resolve("alertmanager.yml"))
            .replace("/run/secrets/vigil", secrets.toString());
    AlertmanagerConfig config = AlertmanagerConfig.parse(routing, "alertmanager.yml");
    assertThat(config.receivers()).isNotEmpty();
  }

  @Test
  void kubernetesRulesAreTheExamplesRules() throws Exception {
    for (String file : List.of("golden-signals.yaml", "pipelines.yaml", "anomaly.yaml")) {
      Path copy = ROOT.resolve("k8s/base/config/rules").resolve(file);
      Path example = ROOT.resolve("config/rules").resolve(file);
      assertThat(withoutComments(copy)).as(file).isEqualTo(withoutComments(example));
      assertThat(RuleLoader.load(List.of(copy))).isNotEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void kustomizeOverlaysRender(String overlay) throws Exception {
    assumeTrue(Tools.onPath("kubectl"), "kubectl is not installed");
    Process kubectl =
        new ProcessBuilder(
                "kubectl", "kustomize", ROOT.resolve("k8s/overlays/" + overlay).toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(kubectl.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(kubectl.exitValue()).as(out).isZero();
    assertThat(out)
        .contains("kind: DaemonSet")
        .contains("name: vigil-collector")
        .contains("name: vigil-processor")
        .contains("name: vigil-alerting")
        .contains("/readyz");
  }

  /**
   * The dashboards' own check: every file parses, every data source is provisioned, every
   * Elasticsearch field exists in the index templates and every Prometheus metric in the code — so
   * renaming a field or a metric breaks this test, not a dashboard in production.
   */
  @Test
  void dashboardsUseOnlyFieldsAndMetricsThatExist() throws Exception {
    assumeTrue(Tools.onPath("python3"), "python3 is not installed");
    Process check =
        new ProcessBuilder("python3", ROOT.resolve("dashboards/check.py").toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(check.exitValue()).as(out).isZero();
    assertThat(out).contains("no problems");
  }

  private static List<String> withoutComments(Path file) throws Exception {
    try (Stream<String> lines = Files.lines(file)) {
      return lines.filter(l -> !l.stripLeading().startsWith("#")).toList();
    }
  }
}
