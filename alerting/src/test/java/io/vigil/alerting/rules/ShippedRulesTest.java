package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The rule files shipped in {@code config/rules} load, and every rule test in {@code
 * config/rules/tests} passes — what {@code vigil rules check} and {@code vigil rules test} say of
 * them.
 */
class ShippedRulesTest {
  private static final Path RULES = Path.of("..", "config", "rules");

  private static List<Path> files(Path dir, String suffix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(suffix)).sorted().toList();
    }
  }

  @Test
  void everyShippedRuleFileLoads() throws IOException {
    List<Path> files = files(RULES, ".yaml");

    assertThat(files)
        .extracting(f -> f.getFileName().toString())
        .contains("golden-signals.yaml", "pipelines.yaml", "anomaly.yaml");
    for (Path file : files) {
      assertThat(RuleLoader.load(List.of(file))).as(file.toString()).isNotEmpty();
    }
    assertThat(RuleLoader.load(List.of(RULES.resolve("anomaly.yaml"))))
        .extracting(AlertRule::name)
        .containsExactly("PodMemoryFullIn1h", "TrafficFarBelowUsual", "LatencyFarAboveUsual");
  }

  @Test
  void everyShippedRuleTestPasses() throws IOException {
    List<Path> tests = files(RULES.resolve("tests"), ".test.yaml");

    assertThat(tests).hasSizeGreaterThanOrEqualTo(2);
    for (Path file : tests) {
      RuleTests.Result result = RuleTests.run(file);
      assertThat(result.tests()).as(file.toString()).isPositive();
      assertThat(result.failures()).as(file.toString()).isEmpty();
    }
  }
}
