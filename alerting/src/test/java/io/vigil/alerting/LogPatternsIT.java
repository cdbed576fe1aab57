package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.elasticsearch.ElasticsearchSettings;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.log.LogRecord;
import io.vigil.model.runtime.AdminSettings;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A log-pattern rule on a real broker: matching lines on {@code vigil.logs} page Slack with the
 * latest line, and — with no further line — the alert resolves on the service's wall clock once the
 * lines aged out of the range.
 */
@WithKafka
@WithSlackSink
class LogPatternsIT {
  @Test
  void matchingLogLinesPageWithTheLineAndResolveWhenTheyAgeOut(
      EmbeddedKafka kafka, SlackSink slack, @TempDir Path dir) throws Exception {
    Path rules =
        Files.writeString(
            dir.resolve("rules.yaml"),
            """
            groups:
              - name: log-patterns
                rules:
                  - alert: OomInLogs
                    expr: 'count_over_time({service="checkout-logs", level="error"} |= "OutOfMemoryError" [10s]) > 1'
                    labels: {severity: critical}
                    annotations:
                      summary: "{{ $labels.service }}: {{ $value }} lines"
                      description: "latest: {{ $line }}"
            """);
    Path routing =
        Files.writeString(
            dir.resolve("alertmanager.yml"),
            """
            route: {receiver: r, group_by: [alertname], group_wait: 0s, group_interval: 1s}
            receivers: [{name: r, slack_configs: [{api_url: '%s', send_resolved: true}]}]
            """
                .formatted(slack.webhookUrl()));
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    AlertingConfig config =
        AlertingConfig.of(
                KafkaSettings.of(kafka.bootstrapServers()),
                List.of(rules),
                routing,
                ElasticsearchSettings.of("http://127.0.0.1:" + closedPort),
                null,
                new AdminSettings("127.0.0.1", 0))
            .withStateDir(dir.resolve("state"));

    try (AlertingService service = AlertingService.start(config, new PrometheusRegistry());
        KafkaProducer<byte[], byte[]> producer = ServiceTestKit.producer(kafka)) {
      // A line that does not count, to know the engine reads vigil.logs (Elasticsearch is down,
      // so readiness stays false): the lines after it are read while still in the range.
      send(producer, "info", "java.lang.OutOfMemoryError mentioned in passing");
      ServiceTestKit.await(service::samplesEvaluated, n -> n >= 1);
      send(producer, "error", "java.lang.OutOfMemoryError: Java heap space");
      send(producer, "error", "java.lang.OutOfMemoryError: Metaspace");

      List<SlackPost> posts = slack.awaitPosts(2, ServiceTestKit.TIMEOUT);
      assertThat(posts.get(0).text()).contains("[FIRING:1] OomInLogs");
      assertThat(posts.get(0).json().toString())
          .contains("checkout-logs: 2 lines")
          .contains("latest: java.lang.OutOfMemoryError: Metaspace");
      assertThat(posts.get(1).text()).contains("[RESOLVED] OomInLogs");
    }
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, String level, String message)
      throws Exception {
    Instant now = Instant.now();
    LogRecord log =
        new LogRecord(
            now,
            "it-" + now.toEpochMilli() + "-" + message.hashCode(),
            message,
            new LogRecord.Log(level),
            level.equals("error") ? 17 : 9,
            new LogRecord.Service("checkout-logs", "shop"),
            null,
            null,
            null,
            null,
            null,
            Map.of());
    producer
        .send(
            new ProducerRecord<>(
                Topics.LOGS,
                "checkout-logs".getBytes(StandardCharsets.UTF_8),
                Json.mapper().writeValueAsBytes(log)))
        .get();
  }
}
