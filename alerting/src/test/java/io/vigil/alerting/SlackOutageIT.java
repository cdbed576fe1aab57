package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.rules.Signals;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.junit.WithSmtpSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.embedded.smtp.SmtpSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outage, end to end: Slack answers 500, then 429 with {@code Retry-After}, while two
 * services alert and one recovers. Email is not held up by Slack; once Slack recovers it gets each
 * group once, in its current state — the recovered service only as resolved — and nothing is lost.
 */
@WithKafka
@WithSlackSink
@WithSmtpSink
class SlackOutageIT {
  @Test
  void aSlackOutageLosesNothingAndDelaysNoEmail(
      EmbeddedKafka kafka, SlackSink slack, SmtpSink smtp, @TempDir Path dir) throws Exception {
    AlertingConfig config =
        ServiceTestKit.withoutElasticsearch(
            kafka,
            dir,
            """
            global: {smtp_smarthost: '%s', smtp_from: vigil@example.org, smtp_require_tls: false}
            route: {receiver: oncall, group_by: [service], group_wait: 0s, group_interval: 1s}
            receivers:
              - name: oncall
                slack_configs: [{api_url: '%s', send_resolved: true}]
                email_configs: [{to: oncall@example.org}]
            """
                .formatted(smtp.smarthost(), slack.webhookUrl()));
    slack.failNext(3, 500, null);
    slack.failNext(1, 429, Duration.ofSeconds(2));
    try (AlertingService service = AlertingService.start(config, new PrometheusRegistry());
        KafkaProducer<byte[], byte[]> producer = ServiceTestKit.producer(kafka)) {
      ServiceTestKit.sendLive(producer, Signals.errorRatio("cart", 0, 0.3));
      ServiceTestKit.sendLive(producer, Signals.errorRatio("checkout", 0, 0.2));

      smtp.awaitMessages(2, ServiceTestKit.TIMEOUT);
      assertThat(slack.acceptedPosts()).as("email did not wait for Slack").isEmpty();

      ServiceTestKit.sendLive(producer, Signals.errorRatio("cart", 10, 0.0)); // cart recovers

      List<SlackPost> delivered = awaitAccepted(slack, 2);
      assertThat(delivered)
          .extracting(SlackPost::text)
          .containsExactlyInAnyOrder(
              "[RESOLVED] cart (HighErrorRatio c1 shop)",
              "[FIRING:1] checkout (HighErrorRatio c1 shop)");
      assertThat(slack.posts().size()).as("attempts, failed ones included").isGreaterThan(4);
      // Nothing more comes: no stale firing for cart, no repeat for checkout.
      long quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < quietUntil) {
        assertThat(slack.acceptedPosts()).hasSize(2);
        TimeUnit.MILLISECONDS.sleep(100); // polling interval; the deadline bounds the wait
      }
      assertThat(smtp.messages()).as("email has send_resolved: false").hasSize(2);
      assertThat(service.notificationsSent()).as("2 Slack + 2 email deliveries").isEqualTo(4);
    }
  }

  private static List<SlackPost> awaitAccepted(SlackSink slack, int n) throws Exception {
    return ServiceTestKit.await(slack::acceptedPosts, posts -> posts.size() >= n);
  }
}
