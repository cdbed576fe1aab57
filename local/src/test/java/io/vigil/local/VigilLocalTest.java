package io.vigil.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.config.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VigilLocalTest {
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
  void listsDemoAndStandaloneFirstThenTheServices() {
    assertThat(VigilLocal.execute("--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .containsSubsequence("demo", "standalone", "collector", "processor", "alerting", "rules");
  }

  @Test
  void rejectsADemoShorterThanTheIncident() {
    assertThat(VigilLocal.execute("demo", "--duration", "5s")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--duration").contains("5s");
  }

  @Test
  void standaloneExampleFileLoads() {
    StandaloneFile file =
        ConfigLoader.load(
            Path.of("..", "config", "standalone.yaml"), Map.of(), StandaloneFile.class);

    assertThat(file.embeddedKafka().port()).isEqualTo(9092);
    assertThat(file.processor().window()).hasSeconds(10);
  }
}
