package io.vigil.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vigil.embedded.prometheus.PrometheusServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A real Prometheus server ({@link PrometheusServer}) scraping the demo's services every second,
 * with the questions the dashboard checks ask it.
 */
final class PrometheusProcess implements AutoCloseable {
  /** How often it scrapes: often enough that a one-minute demo leaves many samples. */
  static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(1);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final PrometheusServer server;

  private PrometheusProcess(PrometheusServer server) {
    this.server = server;
  }

  /** The {@code prometheus} binary on the PATH, if there is one. */
  static Optional<Path> binary() {
    return PrometheusServer.binary();
  }

  /**
   * Starts {@code binary} in {@code dir} (its configuration, data and log go there) scraping, for
   * each job, its targets ({@code host:port}) with the label {@code service}, and waits until it is
   * ready (at most 60 s).
   */
  static PrometheusProcess start(Path binary, Path dir, Map<String, ScrapeJob> jobs)
      throws IOException, InterruptedException {
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
    String yaml = new ObjectMapper(new YAMLFactory()).writeValueAsString(config);
    return new PrometheusProcess(PrometheusServer.start(binary, dir, yaml, Duration.ofSeconds(60)));
  }

  /** One scrape job: its targets ({@code host:port}) and the {@code service} label it adds. */
  record ScrapeJob(List<String> targets, String service) {}

  /** Its base URL, {@code http://127.0.0.1:<port>}. */
  String url() {
    return server.url().toString();
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
    try {
      JsonNode body = JSON.readTree(server.get(path, parameters));
      if (!"success".equals(body.path("status").asText())) {
        throw new AssertionError("Prometheus refused " + parameters + ": " + body);
      }
      return body;
    } catch (IOException e) {
      throw new AssertionError("Prometheus refused " + parameters + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Stops the server (by its PID). */
  @Override
  public void close() {
    server.close();
  }
}
