package io.vigil.collector;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.otlp.OtlpAttributes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9's "Kafka SASL/TLS through client settings": a broker that takes only {@code SASL_SSL}
 * (TLS with a certificate of its own, SASL PLAIN), as managed Kafka services do, and a collector
 * given the client settings in {@code kafka.overrides}, its password from the environment. Every
 * client of the collector goes through them: the probe and topic set-up (admin), the OTLP shipper,
 * the log tailer's transactions and checkpoints. A wrong password is named in {@code /readyz} and
 * refused with 503, never taken for data in Kafka.
 */
class KafkaSecurityIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String USER = "vigil-collector";
  private static final String PASSWORD = "kafka-pw-5e21b";

  @TempDir static Path root;
  private static EmbeddedKafka kafka;

  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void broker() {
    kafka = EmbeddedKafka.startSecured(root.resolve("tls"), USER, PASSWORD);
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private CollectorConfig config(String password) {
    return CollectorConfig.load(
        TestRequests.securedKafka(kafka, USER)
            + """
            otlp: {grpc: {host: 127.0.0.1, port: 0}, http: {host: 127.0.0.1, port: 0}}
            admin: {host: 127.0.0.1, port: 0}
            logs:
              enabled: true
              include: ['%s/pods/*/*/*.log']
              poll_interval: 100ms
            """
                .formatted(root),
        Map.of("KAFKA_PASSWORD", password));
  }

  @Test
  void shipsOverSaslSslWithTheClientSettingsOfItsConfig() throws Exception {
    Path log = Files.createDirectories(root.resolve("pods/shop_cart-1_uid-1/app")).resolve("0.log");
    try (CollectorService collector =
        CollectorService.start(config(PASSWORD), new PrometheusRegistry())) {
      awaitTrue("ready", () -> get(collector.adminPort(), "/readyz").statusCode() == 200);
      try (TopicTail metrics =
              new TopicTail(kafka.clientProperties(USER, PASSWORD), Topics.OTLP_METRICS);
          TopicTail logs =
              new TopicTail(kafka.clientProperties(USER, PASSWORD), Topics.OTLP_LOGS)) {
        assertThat(post(collector.otlpHttpPort(), "checkout").statusCode()).isEqualTo(200);
        Files.writeString(log, "2024-05-01T10:00:00.000000000Z stderr F ERROR declined\n");

        ConsumerRecord<byte[], byte[]> metric = metrics.await(1, WAIT).get(0);
        var resource =
            ExportMetricsServiceRequest.parseFrom(metric.value())
                .getResourceMetrics(0)
                .getResource()
                .getAttributesList();
        assertThat(OtlpAttributes.get(resource, "service.name")).isEqualTo("checkout");
        ConsumerRecord<byte[], byte[]> line = logs.await(1, WAIT).get(0);
        assertThat(
                ExportLogsServiceRequest.parseFrom(line.value())
                    .getResourceLogs(0)
                    .getScopeLogs(0)
                    .getLogRecords(0)
                    .getBody()
                    .getStringValue())
            .isEqualTo("ERROR declined");
        awaitTrue("the line's offset checkpointed", () -> collector.logRecordsShipped() == 1);
      }
    }
  }

  @Test
  void aWrongPasswordIsNamedAndRefusedNotAccepted() throws Exception {
    try (CollectorService collector =
        CollectorService.start(config("not-" + PASSWORD), new PrometheusRegistry())) {
      HttpResponse<String> readiness = get(collector.adminPort(), "/readyz");
      assertThat(readiness.statusCode()).isEqualTo(503);
      assertThat(readiness.body()).isEqualTo("not ready: kafka\n");
      HttpResponse<String> refused = post(collector.otlpHttpPort(), "refused");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.body())
          .as("the sender is told why")
          .contains("SaslAuthenticationException");
    }
  }

  private HttpResponse<String> post(int port, String service) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/metrics"))
            .header("Content-Type", "application/x-protobuf")
            .timeout(Duration.ofSeconds(30))
            .POST(
                HttpRequest.BodyPublishers.ofByteArray(
                    TestRequests.metrics(1, service).toByteArray()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(int port, String path) {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void awaitTrue(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("%s within %s", what, WAIT).isLessThan(deadline);
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }
}
