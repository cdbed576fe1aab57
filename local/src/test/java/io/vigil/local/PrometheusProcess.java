package io.vigil.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Prometheus server (the {@code prometheus} binary on the PATH, Debian's package in CI)
 * started for a test on 127.0.0.1 with its own data folder, scraping the given targets every
 * second, and stopped by its PID.
 */
final class PrometheusProcess implements AutoCloseable {
  /** How often it scrapes: often enough that a one-minute demo leaves many samples. */
  static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(1);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final String url;
  private final Path log;
  private final HttpClient http = HttpClient.newHttpClient();

  private PrometheusProcess(Process process, String url, Path log) {
    this.process = process;
    this.url = url;
    this.log = log;
  }

  /** The {@code prometheus} binary on the PATH, if there is one. */
  static Optional<Path> binary() {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .filter(dir -> !dir.isBlank())
        .map(dir -> Path.of(dir, "prometheus"))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /**
   * Starts {@code binary} in {@code dir} (its configuration, data and log go there) scraping, for
   * each job, its targets ({@code host:port}) with the label {@code service}, and waits until it is
   * ready (at most 60 s).
   */
  static PrometheusProcess start(Path binary, Path dir, Map<String, ScrapeJob> jobs)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    List<Map<String, Object>> scrapeConfigs = new ArrayList<>();
    jobs.forEach(
        (job, scrape) ->
            scrapeConfigs.add(
                Map.of(
                    "job_name",
                    job,
                    "static_configs",
                    List.of(
                        Map.of(
                            "targets",
                            scrape.targets(),
                            "labels",
                            Map.of("service", scrape.service()))))));
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(
        "global",
        Map.of(
            "scrape_interval", SCRAPE_INTERVAL.toSeconds() + "s",
            "scrape_timeout", SCRAPE_INTERVAL.toSeconds() + "s"));
    config.put("scrape_configs", scrapeConfigs);
    Path configFile = dir.resolve("prometheus.yml");
    new ObjectMapper(new YAMLFactory()).writeValue(configFile.toFile(), config);

    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Path log = dir.resolve("prometheus.log");
    Process process =
        new ProcessBuilder(
                binary.toString(),
                "--config.file=" + configFile,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    PrometheusProcess prometheus = new PrometheusProcess(process, "http://127.0.0.1:" + port, log);
    try {
      prometheus.awaitReady(Duration.ofSeconds(60));
    } catch (IOException | RuntimeException | InterruptedException e) {
      prometheus.close();
      throw e;
    }
    return prometheus;
  }

  /** One scrape job: its targets ({@code host:port}) and the {@code service} label it adds. */
  record ScrapeJob(List<String> targets, String service) {}

  /** Its base URL, {@code http://127.0.0.1:<port>}. */
  String url() {
    return url;
  }

  /**
   * The last instant, at whole seconds between {@code from} and {@code to}, at which every target
   * of the jobs matching {@code jobRegex} was up ({@code expected} of them), if there was one.
   */
  Optional<Instant> lastAllUp(String jobRegex, int expected, Instant from, Instant to) {
    JsonNode answer =
        get(
            "/api/v1/query_range",
            Map.of(
                "query",
                "count(up{job=~\"" + jobRegex + "\"} == 1)",
                "start",
                Long.toString(from.getEpochSecond()),
                "end",
                Long.toString(to.getEpochSecond()),
                "step",
                "1"));
    Instant last = null;
    for (JsonNode series : answer.at("/data/result")) {
      for (JsonNode point : series.path("values")) {
        if (point.get(1).asInt() == expected) {
          last = Instant.ofEpochSecond(point.get(0).asLong());
        }
      }
    }
    return Optional.ofNullable(last);
  }

  /**
   * Runs {@code promql} as an instant query at {@code time} and returns its answer ({@code status}
   * success).
   *
   * @throws AssertionError when Prometheus refuses it, with its answer
   */
  JsonNode query(String promql, Instant time) {
    return get(
        "/api/v1/query", Map.of("query", promql, "time", Long.toString(time.getEpochSecond())));
  }

  /** The values of {@code label} on the series {@code selector} selects. */
  List<String> labelValues(String label, String selector) {
    List<String> values = new ArrayList<>();
    get("/api/v1/label/" + label + "/values", Map.of("match[]", selector))
        .path("data")
        .forEach(v -> values.add(v.asText()));
    return values;
  }

  private JsonNode get(String path, Map<String, String> parameters) {
    StringBuilder uri = new StringBuilder(url).append(path);
    char separator = '?';
    for (Map.Entry<String, String> p : parameters.entrySet()) {
      uri.append(separator)
          .append(p.getKey())
          .append('=')
          .append(URLEncoder.encode(p.getValue(), StandardCharsets.UTF_8));
      separator = '&';
    }
    try {
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(URI.create(uri.toString())).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode body = JSON.readTree(answer.body());
      if (answer.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
        throw new AssertionError(
            "Prometheus refused " + parameters + ": " + answer.statusCode() + " " + answer.body());
      }
      return body;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private void awaitReady(Duration wait) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    HttpRequest ready = HttpRequest.newBuilder(URI.create(url + "/-/ready")).GET().build();
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
            "prometheus exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("prometheus not ready at " + url + " after " + wait);
      }
      TimeUnit.MILLISECONDS.sleep(100); // polling a port another process opens
    }
  }

  /** SIGTERM to the process started here (by its PID), then waits for it. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
