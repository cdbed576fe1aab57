package io.vigil.collector;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.read.ListAppender;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.kafka.EmbeddedKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue 9's "no secret in logs or /metrics": a collector with a sender's bearer token and a Kafka
 * SASL password in its settings (a broker that takes only SASL_SSL; then a second collector whose
 * password Kafka refuses), everything logged at INFO (its own lines and the Kafka clients', which
 * print their settings), refuses a wrong token and takes the right one; neither token nor the
 * password appears in any log line, in any exception logged, or in {@code /metrics}.
 */
class NoSecretsInLogsIT {
  private static final String TOKEN = "tok-3f9a1c77e2";
  private static final String WRONG = "wrong-tok-8d0b55";
  private static final String PASSWORD = "jaas-pw-c41e9";
  private static final String WRONG_PASSWORD = "jaas-pw-wrong-77d2";

  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void noTokenOrPasswordIsLoggedOrExposed() throws Exception {
    LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger kafkaClients = logging.getLogger("org.apache.kafka");
    Level rootLevel = root.getLevel();
    Level kafkaLevel = kafkaClients.getLevel();
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    root.addAppender(captured);
    // The Kafka clients' settings are hundreds of lines: kept out of the build's output.
    Appender<ILoggingEvent> console = root.getAppender("STDOUT");
    if (console != null) {
      root.detachAppender(console);
    }
    root.setLevel(Level.INFO);
    kafkaClients.setLevel(Level.INFO);
    String metrics;
    String refusedMetrics;
    try (EmbeddedKafka kafka = EmbeddedKafka.startSecured(dir, "vigil", PASSWORD)) {
      try (CollectorService collector =
          CollectorService.start(config(kafka, PASSWORD), new PrometheusRegistry())) {
        assertThat(post(collector, WRONG).statusCode()).isEqualTo(401);
        assertThat(post(collector, TOKEN).statusCode())
            .as("stored through SASL_SSL with the password")
            .isEqualTo(200);
        metrics = TestRequests.adminMetrics(collector.adminPort());
      }
      try (CollectorService refused =
          CollectorService.start(config(kafka, WRONG_PASSWORD), new PrometheusRegistry())) {
        assertThat(post(refused, TOKEN).statusCode())
            .as("Kafka refused the password")
            .isEqualTo(503);
        refusedMetrics = TestRequests.adminMetrics(refused.adminPort());
      }
    } finally {
      root.detachAppender(captured);
      if (console != null) {
        root.addAppender(console);
      }
      root.setLevel(rootLevel);
      kafkaClients.setLevel(kafkaLevel);
    }

    List<String> lines =
        captured.list.stream()
            .map(
                e ->
                    e.getFormattedMessage()
                        + (e.getThrowableProxy() == null
                            ? ""
                            : ThrowableProxyUtil.asString(e.getThrowableProxy())))
            .toList();
    assertThat(lines)
        .as("the Kafka clients printed their settings, so the test saw what they log")
        .anyMatch(line -> line.contains("sasl.jaas.config"));
    assertThat(lines).as("a refused request was logged").anyMatch(line -> line.contains("401"));
    assertThat(lines)
        .as("Kafka's refusal of the wrong password was logged")
        .anyMatch(line -> line.contains("SaslAuthenticationException"));
    assertThat(lines)
        .noneMatch(line -> line.contains(TOKEN))
        .noneMatch(line -> line.contains(WRONG))
        .noneMatch(line -> line.contains(PASSWORD))
        .noneMatch(line -> line.contains(WRONG_PASSWORD));
    assertThat(metrics + refusedMetrics)
        .contains("vigil_collector")
        .doesNotContain(TOKEN, WRONG, PASSWORD, WRONG_PASSWORD);
  }

  private static CollectorConfig config(EmbeddedKafka kafka, String password) {
    return CollectorConfig.load(
        TestRequests.securedKafka(kafka, "vigil")
            + """
            otlp:
              grpc: {host: 127.0.0.1, port: 0}
              http: {host: 127.0.0.1, port: 0}
              auth: {bearer_tokens: {checkout: '${CHECKOUT_TOKEN}'}}
            admin: {host: 127.0.0.1, port: 0}
            """,
        Map.of("CHECKOUT_TOKEN", TOKEN, "KAFKA_PASSWORD", password));
  }

  private HttpResponse<String> post(CollectorService collector, String token) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + collector.otlpHttpPort() + "/v1/metrics"))
            .header("Content-Type", "application/x-protobuf")
            .header("Authorization", "Bearer " + token)
            .POST(
                HttpRequest.BodyPublishers.ofByteArray(
                    TestRequests.metrics(1, "checkout").toByteArray()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
