package io.vigil.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vigil.embedded.prometheus.AlertmanagerServer;
import io.vigil.embedded.prometheus.PrometheusServer;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prometheus and Alertmanager (Debian's packages) beside Vigil in the same run, on the same trials,
 * tuned as issue 8 asks for the comparison: 1 s scrape and evaluation interval, {@code group_wait:
 * 0s}, every alert its own group, Slack notifications to a Slack sink of their own. The trial
 * services' request and error counters are served on a {@code /metrics} page of this process, at 0
 * from the start (so Prometheus has a sample before the errors: a series first seen at its
 * violating value never alerts on {@code increase()}), and set to a request's worth of errors at
 * the moment Vigil's collector accepted that trial's violating request. The rule is Vigil's: error
 * ratio above 0.5, {@code for: 0s}.
 */
final class PrometheusBeside implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final HttpServer metrics;
  private final SlackSink slack;
  private final AlertmanagerServer alertmanager;
  private final PrometheusServer prometheus;
  private final Map<String, Long> requests = new ConcurrentHashMap<>();
  private final Map<String, Long> violatedAt = new ConcurrentHashMap<>();
  private final Map<String, Long> latencies = new ConcurrentHashMap<>();

  private PrometheusBeside(
      HttpServer metrics,
      SlackSink slack,
      AlertmanagerServer alertmanager,
      PrometheusServer prometheus,
      List<String> services) {
    this.metrics = metrics;
    this.slack = slack;
    this.alertmanager = alertmanager;
    this.prometheus = prometheus;
    services.forEach(service -> requests.put(service, 0L));
    slack.onPost(post -> BenchRequests.recordLatency(post, violatedAt, latencies));
  }

  /**
   * Starts the three in {@code dir} with {@code services} at 0 requests, and waits until Prometheus
   * has scraped them once; empty when Prometheus or Alertmanager is not installed.
   */
  static Optional<PrometheusBeside> start(Path dir, List<String> services)
      throws IOException, InterruptedException {
    Optional<Path> prometheusBinary = PrometheusServer.binary();
    Optional<Path> alertmanagerBinary = AlertmanagerServer.binary();
    if (prometheusBinary.isEmpty() || alertmanagerBinary.isEmpty()) {
      return Optional.empty();
    }
    HttpServer metrics =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    SlackSink slack = SlackSink.start(0);
    AlertmanagerServer alertmanager = null;
    try {
      alertmanager =
          AlertmanagerServer.start(
              alertmanagerBinary.get(),
              dir.resolve("alertmanager"),
              """
              global: {slack_api_url: '%s'}
              route: {receiver: slack, group_by: ['...'], group_wait: 0s}
              receivers:
                - name: slack
                  slack_configs: [{channel: '#bench'}]
              """
                  .formatted(slack.webhookUrl()),
              WAIT);
      Files.createDirectories(dir.resolve("prometheus"));
      Files.writeString(
          dir.resolve("prometheus").resolve("rules.yml"),
          """
          groups:
            - name: bench
              rules:
                - alert: HighErrorRatio
                  expr: >
                    increase(bench_request_errors_total[10s])
                      / increase(bench_requests_total[10s]) > 0.5
                  labels: {severity: critical}
          """);
      PrometheusServer prometheus =
          PrometheusServer.start(
              prometheusBinary.get(),
              dir.resolve("prometheus"),
              """
              global: {scrape_interval: 1s, evaluation_interval: 1s}
              rule_files: [rules.yml]
              alerting:
                alertmanagers: [{static_configs: [{targets: ['127.0.0.1:%d']}]}]
              scrape_configs:
                - job_name: bench
                  static_configs: [{targets: ['127.0.0.1:%d']}]
              """
                  .formatted(alertmanager.url().getPort(), metrics.getAddress().getPort()),
              WAIT);
      PrometheusBeside beside =
          new PrometheusBeside(metrics, slack, alertmanager, prometheus, services);
      metrics.createContext("/metrics", beside::serve);
      metrics.start();
      beside.awaitScraped();
      return Optional.of(beside);
    } catch (IOException | RuntimeException | InterruptedException e) {
      metrics.stop(0);
      slack.close();
      if (alertmanager != null) {
        alertmanager.close();
      }
      throw e;
    }
  }

  /** Sets {@code service}'s counters to {@code count} requests, every one an error. */
  void violate(String service, long count) {
    requests.put(service, count);
    violatedAt.put(service, System.currentTimeMillis());
  }

  /** Trials that alerted so far. */
  int alerted() {
    return latencies.size();
  }

  /** Trials violated so far. */
  int violated() {
    return violatedAt.size();
  }

  /** Alert latencies: trial → ms from the counters' change to the Slack POST. */
  Map<String, Long> latencies() {
    return latencies;
  }

  /** The scrape page: each service's requests, every one of them an error. */
  private void serve(HttpExchange exchange) throws IOException {
    StringBuilder page = new StringBuilder();
    page.append("# TYPE bench_requests_total counter\n");
    requests.forEach(
        (service, count) ->
            page.append("bench_requests_total{service=\"%s\"} %d\n".formatted(service, count)));
    page.append("# TYPE bench_request_errors_total counter\n");
    requests.forEach(
        (service, count) ->
            page.append(
                "bench_request_errors_total{service=\"%s\"} %d\n".formatted(service, count)));
    byte[] body = page.toString().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** Until Prometheus has every service's zero (a violation before that would never alert). */
  private void awaitScraped() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (scrapedSeries() != requests.size()) {
      if (System.nanoTime() > deadline) {
        throw new IOException("Prometheus did not scrape the bench's page within " + WAIT);
      }
      Thread.sleep(200); // polling another process's state, with a deadline
    }
  }

  /**
   * How many {@code bench_requests_total} series Prometheus has: the value of {@code count(…)} (the
   * sample's second element, a string), -1 while it has none.
   */
  private long scrapedSeries() throws IOException, InterruptedException {
    JsonNode result =
        Json.mapper()
            .readTree(
                prometheus.get("/api/v1/query", Map.of("query", "count(bench_requests_total)")))
            .path("data")
            .path("result");
    return result.isEmpty() ? -1 : Long.parseLong(result.get(0).path("value").get(1).asText());
  }

  @Override
  public void close() {
    try (slack;
        alertmanager;
        prometheus) {
      metrics.stop(0);
    }
  }
}
