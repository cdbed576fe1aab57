package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.vigil.collector.scrape.Exposition.Family;
import io.vigil.collector.scrape.Exposition.Format;
import io.vigil.collector.scrape.Exposition.Sample;
import io.vigil.embedded.prometheus.PrometheusServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our parse of real expositions against Prometheus' own, sample by sample: Debian's {@code
 * prometheus} scrapes each fixture served over HTTP (the text format, or OpenMetrics for the {@code
 * .om.txt} ones), and every series it stored — name, labels, value — must be one our parser read
 * from the same bytes, and the other way round. (promtool shares that parser but only gives a
 * verdict: {@code ExpositionTest.agreesWithPromtool}.) Skipped where Prometheus is not installed.
 * The cAdvisor and kubelet fixtures stamp their samples months ago, which Prometheus would drop as
 * out of bounds: it is told to ignore sample timestamps ({@code honor_timestamps: false}), and
 * values are compared, not times.
 */
class PrometheusParityIT {
  private static final List<String> FIXTURES =
      List.of(
          "node-exporter.txt",
          "cadvisor-testdata-prometheus_metrics.txt",
          "cadvisor-testdata-prometheus_machine_metrics.txt",
          "kubelet-metrics-cadvisor-k8s1.35.excerpt.txt",
          "prometheus-v1-selfscrape-common-testdata.prom.txt",
          "prometheus-server-selfscrape-237mfs.prom.txt",
          "openmetrics-1histogram.om.txt",
          "openmetrics-alltypes-exemplars.om.txt");

  /** The series Prometheus adds to each target's own. */
  private static final List<String> SYNTHETIC =
      List.of(
          "up",
          "scrape_duration_seconds",
          "scrape_samples_scraped",
          "scrape_samples_post_metric_relabeling",
          "scrape_series_added");

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void everySampleIsReadAsPrometheusReadsIt() throws Exception {
    Path binary = PrometheusServer.binary().orElse(null);
    assumeTrue(binary != null, "prometheus not installed (Debian package prometheus)");
    HttpServer targets =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    for (String fixture : FIXTURES) {
      byte[] page = ExpositionTest.fixture(fixture).getBytes(StandardCharsets.UTF_8);
      targets.createContext(
          "/" + fixture,
          exchange -> {
            exchange
                .getResponseHeaders()
                .set(
                    "Content-Type",
                    fixture.endsWith(".om.txt")
                        ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                        : "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, page.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(page);
            }
          });
    }
    targets.start();
    String address = "127.0.0.1:" + targets.getAddress().getPort();
    StringBuilder config = new StringBuilder("global: {scrape_interval: 1s}\nscrape_configs:\n");
    for (int n = 0; n < FIXTURES.size(); n++) {
      config
          .append("  - job_name: fixture-")
          .append(n)
          .append("\n    honor_labels: true\n    honor_timestamps: false\n    metrics_path: /")
          .append(FIXTURES.get(n))
          .append("\n    static_configs: [{targets: ['")
          .append(address)
          .append("'], labels: {parity_fixture: '")
          .append(n)
          .append("'}}]\n");
    }
    try (PrometheusServer prometheus =
        PrometheusServer.start(binary, dir.resolve("prometheus"), config.toString(), WAIT)) {
      for (int n = 0; n < FIXTURES.size(); n++) {
        String fixture = FIXTURES.get(n);
        Map<String, Double> ours = ours(fixture, address, n);
        Map<String, Double> theirs = awaitScraped(prometheus, n, ours.size());

        assertThat(theirs.keySet())
            .as("%s: the series Prometheus stored", fixture)
            .containsExactlyInAnyOrderElementsOf(ours.keySet());
        theirs.forEach(
            (series, value) ->
                assertThat(value) // boxed: NaN equals NaN, as both sides mean it
                    .as("%s: %s", fixture, series)
                    .isEqualTo(ours.get(series)));
      }
    } finally {
      targets.stop(0);
    }
  }

  /**
   * Our parse of {@code fixture}, as Prometheus would store it: target labels the page does not set
   * ({@code honor_labels}) added, labels with an empty value left out (Prometheus' "no label").
   */
  private static Map<String, Double> ours(String fixture, String address, int n) throws Exception {
    Map<String, Double> series = new TreeMap<>();
    Format format = fixture.endsWith(".om.txt") ? Format.OPENMETRICS : Format.TEXT;
    for (Family family : Exposition.parse(ExpositionTest.fixture(fixture), format)) {
      for (Sample sample : family.samples()) {
        Map<String, String> labels = new TreeMap<>();
        sample
            .labels()
            .forEach(
                (k, v) -> {
                  if (!v.isEmpty()) {
                    labels.put(k, v);
                  }
                });
        labels.putIfAbsent("job", "fixture-" + n);
        labels.putIfAbsent("instance", address);
        labels.putIfAbsent("parity_fixture", Integer.toString(n));
        series.put(key(sample.name(), labels), sample.value());
      }
    }
    return series;
  }

  /**
   * Every series of fixture {@code n} Prometheus has, once a scrape of it is in (it stores a page
   * whole, with {@code up}); its synthetic series left out.
   */
  private static Map<String, Double> awaitScraped(PrometheusServer prometheus, int n, int expected)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      Map<String, Double> series = new TreeMap<>();
      JsonNode result =
          JSON.readTree(
                  prometheus.get(
                      "/api/v1/query", Map.of("query", "{parity_fixture=\"" + n + "\"}")))
              .path("data")
              .path("result");
      boolean scraped = false;
      for (JsonNode item : result) {
        Map<String, String> labels = new TreeMap<>();
        item.path("metric")
            .fields()
            .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        String name = labels.remove("__name__");
        if (SYNTHETIC.contains(name) && labels.get("job").equals("fixture-" + n)) {
          scraped |= name.equals("up") && item.path("value").get(1).asText().equals("1");
          continue;
        }
        series.put(key(name, labels), value(item.path("value").get(1).asText()));
      }
      if (scraped && !series.isEmpty()) {
        return series;
      }
      assertThat(System.nanoTime())
          .as("Prometheus scraped fixture %d (%d series expected)", n, expected)
          .isLessThan(deadline);
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
  }

  private static String key(String name, Map<String, String> labels) {
    return name + labels;
  }

  /** A value as Prometheus' API writes it ({@code NaN}, {@code +Inf}, {@code -Inf}, a number). */
  private static double value(String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(text);
    };
  }
}
