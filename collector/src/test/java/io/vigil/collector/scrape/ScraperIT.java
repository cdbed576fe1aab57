package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.TopicTail;
import io.vigil.collector.kafka.KafkaProbe;
import io.vigil.collector.kafka.KafkaShipper;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.prometheus.NodeExporter;
import io.vigil.model.Topics;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.TopicInitializer;
import io.vigil.model.otlp.OtlpAttributes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scraper against a real broker: Debian's {@code prometheus-node-exporter} scraped for real
 * (skipped where the binary is absent), and targets that hang, answer garbage or OpenMetrics.
 */
@WithKafka
class ScraperIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final CountDownLatch release = new CountDownLatch(1);
  private HttpServer pages;
  private NodeExporter nodeExporter;

  @BeforeEach
  void serve() throws IOException {
    pages = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    pages.setExecutor(Executors.newFixedThreadPool(4));
    pages.createContext(
        "/hang",
        exchange -> {
          try {
            release.await(); // never answers while the test runs
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.close();
        });
    pages.createContext(
        "/garbage",
        exchange -> {
          byte[] body = "this is { not metrics\n".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    pages.createContext(
        "/om",
        exchange -> {
          byte[] body =
              ExpositionTest.fixture("openmetrics-alltypes-exemplars.om.txt")
                  .getBytes(StandardCharsets.UTF_8);
          exchange
              .getResponseHeaders()
              .set("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    pages.start();
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    pages.stop(0);
    if (nodeExporter != null) {
      nodeExporter.close(); // SIGTERM to the PID we started
    }
  }

  @Test
  void scrapesNodeExporterWhileOtherTargetsHangOrFail(EmbeddedKafka kafka) throws Exception {
    assumeTrue(NodeExporter.installed(), "prometheus-node-exporter not installed");
    nodeExporter = NodeExporter.start("cpu", "meminfo", "loadavg", "filesystem");
    String pagesAt = "127.0.0.1:" + pages.getAddress().getPort();
    ScrapeSettings settings =
        new ScrapeSettings(
            true,
            Duration.ofSeconds(1),
            Duration.ofMillis(500),
            null,
            List.of(
                new ScrapeSettings.Job(
                    "node", List.of(nodeExporter.address()), null, null, Map.of("env", "test")),
                new ScrapeSettings.Job("stuck", List.of(pagesAt), "/hang", null, null),
                new ScrapeSettings.Job("broken", List.of(pagesAt), "/garbage", null, null),
                new ScrapeSettings.Job("openmetrics", List.of(pagesAt), "/om", null, null)));
    KafkaSettings kafkaSettings = KafkaSettings.of(kafka.bootstrapServers());
    TopicInitializer.ensureTopics(kafkaSettings, Set.of(Topics.OTLP_METRICS), Map.of());
    PrometheusRegistry registry = new PrometheusRegistry();

    List<ResourceMetrics> scraped = new ArrayList<>();
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_METRICS);
        KafkaProbe probe = KafkaProbe.start(kafkaSettings, registry);
        KafkaShipper shipper =
            KafkaShipper.create(kafkaSettings, Duration.ofSeconds(10), probe, registry);
        Scraper scraper = Scraper.start(settings, shipper, registry)) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (count(scraped, "node") < 3
          || count(scraped, "stuck") < 2
          || count(scraped, "broken") < 1
          || count(scraped, "openmetrics") < 1) {
        assertThat(System.nanoTime()).as("every target scraped in time").isLessThan(deadline);
        for (ConsumerRecord<byte[], byte[]> r : tail.await(1, Duration.ofMillis(200))) {
          scraped.addAll(ExportMetricsServiceRequest.parseFrom(r.value()).getResourceMetricsList());
        }
      }
    }

    ResourceMetrics node = latest(scraped, "node");
    var resource = node.getResource().getAttributesList();
    assertThat(OtlpAttributes.get(resource, "service.instance.id"))
        .isEqualTo(nodeExporter.address());
    assertThat(OtlpAttributes.get(resource, "env")).isEqualTo("test");
    Metric cpu = metric(node, "node_cpu_seconds_total");
    assertThat(cpu.getSum().getIsMonotonic()).isTrue();
    assertThat(cpu.getSum().getDataPointsCount()).isGreaterThan(1);
    assertThat(
            metric(node, "node_memory_MemAvailable_bytes")
                .getGauge()
                .getDataPoints(0)
                .getAsDouble())
        .isPositive();
    assertThat(up(node)).isEqualTo(1);
    assertThat(up(latest(scraped, "stuck"))).as("a hanging target is down").isZero();
    assertThat(up(latest(scraped, "broken"))).as("a garbage page is down").isZero();
    ResourceMetrics om = latest(scraped, "openmetrics");
    assertThat(up(om)).isEqualTo(1);
    assertThat(
            metric(om, "rpc_durations_histogram_seconds")
                .getHistogram()
                .getDataPoints(0)
                .getCount())
        .isEqualTo(15);
  }

  private static long count(List<ResourceMetrics> scraped, String job) {
    return scraped.stream()
        .filter(r -> job.equals(OtlpAttributes.serviceName(r.getResource())))
        .count();
  }

  private static ResourceMetrics latest(List<ResourceMetrics> scraped, String job) {
    return scraped.stream()
        .filter(r -> job.equals(OtlpAttributes.serviceName(r.getResource())))
        .reduce((a, b) -> b)
        .orElseThrow();
  }

  private static Metric metric(ResourceMetrics rm, String name) {
    return rm.getScopeMetrics(0).getMetricsList().stream()
        .filter(m -> m.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no metric " + name));
  }

  private static double up(ResourceMetrics rm) {
    return metric(rm, "up").getGauge().getDataPoints(0).getAsDouble();
  }
}
