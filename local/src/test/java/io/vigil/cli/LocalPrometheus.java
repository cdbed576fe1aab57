package io.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.embedded.prometheus.PrometheusServer;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Debian's {@code prometheus} ({@link PrometheusServer}), scraping some targets every second for
 * the side-by-side test, asked through its HTTP API ({@code /api/v1/query}).
 */
final class LocalPrometheus implements AutoCloseable {
  private final PrometheusServer server;

  private LocalPrometheus(PrometheusServer server) {
    this.server = server;
  }

  /** Whether the binary is there. */
  static boolean installed() {
    return PrometheusServer.binary().isPresent();
  }

  /**
   * Starts it in {@code dir} (configuration, TSDB and log) scraping {@code targets} ({@code
   * host:port}, path {@code /metrics}) every second as job {@code sdk}, and waits until it is ready
   * (at most 30 s).
   */
  static LocalPrometheus start(Path dir, List<String> targets)
      throws IOException, InterruptedException {
    String config =
        """
        global:
          scrape_interval: 1s
          scrape_timeout: 900ms
        scrape_configs:
          - job_name: sdk
            static_configs:
              - targets: [%s]
        """
            .formatted(String.join(", ", targets.stream().map(t -> "'" + t + "'").toList()));
    return new LocalPrometheus(
        PrometheusServer.start(
            PrometheusServer.binary().orElseThrow(), dir, config, Duration.ofSeconds(30)));
  }

  /** The {@code data.result} of an instant query evaluated at {@code at}. */
  JsonNode query(String promql, Instant at) throws IOException, InterruptedException {
    JsonNode body =
        Json.mapper()
            .readTree(
                server.get(
                    "/api/v1/query", Map.of("query", promql, "time", seconds(at.toEpochMilli()))));
    if (!"success".equals(body.path("status").asText())) {
      throw new IOException(promql + ": " + body);
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

  /** Stops the server (by its PID). */
  @Override
  public void close() {
    server.close();
  }
}
