package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.rules.RuleLoader;
import io.vigil.model.config.ConfigLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The example files in {@code config/} load as the README says they do. */
class ExampleConfigsTest {
  private static final Path CONFIG = Path.of("..", "config");

  @Test
  void serviceFilesLoadWithTheirDefaults() {
    ConfigFiles.CollectorFile collector =
        ConfigLoader.load(
            CONFIG.resolve("collector.yaml"), Map.of(), ConfigFiles.CollectorFile.class);
    ConfigFiles.ProcessorFile processor =
        ConfigLoader.load(
            CONFIG.resolve("processor.yaml"),
            Map.of("VIGIL_STATE_DIR", "/tmp/state"),
            ConfigFiles.ProcessorFile.class);
    ConfigFiles.AlertingFile alerting =
        ConfigLoader.load(
            CONFIG.resolve("alerting.yaml"),
            Map.of("ELASTICSEARCH_URL", "http://es:9200"),
            ConfigFiles.AlertingFile.class);

    assertThat(collector.collector().kafka().bootstrapServers()).isEqualTo("127.0.0.1:9092");
    assertThat(collector.collector().adminPort()).isEqualTo(8888);
    assertThat(processor.processor().stateDir()).isEqualTo("/tmp/state");
    assertThat(alerting.alerting().elasticsearch().url()).isEqualTo("http://es:9200");
  }

  @Test
  void rulesAndRoutingAreValid() {
    assertThat(RuleLoader.load(List.of(CONFIG.resolve("rules/golden-signals.yaml")))).hasSize(10);
    assertThat(RuleLoader.load(List.of(CONFIG.resolve("rules/pipelines.yaml")))).hasSize(5);
    AlertmanagerConfig routing = AlertmanagerConfig.load(CONFIG.resolve("alertmanager.yml"));
    assertThat(routing.receivers()).containsOnlyKeys("oncall", "team-slack", "data-oncall");
    assertThat(routing.inhibitRules()).hasSize(1);
  }
}
