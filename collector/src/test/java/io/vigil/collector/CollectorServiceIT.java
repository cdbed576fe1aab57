package io.vigil.collector;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.otlp.OtlpAttributes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole collector as {@code vigil collector} runs it, against a real broker. */
@WithKafka
class CollectorServiceIT {
  private static EmbeddedKafka kafka;

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void useBroker(EmbeddedKafka broker) {
    kafka = broker;
  }

  @Test
  void createsTopicsBecomesReadyAndShipsMetrics() throws Exception {
    CollectorConfig config = TestRequests.localCollector(kafka.bootstrapServers());

    try (CollectorService collector = CollectorService.start(config, new PrometheusRegistry());
        Admin admin = Admin.create(kafka.clientProperties())) {
      assertThat(admin.listTopics().names().get())
          .contains(Topics.OTLP_METRICS, Topics.OTLP_LOGS, Topics.OTLP_SPANS);
      assertThat(awaitReady(collector.adminPort())).isEqualTo(200);

      try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_METRICS)) {
        HttpResponse<String> response =
            postMetrics(collector, TestRequests.metrics(5, "checkout", "payments"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(tail.await(2, Duration.ofSeconds(30))).hasSize(2);
      }
      assertThat(collector.dataPointsAccepted()).isEqualTo(10);
      assertThat(collector.requestsRejected()).isZero();
      assertThat(get(collector.adminPort(), "/metrics").body())
          .contains("vigil_collector_received_data_points_total{signal=\"metrics\"} 10.0")
          .contains(
              "vigil_collector_requests_total{signal=\"metrics\",status=\"200\",transport=\"http\"} 1.0")
          .contains("vigil_collector_kafka_send_errors_total 0.0");
    }
  }

  /**
   * The collector's {@code resource} goes on every OTLP record it stores (one controlplane tells
   * clusters apart by it), with {@code ${NODE_NAME}} from the environment as the downward API sets
   * it, and on every OpenLineage event as its run facet {@code vigil_resource}.
   */
  @Test
  void everyStoredResourceCarriesTheCollectorsOwnAttributes() throws Exception {
    CollectorConfig config =
        CollectorConfig.load(
            """
            kafka: {bootstrap_servers: '%s'}
            otlp: {grpc: {host: 127.0.0.1, port: 0}, http: {host: 127.0.0.1, port: 0}}
            admin: {host: 127.0.0.1, port: 0}
            resource: {k8s.cluster.name: prod-eu, k8s.node.name: '${NODE_NAME}'}
            """
                .formatted(kafka.bootstrapServers()),
            java.util.Map.of("NODE_NAME", "node-7"));

    try (CollectorService collector = CollectorService.start(config, new PrometheusRegistry());
        TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_METRICS);
        TopicTail lineage = new TopicTail(kafka.bootstrapServers(), Topics.LINEAGE)) {
      assertThat(awaitReady(collector.adminPort())).isEqualTo(200);
      HttpResponse<String> event =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:" + collector.otlpHttpPort() + "/api/v1/lineage"))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofByteArray(
                          TestRequests.fixture("fixtures/openlineage/airflow-dag-start.json")))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(event.statusCode()).isEqualTo(200);
      var stored = lineage.await(1, Duration.ofSeconds(30));
      assertThat(stored).hasSize(1);
      var facet =
          new com.fasterxml.jackson.databind.ObjectMapper()
              .readTree(stored.get(0).value())
              .path("run")
              .path("facets")
              .path("vigil_resource")
              .path("attributes");
      assertThat(facet.path("k8s.cluster.name").asText()).isEqualTo("prod-eu");
      assertThat(facet.path("k8s.node.name").asText()).isEqualTo("node-7");
      HttpResponse<String> response =
          postMetrics(collector, TestRequests.metrics(5, "inventory", "shipping"));
      assertThat(response.statusCode()).isEqualTo(200);

      List<String> seen = new java.util.ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (seen.size() < 2) {
        assertThat(System.nanoTime()).as("both resources stored: %s", seen).isLessThan(deadline);
        for (var record : tail.await(1, Duration.ofMillis(200))) {
          var resource =
              ExportMetricsServiceRequest.parseFrom(record.value())
                  .getResourceMetrics(0)
                  .getResource();
          String service = OtlpAttributes.serviceName(resource);
          if (service.equals("inventory") || service.equals("shipping")) {
            seen.add(
                service
                    + " "
                    + OtlpAttributes.get(resource.getAttributesList(), "k8s.cluster.name")
                    + " "
                    + OtlpAttributes.get(resource.getAttributesList(), "k8s.node.name"));
          }
        }
      }
      assertThat(seen)
          .containsExactlyInAnyOrder("inventory prod-eu node-7", "shipping prod-eu node-7");
    }
  }

  private HttpResponse<String> postMetrics(
      CollectorService collector, ExportMetricsServiceRequest request) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + collector.otlpHttpPort() + "/v1/metrics"))
            .header("Content-Type", "application/x-protobuf")
            .POST(HttpRequest.BodyPublishers.ofByteArray(request.toByteArray()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private int awaitReady(int adminPort) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    int status = get(adminPort, "/readyz").statusCode();
    while (status != 200 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      status = get(adminPort, "/readyz").statusCode();
    }
    return status;
  }

  /**
   * With a {@code web_config_file} (Prometheus' format: user alice, her password bcrypt-hashed),
   * {@code /metrics} asks for credentials and counts a refusal; the probes stay open, as the
   * kubelet calls them without any.
   */
  @Test
  void theAdminPortAsksForTheWebConfigsCredentialsExceptOnProbes(@TempDir Path dir)
      throws Exception {
    Path web =
        Files.writeString(
            dir.resolve("web.yml"),
            "basic_auth_users:\n  alice: "
                + OpenBSDBCrypt.generate("2y", "password".toCharArray(), new byte[16], 10)
                + "\n");
    CollectorConfig c = TestRequests.localCollector(kafka.bootstrapServers());
    CollectorConfig config =
        new CollectorConfig(
            c.kafka(),
            c.otlp(),
            c.logs(),
            c.scrape(),
            c.lag(),
            c.spool(),
            c.kubernetes(),
            c.admin(),
            web.toString(),
            c.resource());

    try (CollectorService collector = CollectorService.start(config, new PrometheusRegistry())) {
      int port = collector.adminPort();
      assertThat(get(port, "/metrics").statusCode()).isEqualTo(401);
      assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
      assertThat(awaitReady(port)).isEqualTo(200);
      HttpResponse<String> allowed =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                  .header(
                      "Authorization",
                      "Basic "
                          + Base64.getEncoder()
                              .encodeToString("alice:password".getBytes(StandardCharsets.UTF_8)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(allowed.statusCode()).isEqualTo(200);
      assertThat(allowed.body())
          .contains("vigil_collector_api_auth_failures_total{reason=\"missing\"} 1.0");
    }
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
