package io.vigil.model.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.kafka.KafkaSettings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

  record Sample(
      @JsonProperty("kafka") KafkaSettings kafka,
      @JsonProperty("window") Duration window,
      @JsonProperty("name") String name) {
    Sample {
      if (kafka == null) {
        kafka = KafkaSettings.defaults();
      }
      if (window == null) {
        window = Duration.ofSeconds(10);
      }
      if (window.isNegative() || window.isZero()) {
        throw new ConfigException("sample.window", Durations.format(window), "must be > 0");
      }
    }
  }

  @Test
  void appliesDefaultsToAnEmptyFile() {
    Sample s = ConfigLoader.load("", Map.of(), Sample.class);

    assertThat(s.kafka().bootstrapServers()).isEqualTo("127.0.0.1:9092");
    assertThat(s.kafka().topics().partitions()).isEqualTo(3);
    assertThat(s.window()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aHashInsideQuotesIsNoComment() {
    assertThat(ConfigLoader.substitute("name: '#${A}' # ${B}", Map.of("A", "x")))
        .isEqualTo("name: '#x' # ${B}");
    assertThat(ConfigLoader.substitute("name: a#${A}", Map.of("A", "x")))
        .as("a # not after a blank starts no comment (YAML)")
        .isEqualTo("name: a#x");
  }

  @Test
  void substitutesEnvironmentVariablesWithDefaults() {
    String yaml =
        """
        kafka:
          bootstrap_servers: ${KAFKA:-localhost:1234}
        name: ${NAME:-fallback}   # ${ALSO_NOT_SET} after a value too
        # ${NOT_SET} in a comment is left alone
        """;

    Sample s = ConfigLoader.load(yaml, Map.of("NAME", "from-env"), Sample.class);

    assertThat(s.kafka().bootstrapServers()).isEqualTo("localhost:1234");
    assertThat(s.name()).isEqualTo("from-env");
  }

  @Test
  void rejectsAReferenceToAnUnsetVariableWithoutDefault() {
    assertThatThrownBy(() -> ConfigLoader.load("name: ${MISSING}", Map.of(), Sample.class))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("${MISSING}");
  }

  @Test
  void namesAnUnknownKeyWithItsPath() {
    String yaml =
        """
        kafka:
          bootstrap_server: x:1
        """;

    assertThatThrownBy(() -> ConfigLoader.load(yaml, Map.of(), Sample.class))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("kafka.bootstrap_server: unknown key")
        .hasMessageContaining("bootstrap_servers");
  }

  @Test
  void namesKeyAndValueOfAnInvalidValue() {
    assertThatThrownBy(() -> ConfigLoader.load("window: -5s", Map.of(), Sample.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage("window: must be a duration such as 500ms, 10s, 5m or 1h, was '-5s'");
    assertThatThrownBy(() -> ConfigLoader.load("window: 0s", Map.of(), Sample.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage("sample.window: must be > 0, was '0s'");
  }

  @Test
  void readsPrometheusStyleDurations() {
    assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("PT10S")).isEqualTo(Duration.ofSeconds(10));
    assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThatThrownBy(() -> Durations.parse("10 parsecs")).hasMessageContaining("'10 parsecs'");
  }

  @Test
  void reportsBrokenYamlWithItsLine() {
    assertThatThrownBy(() -> ConfigLoader.load("name: ok\n  bad: [indent", Map.of(), Sample.class))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("line");
  }
}
