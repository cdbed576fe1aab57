package io.vigil.local.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vigil.alerting.route.AlertmanagerConfig;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Alertmanager configuration Vigil ships — the example, the compose and Kubernetes ones, the
 * demo's — passes Alertmanager's own {@code amtool check-config} (Debian's prometheus-alertmanager,
 * installed by {@code .ci/run}) as well as Vigil's loader: one file serves both.
 */
class AmtoolCheckConfigTest {
  private static final Path ROOT = Path.of("..");

  @Test
  void shippedRoutingFilesPassAmtoolAndVigil(@TempDir Path dir) throws Exception {
    assumeTrue(onPath("amtool"), "amtool (prometheus-alertmanager) is not installed");
    Path secrets = Files.createDirectories(dir.resolve("secrets"));
    Files.writeString(secrets.resolve("slack-webhook-url"), "https://hooks.example.org/T/B/X\n");
    Files.writeString(secrets.resolve("smtp-password"), "secret\n");
    Path demo =
        Files.writeString(
            dir.resolve("demo-alertmanager.yml"),
            DemoFiles.alertmanager("http://127.0.0.1:9/services/x", "127.0.0.1", 2525));
    List<Path> files =
        List.of(
            ROOT.resolve("config/alertmanager.yml"),
            withSecretsIn(ROOT.resolve("deploy/compose/alertmanager.yml"), secrets, dir),
            withSecretsIn(ROOT.resolve("k8s/base/config/alertmanager.yml"), secrets, dir),
            demo);
    for (Path file : files) {
      Process amtool =
          new ProcessBuilder("amtool", "check-config", file.toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(amtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(amtool.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(amtool.exitValue()).as(file + ":\n" + out).isZero();
      assertThat(out).contains("SUCCESS");
      assertThat(AlertmanagerConfig.load(file).receivers()).as(file.toString()).isNotEmpty();
    }
  }

  private static Path withSecretsIn(Path file, Path secrets, Path dir) throws Exception {
    return Files.writeString(
        dir.resolve(file.getParent().getFileName() + "-" + file.getFileName()),
        Files.readString(file).replace("/run/secrets/vigil", secrets.toString()));
  }

  private static boolean onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String d : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, command))) {
        return true;
      }
    }
    return false;
  }
}
