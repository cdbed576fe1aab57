package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The services' jar as the build packaged it ({@code target/vigil.jar}, shaded before the
 * integration tests run): what production runs must not carry test code or embedded servers, and
 * must start.
 */
class ServicesJarIT {
  private static final Path JAR = Path.of("target", "vigil.jar");

  @Test
  void carriesNoTestCodeNorEmbeddedServers() throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      List<String> names = jar.stream().map(ZipEntry::getName).toList();

      assertThat(names)
          .contains("io/vigil/cli/Vigil.class", "io/vigil/collector/CollectorService.class");
      for (String banned :
          List.of(
              "scala/", // Kafka's broker, pulled in by the test kit
              "kafka/server/",
              "org/apache/kafka/common/test/",
              "org/junit/",
              "com/icegreen/greenmail/",
              "io/vigil/embedded/",
              "io/vigil/local/",
              "io/opentelemetry/sdk/")) {
        assertThat(names).as("entries under %s", banned).noneMatch(n -> n.startsWith(banned));
      }
      assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
          .isEqualTo("io.vigil.cli.Vigil");
    }
  }

  @Test
  void startsAndSaysWhereTheDemoIs() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process help =
        new ProcessBuilder(java.toString(), "-jar", JAR.toString(), "--help")
            .redirectErrorStream(true)
            .start();
    String helpText = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(help.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(help.exitValue()).isZero();
    assertThat(helpText).contains("collector", "processor", "alerting", "rules");

    Process demo =
        new ProcessBuilder(java.toString(), "-jar", JAR.toString(), "demo")
            .redirectErrorStream(true)
            .start();
    String demoText = new String(demo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(demo.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(demo.exitValue()).isEqualTo(Vigil.EXIT_USAGE);
    assertThat(demoText).contains("'demo' needs the embedded servers", "vigil-local.jar");
  }
}
