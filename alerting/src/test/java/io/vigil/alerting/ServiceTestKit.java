package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.alerting.elasticsearch.ElasticsearchSettings;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.embedded.smtp.SmtpSink;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.runtime.AdminSettings;
import io.vigil.model.signal.GoldenSignal;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** What the alerting service ITs share: the config they run, a producer, polling, the API. */
final class ServiceTestKit {
  static final Duration TIMEOUT = Duration.ofSeconds(60);

  private ServiceTestKit() {}

  /**
   * A rule file with {@code HighErrorRatio} (errors.ratio > 0.05) and an Alertmanager file routing
   * everything to Slack and email on the sinks, in {@code dir}.
   */
  static AlertingConfig config(
      EmbeddedKafka kafka,
      EmbeddedElasticsearch es,
      SlackSink slack,
      SmtpSink smtp,
      Path dir,
      boolean slackSendsResolved)
      throws Exception {
    Path rules =
        Files.writeString(
            dir.resolve("golden-signals.yaml"),
            """
            groups:
              - name: golden-signals
                rules:
                  - alert: HighErrorRatio
                    expr: errors.ratio > 0.05
                    labels: {severity: critical}
                    annotations:
                      summary: "{{ $labels.service }} error ratio is {{ $value }}"
            """);
    Path routing =
        Files.writeString(
            dir.resolve("alertmanager.yml"),
            """
            global:
              slack_api_url: %s
              smtp_smarthost: %s
              smtp_from: vigil@example.org
              smtp_require_tls: false
            route:
              receiver: oncall
              group_by: [alertname]
              group_wait: 0s
              group_interval: 1s
            receivers:
              - name: oncall
                slack_configs: [{channel: '#alerts', send_resolved: %s}]
                email_configs: [{to: oncall@example.org}]
            inhibit_rules:
              - source_matchers: [severity="critical"]
                target_matchers: [severity="warning"]
            """
                .formatted(slack.webhookUrl(), smtp.smarthost(), slackSendsResolved));
    return AlertingConfig.of(
            KafkaSettings.of(kafka.bootstrapServers()),
            List.of(rules),
            routing,
            ElasticsearchSettings.of(es.url()),
            "http://vigil.example.org:8890",
            new AdminSettings("127.0.0.1", 0))
        .withStateDir(dir.resolve("streams-state"));
  }

  /**
   * A configuration with one rule (HighErrorRatio, errors.ratio > 0.05), {@code route} as the
   * routing tree's root (receiver {@code r}: Slack on {@code slack}), and an Elasticsearch that
   * cannot be reached: for what works without it.
   */
  static AlertingConfig withoutElasticsearch(
      EmbeddedKafka kafka, SlackSink slack, Path dir, String route) throws Exception {
    return withoutElasticsearch(
        kafka,
        dir,
        "route: "
            + route
            + "\nreceivers: [{name: r, slack_configs: [{api_url: '"
            + slack.webhookUrl()
            + "'}]}]\n");
  }

  /** As above with {@code routing} as the whole Alertmanager file. */
  static AlertingConfig withoutElasticsearch(EmbeddedKafka kafka, Path dir, String routing)
      throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Path rules = dir.resolve("rules.yaml");
    Files.writeString(
        rules,
        "groups: [{name: g, rules: [{alert: HighErrorRatio, expr: errors.ratio > 0.05}]}]\n");
    Path routingFile = Files.writeString(dir.resolve("alertmanager.yml"), routing);
    return AlertingConfig.of(
            KafkaSettings.of(kafka.bootstrapServers()),
            List.of(rules),
            routingFile,
            ElasticsearchSettings.of("http://127.0.0.1:" + closedPort),
            null,
            new AdminSettings("127.0.0.1", 0))
        .withStateDir(dir.resolve("state"));
  }

  /** Sends {@code signal} to {@code vigil.signals.live} under its series key; waits for the ack. */
  static void sendLive(KafkaProducer<byte[], byte[]> producer, GoldenSignal signal)
      throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                Topics.SIGNALS_LIVE,
                signal.seriesKey().getBytes(StandardCharsets.UTF_8),
                Json.mapper().writeValueAsBytes(signal)))
        .get();
  }

  static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
    Properties props = kafka.clientProperties();
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return new KafkaProducer<>(props);
  }

  /** GETs {@code path} on the service's admin port; expects 200 and JSON. */
  static JsonNode get(AlertingService service, String path) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.adminPort() + path))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return Json.mapper().readTree(response.body());
  }

  /** Polls {@code probe} until {@code done} holds, for at most {@link #TIMEOUT}. */
  static <T> T await(Callable<T> probe, Predicate<T> done) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    T last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = probe.call();
        if (done.test(last)) {
          return last;
        }
      } catch (Exception e) {
        // not there yet (e.g. index not created); poll again
      }
      Thread.sleep(100); // polling interval; the deadline bounds the wait
    }
    throw new AssertionError("condition not met within " + TIMEOUT + ", last value: " + last);
  }
}
