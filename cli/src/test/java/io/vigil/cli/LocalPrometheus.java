package io.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.model.json.Json;
import java.io.IOException;
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
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code prometheus}, started for a test on 127.0.0.1 with its own storage directory,
 * scraping some targets every second, and stopped by its PID. Asked through its HTTP API ({@code
 * /api/v1/query}).
 */
final class LocalPrometheus implements AutoCloseable {
  /** Where Debian's package puts the binary. */
  static final Path BINARY = Path.of("/usr/bin/prometheus");

  private final Process process;
  private final URI base;
  private final Path log;
  private final HttpClient http = HttpClient.newHttpClient();

  private LocalPrometheus(Process process, URI base, Path log) {
    this.process = process;
    this.base = base;
    this.log = log;
  }

  /** Whether the binary is there. */
  static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  /**
   * Starts it in {@code dir} (configuration, TSDB and log) listening on {@code port}, scraping
   * {@code targets} ({@code host:port}, path {@code /metrics}) every second as job {@code sdk}, and
   * waits until {@code /-/ready} answers 200 (at most 30 s).
   */
  static LocalPrometheus start(Path dir, int port, List<String> targets)
      throws IOException, InterruptedException {
    Path config =
        Files.writeString(
            dir.resolve("prometheus.yml"),
            """
            global:
              scrape_interval: 1s
              scrape_timeout: 900ms
            scrape_configs:
              - job_name: sdk
                static_configs:
                  - targets: [%s]
            """
                .formatted(String.join(", ", targets.stream().map(t -> "'" + t + "'").toList())));
    Path log = dir.resolve("prometheus.log");
    Process process =
        new ProcessBuilder(
                BINARY.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + Files.createDirectories(dir.resolve("tsdb")),
                "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    LocalPrometheus prometheus =
        new LocalPrometheus(process, URI.create("http://127.0.0.1:" + port), log);
    try {
      prometheus.awaitReady(Duration.ofSeconds(30));
    } catch (IOException | RuntimeException | InterruptedException e) {
      prometheus.close();
      throw e;
    }
    return prometheus;
  }

  private void awaitReady(Duration wait) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      try {
        HttpResponse<Void> ready =
            http.send(
                HttpRequest.newBuilder(base.resolve("/-/ready")).build(),
                HttpResponse.BodyHandlers.discarding());
        if (ready.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (!process.isAlive()) {
        throw new IOException(
            "prometheus exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("prometheus not ready after " + wait + ":\n" + Files.readString(log));
      }
      TimeUnit.MILLISECONDS.sleep(100); // polling another process' readiness with a deadline
    }
  }

  /** The {@code data.result} of an instant query evaluated at {@code at}. */
  JsonNode query(String promql, Instant at) throws IOException, InterruptedException {
    String form =
        "query="
            + URLEncoder.encode(promql, StandardCharsets.UTF_8)
            + "&time="
            + seconds(at.toEpochMilli());
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(base.resolve("/api/v1/query"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode body = Json.mapper().readTree(response.body());
    if (response.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
      throw new IOException(promql + ": HTTP " + response.statusCode() + " " + response.body());
    }
    return body.path("data").path("result");
  }

  /**
   * The value of an instant query whose answer is one sample (a scalar-valued aggregation), or
   * {@code absent} when the answer is empty.
   */
  double value(String promql, Instant at, double absent) throws IOException, InterruptedException {
    JsonNode result = query(promql, at);
    if (result.isEmpty()) {
      return absent;
    }
    if (result.size() > 1) {
      throw new IOException(promql + ": more than one sample: " + result);
    }
    return Double.parseDouble(result.get(0).path("value").get(1).asText());
  }

  /**
   * The raw samples (no staleness markers) of every series {@code selector} matches in {@code (at -
   * range, at]}: a range-vector selector evaluated as an instant query.
   */
  List<Series> samples(String selector, Instant at, Duration range)
      throws IOException, InterruptedException {
    List<Series> all = new ArrayList<>();
    for (JsonNode series : query(selector + "[" + range.toSeconds() + "s]", at)) {
      Map<String, String> labels = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> label : series.path("metric").properties()) {
        labels.put(label.getKey(), label.getValue().asText());
      }
      List<Sample> samples = new ArrayList<>();
      for (JsonNode pair : series.path("values")) {
        samples.add(
            new Sample(
                Math.round(pair.get(0).asDouble() * 1000),
                Double.parseDouble(pair.get(1).asText())));
      }
      all.add(new Series(labels, samples));
    }
    return all;
  }

  /** One series' labels and raw samples, oldest first. */
  record Series(Map<String, String> labels, List<Sample> samples) {}

  /** A raw sample: scrape time (epoch ms) and value. */
  record Sample(long timeMs, double value) {}

  /** Epoch milliseconds as the API's decimal seconds. */
  static String seconds(long epochMs) {
    return Math.floorDiv(epochMs, 1000) + "." + String.format("%03d", Math.floorMod(epochMs, 1000));
  }

  /** SIGTERM to the process started here (by its PID), then waits for it. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
