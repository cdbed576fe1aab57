package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.TopicTail;
import io.vigil.collector.kafka.KafkaShipper;
import io.vigil.collector.otlp.ResourceSplitter;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.prometheus.NodeExporter;
import io.vigil.embedded.tls.TestCertificates;
import io.vigil.model.Topics;
import io.vigil.model.kafka.KafkaProbe;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.TopicInitializer;
import io.vigil.model.otlp.OtlpAttributes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    pages.createContext(
        "/big",
        exchange -> {
          StringBuilder page = new StringBuilder("# TYPE big_series gauge\n");
          for (int i = 0; i < BIG_SERIES; i++) {
            page.append("big_series{i=\"")
                .append(i)
                .append("\",pad=\"")
                .append("p".repeat(40))
                .append("\"} ")
                .append(i)
                .append('\n');
          }
          byte[] body = page.toString().getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    pages.start();
  }

  /** Series on the /big page: about 3 MB of OTLP, three Kafka records' worth. */
  private static final int BIG_SERIES = 30_000;

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
        KafkaProbe probe = KafkaProbe.start("collector", kafkaSettings, registry);
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

  /**
   * A page larger than one Kafka record (1 MiB by default) is stored in parts of at most {@link
   * ResourceSplitter#MAX_RECORD_BYTES}, every series in one of them, rather than refused by the
   * producer.
   */
  @Test
  void aPageLargerThanAKafkaRecordIsStoredInParts(EmbeddedKafka kafka) throws Exception {
    String pagesAt = "127.0.0.1:" + pages.getAddress().getPort();
    ScrapeSettings settings =
        new ScrapeSettings(
            true,
            Duration.ofSeconds(5),
            Duration.ofSeconds(4),
            null,
            List.of(new ScrapeSettings.Job("big", List.of(pagesAt), "/big", null, null)));
    KafkaSettings kafkaSettings = KafkaSettings.of(kafka.bootstrapServers());
    TopicInitializer.ensureTopics(kafkaSettings, Set.of(Topics.OTLP_METRICS), Map.of());
    PrometheusRegistry registry = new PrometheusRegistry();

    Set<String> series = new HashSet<>();
    List<Integer> sizes = new ArrayList<>();
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_METRICS);
        KafkaProbe probe = KafkaProbe.start("collector", kafkaSettings, registry);
        KafkaShipper shipper =
            KafkaShipper.create(kafkaSettings, Duration.ofSeconds(10), probe, registry);
        Scraper scraper = Scraper.start(settings, shipper, registry)) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (series.size() < BIG_SERIES) {
        assertThat(System.nanoTime())
            .as("every series of the big page in Kafka in time (%d so far)", series.size())
            .isLessThan(deadline);
        for (ConsumerRecord<byte[], byte[]> r : tail.await(1, Duration.ofMillis(200))) {
          sizes.add(r.value().length);
          for (ResourceMetrics rm :
              ExportMetricsServiceRequest.parseFrom(r.value()).getResourceMetricsList()) {
            for (Metric m : rm.getScopeMetrics(0).getMetricsList()) {
              if (m.getName().equals("big_series")) {
                m.getGauge()
                    .getDataPointsList()
                    .forEach(p -> series.add(OtlpAttributes.get(p.getAttributesList(), "i")));
              }
            }
          }
        }
      }
    }

    assertThat(sizes).as("records of one scrape").hasSizeGreaterThanOrEqualTo(3);
    assertThat(sizes)
        .allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(ResourceSplitter.MAX_RECORD_BYTES));
  }

  /**
   * A kubelet as the collector meets it in a cluster: cAdvisor's page over HTTPS with a certificate
   * no public CA signed, for a bearer token only. The service-account token is read again at every
   * scrape (it rotates); the target's CA, or insecure_skip_verify, decides whom it trusts.
   */
  @Test
  void scrapesAnHttpsTargetWithABearerTokenAsAKubeletIsScraped(
      EmbeddedKafka kafka, @TempDir Path dir) throws Exception {
    TestCertificates.make(dir, "kubelet");
    Path token = Files.writeString(dir.resolve("token"), "first-token\n");
    AtomicReference<String> accepted = new AtomicReference<>("first-token");
    byte[] page =
        ExpositionTest.fixture("kubelet-metrics-cadvisor-k8s1.35.excerpt.txt")
            .getBytes(StandardCharsets.UTF_8);
    HttpsServer kubelet =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(TestCertificates.keyStore(dir, "kubelet"), TestCertificates.PASSWORD.toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keys.getKeyManagers(), null, null);
    kubelet.setHttpsConfigurator(new HttpsConfigurator(tls));
    kubelet.createContext(
        "/metrics/cadvisor",
        exchange -> {
          String auth = exchange.getRequestHeaders().getFirst("Authorization");
          boolean allowed = ("Bearer " + accepted.get()).equals(auth);
          byte[] body = allowed ? page : "Unauthorized".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(allowed ? 200 : 401, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    kubelet.start();
    String address = "127.0.0.1:" + kubelet.getAddress().getPort();
    String ca = dir.resolve("kubelet.crt").toString();
    ScrapeSettings settings =
        new ScrapeSettings(
            true,
            Duration.ofSeconds(1),
            Duration.ofMillis(900),
            null,
            List.of(
                new ScrapeSettings.Job(
                    "kubelet",
                    List.of(address),
                    "/metrics/cadvisor",
                    "https",
                    null,
                    null,
                    token.toString(),
                    new ScrapeSettings.TlsConfig(ca, null, null, null, null),
                    null,
                    // As the DaemonSet does: only what saturation reads.
                    null,
                    List.of(
                        RelabelConfig.keep(
                            List.of("__name__"),
                            "container_(cpu_usage_seconds_total|memory_working_set_bytes)"))),
                job(
                    "insecure",
                    address,
                    token,
                    new ScrapeSettings.TlsConfig(null, null, null, null, true)),
                job("untrusted", address, token, null),
                job(
                    "no-token",
                    address,
                    null,
                    new ScrapeSettings.TlsConfig(ca, null, null, null, null)),
                job(
                    "token-missing",
                    address,
                    dir.resolve("nonexistent-token"),
                    new ScrapeSettings.TlsConfig(ca, null, null, null, null))));
    KafkaSettings kafkaSettings = KafkaSettings.of(kafka.bootstrapServers());
    TopicInitializer.ensureTopics(kafkaSettings, Set.of(Topics.OTLP_METRICS), Map.of());
    PrometheusRegistry registry = new PrometheusRegistry();
    List<ResourceMetrics> scraped = new ArrayList<>();
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_METRICS);
        KafkaProbe probe = KafkaProbe.start("collector", kafkaSettings, registry);
        KafkaShipper shipper =
            KafkaShipper.create(kafkaSettings, Duration.ofSeconds(10), probe, registry);
        Scraper scraper = Scraper.start(settings, shipper, registry)) {
      awaitScrapes(
          tail,
          scraped,
          Map.of("kubelet", 1, "insecure", 1, "untrusted", 1, "no-token", 1, "token-missing", 1));
      assertThat(up(latest(scraped, "kubelet"))).isEqualTo(1);
      ResourceMetrics kubeletPage = latest(scraped, "kubelet");
      assertThat(metric(kubeletPage, "container_cpu_usage_seconds_total").hasSum()).isTrue();
      assertThat(kubeletPage.getScopeMetrics(0).getMetricsList())
          .extracting(Metric::getName)
          .as("only what the keep rule keeps, and the scrape's own health")
          .containsExactlyInAnyOrder(
              "container_cpu_usage_seconds_total",
              "container_memory_working_set_bytes",
              "up",
              "scrape_duration_seconds",
              "scrape_samples_scraped",
              "scrape_samples_post_metric_relabeling");
      assertThat(
              metric(kubeletPage, "scrape_samples_post_metric_relabeling")
                  .getGauge()
                  .getDataPoints(0)
                  .getAsDouble())
          .isEqualTo(16); // 8 cgroups × 2 metrics
      assertThat(up(latest(scraped, "insecure"))).isEqualTo(1);
      assertThat(up(latest(scraped, "untrusted")))
          .as("a certificate the JVM does not trust is refused")
          .isZero();
      assertThat(up(latest(scraped, "no-token"))).as("401 without a token").isZero();
      assertThat(up(latest(scraped, "token-missing")))
          .as("a token file that is not there: down, and the others go on")
          .isZero();

      // The token rotates: the kubelet takes only the new one, the file has it.
      accepted.set("second-token");
      Files.writeString(token, "second-token");
      scraped.clear();
      awaitScrapes(tail, scraped, Map.of("kubelet", 2));
      assertThat(up(latest(scraped, "kubelet"))).as("the new token was read and sent").isEqualTo(1);
    } finally {
      kubelet.stop(0);
    }
  }

  private static ScrapeSettings.Job job(
      String name, String address, Path token, ScrapeSettings.TlsConfig tls) {
    return new ScrapeSettings.Job(
        name,
        List.of(address),
        "/metrics/cadvisor",
        "https",
        null,
        token == null ? null : token.toString(),
        tls);
  }

  /** Reads otlp_metrics until each job has been stored at least as often as {@code wanted}. */
  private static void awaitScrapes(
      TopicTail tail, List<ResourceMetrics> scraped, Map<String, Integer> wanted) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (wanted.entrySet().stream().anyMatch(e -> count(scraped, e.getKey()) < e.getValue())) {
      assertThat(System.nanoTime()).as("every target scraped in time").isLessThan(deadline);
      for (ConsumerRecord<byte[], byte[]> r : tail.await(1, Duration.ofMillis(200))) {
        scraped.addAll(ExportMetricsServiceRequest.parseFrom(r.value()).getResourceMetricsList());
      }
    }
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
