package io.vigil.embedded.prometheus;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The real Alertmanager (Debian's {@code prometheus-alertmanager}, or {@code alertmanager}, on the
 * PATH), started on a free port of 127.0.0.1 with its configuration, data and log in a folder of
 * its own, without clustering, and stopped by its PID. Callers skip where it is not installed
 * ({@link #binary()}).
 */
public final class AlertmanagerServer implements AutoCloseable {
  private final Process process;
  private final URI url;

  private AlertmanagerServer(Process process, URI url) {
    this.process = process;
    this.url = url;
  }

  /** The Alertmanager binary on the PATH, if there is one. */
  public static Optional<Path> binary() {
    return PrometheusServer.onPath("prometheus-alertmanager", "alertmanager");
  }

  /**
   * Starts {@code binary} with {@code config} (an {@code alertmanager.yml}) written to {@code dir},
   * its data and log there too, and waits until {@code /-/ready} answers (at most {@code wait}).
   *
   * @throws IOException when it exits or is not ready in time, with its log
   */
  public static AlertmanagerServer start(Path binary, Path dir, String config, Duration wait)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path configFile = Files.writeString(dir.resolve("alertmanager.yml"), config);
    int port = PrometheusServer.freePort();
    Path log = dir.resolve("alertmanager.log");
    URI url = URI.create("http://127.0.0.1:" + port);
    Process process =
        PrometheusServer.launch(
            List.of(
                binary.toString(),
                "--config.file=" + configFile,
                "--storage.path=" + Files.createDirectories(dir.resolve("am-data")),
                "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address="),
            log,
            url,
            wait);
    return new AlertmanagerServer(process, url);
  }

  /** Its base URL, {@code http://127.0.0.1:<port>}. */
  public URI url() {
    return url;
  }

  /** Its alerts API, where Prometheus (or a test) posts alerts. */
  public URI alertsApi() {
    return url.resolve("/api/v2/alerts");
  }

  /** SIGTERM to the process started here (by its PID), then waits for it. */
  @Override
  public void close() {
    NodeExporter.stop(process);
  }
}
