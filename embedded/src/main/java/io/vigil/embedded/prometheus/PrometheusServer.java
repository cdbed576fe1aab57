package io.vigil.embedded.prometheus;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Prometheus server (the {@code prometheus} binary on the PATH; Debian's package in CI),
 * started for a test on 127.0.0.1 with its configuration, data and log in a folder of its own, and
 * stopped by its PID. Asked through its HTTP API. Tests that need it skip where it is not installed
 * ({@link #binary()}).
 */
public final class PrometheusServer implements AutoCloseable {
  private final Process process;
  private final URI url;
  private final Path log;
  private final HttpClient http = HttpClient.newHttpClient();

  private PrometheusServer(Process process, URI url, Path log) {
    this.process = process;
    this.url = url;
    this.log = log;
  }

  /** The {@code prometheus} binary on the PATH, if there is one. */
  public static Optional<Path> binary() {
    return onPath("prometheus");
  }

  /** The first of {@code names} found as an executable on the PATH. */
  static Optional<Path> onPath(String... names) {
    return Stream.of(names)
        .flatMap(
            name ->
                Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                    .filter(dir -> !dir.isBlank())
                    .map(dir -> Path.of(dir, name)))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /** A port of 127.0.0.1 free at the time of asking. */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /**
   * Starts {@code binary} on a free port of 127.0.0.1 with {@code config} (a {@code
   * prometheus.yml}) written to {@code dir}, its data and log there too, and waits until {@code
   * /-/ready} answers (at most {@code wait}).
   *
   * @throws IOException when it exits or is not ready in time, with its log
   */
  public static PrometheusServer start(Path binary, Path dir, String config, Duration wait)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path configFile = Files.writeString(dir.resolve("prometheus.yml"), config);
    int port = freePort();
    Path log = dir.resolve("prometheus.log");
    URI url = URI.create("http://127.0.0.1:" + port);
    Process process =
        launch(
            List.of(
                binary.toString(),
                "--config.file=" + configFile,
                "--storage.tsdb.path=" + Files.createDirectories(dir.resolve("data")),
                "--web.listen-address=127.0.0.1:" + port),
            log,
            url,
            wait);
    return new PrometheusServer(process, url, log);
  }

  /**
   * Starts {@code command} (a Prometheus-family server) with its output in {@code log}, and waits
   * until it answers 200 on {@code url}'s {@code /-/ready}, at most {@code wait}; stops it (by its
   * PID) when it does not.
   *
   * @throws IOException when it exits or is not ready in time, with its log
   */
  static Process launch(List<String> command, Path log, URI url, Duration wait)
      throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      awaitReady(process, url, log, wait);
    } catch (IOException | RuntimeException | InterruptedException e) {
      NodeExporter.stop(process);
      throw e;
    }
    return process;
  }

  /** Its base URL, {@code http://127.0.0.1:<port>}. */
  public URI url() {
    return url;
  }

  /**
   * The body of {@code GET path?parameters} on its HTTP API (e.g. {@code /api/v1/query}).
   *
   * @throws IOException when it does not answer 200, with its answer
   */
  public String get(String path, Map<String, String> parameters)
      throws IOException, InterruptedException {
    StringBuilder uri = new StringBuilder(url.toString()).append(path);
    char separator = '?';
    for (Map.Entry<String, String> p : parameters.entrySet()) {
      uri.append(separator)
          .append(p.getKey())
          .append('=')
          .append(URLEncoder.encode(p.getValue(), StandardCharsets.UTF_8));
      separator = '&';
    }
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(URI.create(uri.toString())).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() != 200) {
      throw new IOException(
          "Prometheus answered "
              + answer.statusCode()
              + " to "
              + parameters
              + ": "
              + answer.body());
    }
    return answer.body();
  }

  private static void awaitReady(Process process, URI url, Path log, Duration wait)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest ready = HttpRequest.newBuilder(url.resolve("/-/ready")).GET().build();
    String name = log.getFileName().toString().replaceFirst("\\.log$", "");
    while (true) {
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (!process.isAlive()) {
        throw new IOException(
            name + " exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            name + " not ready at " + url + " after " + wait + ":\n" + Files.readString(log));
      }
      TimeUnit.MILLISECONDS.sleep(100); // polling a port another process opens, with a deadline
    }
  }

  /** SIGTERM to the process started here (by its PID), then waits for it. */
  @Override
  public void close() {
    NodeExporter.stop(process);
  }
}
