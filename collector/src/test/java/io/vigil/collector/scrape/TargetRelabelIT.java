package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.CollectorConfig;
import io.vigil.collector.sink.RecordSink;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.otlp.OtlpAttributes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A static job's relabel_configs against a real HTTP server: the rules choose the targets and make
 * the URL that is requested and the resource that is stored.
 */
class TargetRelabelIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final List<String> requested = new CopyOnWriteArrayList<>();
  private final List<ExportMetricsServiceRequest> stored = new CopyOnWriteArrayList<>();
  private HttpServer server;

  @BeforeEach
  void serve() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          requested.add(exchange.getRequestURI().toString());
          boolean metrics = exchange.getRequestURI().getPath().equals("/shop/metrics");
          byte[] body =
              (metrics ? "# TYPE orders_total counter\norders_total 42\n" : "not here\n")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(metrics ? 200 : 404, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private RecordSink sink() {
    return records -> {
      for (SinkRecord r : records) {
        try {
          stored.add(ExportMetricsServiceRequest.parseFrom(r.value()));
        } catch (IOException e) {
          return CompletableFuture.failedFuture(e);
        }
      }
      return CompletableFuture.completedFuture(null);
    };
  }

  @Test
  void rulesChooseTheTargetsAndMakeTheUrlAndLabelsScraped() throws Exception {
    String address = "127.0.0.1:" + server.getAddress().getPort();
    CollectorConfig config =
        CollectorConfig.load(
            """
            kafka: {bootstrap_servers: localhost:9092}
            scrape:
              enabled: true
              interval: 200ms
              timeout: 150ms
              jobs:
                - job: shop
                  # The address is a name the rules map to the server; two others go nowhere.
                  targets: ['checkout.shop.svc', 'legacy.shop.svc', 'broken.shop.svc']
                  path: /wrong
                  params: {module: [orders]}
                  labels: {team: payments}
                  relabel_configs:
                    - {source_labels: [__address__], regex: 'legacy\\..*', action: drop}
                    - {source_labels: [__address__], regex: '([^.]+)\\..*', target_label: app}
                    - {source_labels: [__address__], target_label: instance}
                    - {target_label: __address__, replacement: '%s'}
                    - source_labels: [instance]
                      regex: 'broken\\..*'
                      target_label: __address__
                      replacement: ''
                    - {source_labels: [job], regex: '(.*)', target_label: __metrics_path__, replacement: '/$1/metrics'}
                    - {source_labels: [app], target_label: __param_app}
                    - {regex: team, action: labeldrop}
            """
                .formatted(address),
            Map.of());
    PrometheusRegistry registry = new PrometheusRegistry();

    try (Scraper scraper = Scraper.start(config.scrape(), sink(), registry)) {
      await(() -> stored.stream().anyMatch(TargetRelabelIT::hasOrders), "the kept target scraped");

      assertThat(scraper.targets()).as("one dropped, one without an address").isEqualTo(1);
      assertThat(requested)
          .as("the path and query the rules made, and nothing else")
          .allSatisfy(uri -> assertThat(uri).isEqualTo("/shop/metrics?app=checkout&module=orders"));
      ResourceMetrics scraped =
          stored.stream()
              .filter(TargetRelabelIT::hasOrders)
              .findFirst()
              .orElseThrow()
              .getResourceMetrics(0);
      var resource = scraped.getResource().getAttributesList();
      assertThat(OtlpAttributes.get(resource, "service.name")).isEqualTo("shop");
      assertThat(OtlpAttributes.get(resource, "service.instance.id"))
          .isEqualTo("checkout.shop.svc");
      assertThat(OtlpAttributes.get(resource, "app")).isEqualTo("checkout");
      assertThat(OtlpAttributes.get(resource, "team")).as("dropped by labeldrop").isNull();
      assertThat(resource).extracting(kv -> kv.getKey()).noneMatch(key -> key.startsWith("__"));
      assertThat(stored)
          .as("every scrape from the one target")
          .allSatisfy(
              r ->
                  assertThat(r.getResourceMetrics(0).getResource())
                      .isEqualTo(scraped.getResource()));

      String metrics = text(registry);
      assertThat(metrics)
          .contains("vigil_collector_scrape_targets{job=\"shop\",state=\"active\"} 1.0")
          .contains("vigil_collector_scrape_targets{job=\"shop\",state=\"dropped\"} 1.0")
          .contains("vigil_collector_scrape_targets{job=\"shop\",state=\"invalid\"} 1.0")
          .contains(
              "vigil_collector_scrape_target_errors_total{job=\"shop\",reason=\"no_address\"} 1.0");
    }
  }

  /** A scrape that got the page (an early one may time out while the JVM warms up). */
  private static boolean hasOrders(ExportMetricsServiceRequest request) {
    return request.getResourceMetrics(0).getScopeMetrics(0).getMetricsList().stream()
        .map(Metric::getName)
        .anyMatch("orders_total"::equals);
  }

  private static String text(PrometheusRegistry registry) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(20); // polling what the sink holds, with a deadline
    }
  }
}
