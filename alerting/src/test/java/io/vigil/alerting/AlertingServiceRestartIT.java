package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.rules.Signals;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.junit.WithElasticsearch;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.junit.WithSmtpSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.embedded.smtp.SmtpSink;
import io.vigil.model.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two service instances one after the other, same configuration and application id: the second
 * neither repeats the first one's notifications nor forgets its firing alerts (rule state comes
 * back from the store's changelog, deliveries from the notification log), nor what a rule learned
 * from a series' history.
 */
@WithKafka
@WithElasticsearch
@WithSlackSink
@WithSmtpSink
class AlertingServiceRestartIT {
  private static final Duration QUIET = Duration.ofSeconds(3);

  @Test
  void restartedServiceDoesNotRepeatAFiringAlertAndStillResolvesIt(
      EmbeddedKafka kafka,
      EmbeddedElasticsearch es,
      SlackSink slack,
      SmtpSink smtp,
      @TempDir Path dir)
      throws Exception {
    AlertingConfig config = ServiceTestKit.config(kafka, es, slack, smtp, dir, true);
    String service = "restart-still-firing";
    try (KafkaProducer<byte[], byte[]> producer = ServiceTestKit.producer(kafka)) {
      try (AlertingService first = AlertingService.start(config, new PrometheusRegistry())) {
        ServiceTestKit.sendLive(producer, Signals.errorRatio(service, 0, 0.2));
        assertThat(slack.awaitPost(ServiceTestKit.TIMEOUT).text())
            .contains("[FIRING:1] HighErrorRatio");
        smtp.awaitMessages(1, ServiceTestKit.TIMEOUT);
        ServiceTestKit.await(first::notificationsSent, n -> n == 2);
        awaitAllCommitted(kafka);
      }

      try (AlertingService second = AlertingService.start(config, new PrometheusRegistry())) {
        // the queued notification was offered to both integrations again and skipped by the log
        // (other tests in this class may add their own groups to the count)
        ServiceTestKit.await(second::notificationsDeduplicated, n -> n >= 2);
        JsonNode alerts =
            ServiceTestKit.await(
                () -> ServiceTestKit.get(second, "/api/v2/alerts"), a -> a.size() == 1);
        assertThat(alerts.get(0).at("/labels/service").asText()).isEqualTo(service);

        ServiceTestKit.sendLive(producer, Signals.errorRatio(service, 10, 0.3));
        ServiceTestKit.await(second::samplesEvaluated, n -> n == 1);
        assertStays(() -> slack.posts().size(), 1);
        assertThat(smtp.messages()).hasSize(1);
        assertThat(second.alertsFired()).isZero();

        ServiceTestKit.sendLive(producer, Signals.errorRatio(service, 20, 0.01));
        List<SlackPost> posts = slack.awaitPosts(2, ServiceTestKit.TIMEOUT);
        assertThat(posts.get(1).text()).contains("[RESOLVED] HighErrorRatio").contains(service);
        ServiceTestKit.await(second::samplesEvaluated, n -> n == 2);
        assertStays(() -> slack.posts().size(), 2);
        assertThat(smtp.messages()).as("email has send_resolved: false").hasSize(1);
        ServiceTestKit.await(() -> ServiceTestKit.get(second, "/api/v2/alerts"), a -> a.isEmpty());
      }
    }
  }

  @Test
  void alertThatRecoveredWhileTheServiceWasDownResolvesAfterTheRestart(
      EmbeddedKafka kafka,
      EmbeddedElasticsearch es,
      SlackSink slack,
      SmtpSink smtp,
      @TempDir Path dir)
      throws Exception {
    AlertingConfig config = ServiceTestKit.config(kafka, es, slack, smtp, dir, true);
    String service = "restart-recovered-while-down";
    try (KafkaProducer<byte[], byte[]> producer = ServiceTestKit.producer(kafka)) {
      try (AlertingService first = AlertingService.start(config, new PrometheusRegistry())) {
        ServiceTestKit.sendLive(producer, Signals.errorRatio(service, 0, 0.2));
        slack.awaitPost(ServiceTestKit.TIMEOUT);
        smtp.awaitMessages(1, ServiceTestKit.TIMEOUT);
        ServiceTestKit.await(first::notificationsSent, n -> n == 2);
        awaitAllCommitted(kafka);
      }

      ServiceTestKit.sendLive(producer, Signals.errorRatio(service, 10, 0.01));

      try (AlertingService second = AlertingService.start(config, new PrometheusRegistry())) {
        List<SlackPost> posts = slack.awaitPosts(2, ServiceTestKit.TIMEOUT);
        assertThat(posts.get(0).text()).contains("[FIRING:1] HighErrorRatio");
        assertThat(posts.get(1).text()).contains("[RESOLVED] HighErrorRatio").contains(service);
        ServiceTestKit.await(second::samplesEvaluated, n -> n == 1);
        assertStays(() -> slack.posts().size(), 2);
        assertThat(smtp.messages()).hasSize(1);
        assertThat(second.alertsFired()).isZero();
        ServiceTestKit.await(() -> ServiceTestKit.get(second, "/api/v2/alerts"), a -> a.isEmpty());
      }
    }
  }

  @Test
  void restartedServiceContinuesWhatARuleLearnedFromHistory(
      EmbeddedKafka kafka,
      EmbeddedElasticsearch es,
      SlackSink slack,
      SmtpSink smtp,
      @TempDir Path dir)
      throws Exception {
    AlertingConfig config = ServiceTestKit.config(kafka, es, slack, smtp, dir, true);
    String node = "restart-learned";
    // Needs 5 minutes of history: the first instance sees 4, the second one minute more.
    Files.writeString(
        dir.resolve("golden-signals.yaml"),
        """
        groups:
          - name: predictive
            rules:
              - alert: NodeMemoryFullSoon
                expr: predict_linear(saturation.memory_utilization{node="%s"}[10m], 10m) > 1
                labels: {severity: critical}
        """
            .formatted(node));
    try (KafkaProducer<byte[], byte[]> producer = ServiceTestKit.producer(kafka)) {
      try (AlertingService first = AlertingService.start(config, new PrometheusRegistry())) {
        for (int minute = 0; minute <= 4; minute++) {
          ServiceTestKit.sendLive(
              producer, Signals.nodeSaturation(node, 60L * minute, null, 0.30 + 0.05 * minute));
        }
        ServiceTestKit.await(first::samplesEvaluated, n -> n == 5);
        awaitAllCommitted(kafka);
        assertThat(first.alertsFired()).isZero();
      }

      try (AlertingService second = AlertingService.start(config, new PrometheusRegistry())) {
        // 55 % now, rising 5 points a minute: 105 % in 10 minutes — from the restored history only
        ServiceTestKit.sendLive(producer, Signals.nodeSaturation(node, 300, null, 0.55));
        assertThat(slack.awaitPost(ServiceTestKit.TIMEOUT).text())
            .contains("[FIRING:1] NodeMemoryFullSoon");

        ServiceTestKit.sendLive(producer, Signals.nodeSaturation(node, 360, null, null));
        assertThat(slack.awaitPosts(2, ServiceTestKit.TIMEOUT).get(1).text())
            .contains("[RESOLVED] NodeMemoryFullSoon");
        ServiceTestKit.await(() -> ServiceTestKit.get(second, "/api/v2/alerts"), a -> a.isEmpty());
      }
    }
  }

  /** Waits until the service's group has committed everything on {@code vigil.signals.live}. */
  private static void awaitAllCommitted(EmbeddedKafka kafka) throws Exception {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      ServiceTestKit.await(
          () -> {
            TopicDescription topic =
                admin
                    .describeTopics(List.of(Topics.SIGNALS_LIVE))
                    .allTopicNames()
                    .get()
                    .get(Topics.SIGNALS_LIVE);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            topic
                .partitions()
                .forEach(
                    p ->
                        latest.put(
                            new TopicPartition(Topics.SIGNALS_LIVE, p.partition()),
                            OffsetSpec.latest()));
            Map<TopicPartition, OffsetAndMetadata> committed =
                admin
                    .listConsumerGroupOffsets(AlertingService.APPLICATION_ID)
                    .partitionsToOffsetAndMetadata()
                    .get();
            long behind = 0;
            for (var e : admin.listOffsets(latest).all().get().entrySet()) {
              OffsetAndMetadata c = committed.get(e.getKey());
              behind += e.getValue().offset() - (c == null ? 0 : c.offset());
            }
            return behind;
          },
          behind -> behind == 0);
    }
  }

  /**
   * Polls {@code count} for {@link #QUIET}, failing as soon as it differs from {@code expected}.
   */
  private static void assertStays(IntSupplier count, int expected) throws InterruptedException {
    long deadline = System.nanoTime() + QUIET.toNanos();
    while (System.nanoTime() < deadline) {
      assertThat(count.getAsInt()).isEqualTo(expected);
      Thread.sleep(100);
    }
  }
}
