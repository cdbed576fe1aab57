package io.vigil.alerting.notify.slack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.Secret;
import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.notify.Backoff;
import io.vigil.alerting.notify.DeliveryWorker;
import io.vigil.alerting.notify.Links;
import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.notify.NotificationException;
import io.vigil.alerting.notify.NotificationLog;
import io.vigil.alerting.notify.NotificationMetrics;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

@WithSlackSink
class SlackNotifierIT {
  private static SlackNotifier notifier(SlackSink sink) {
    SlackConfig config =
        new SlackConfig(true, Secret.of(sink.webhookUrl()), "#alerts", "vigil", null, null);
    return new SlackNotifier(config, SlackNotifier.defaultHttpClient(), Links.none());
  }

  private static Notification alert(String summary) {
    return Alerts.notification(1, Alerts.firing(summary));
  }

  @Test
  void postsTheGroupOnceAndKeepsTheTextIntact(SlackSink sink) throws Exception {
    notifier(sink).send(alert("checkout error ratio is \"0.2\"\nsee runbook"));

    assertThat(sink.acceptedPosts())
        .singleElement()
        .satisfies(
            post -> {
              assertThat(post.text()).contains("HighErrorRatio").contains("checkout");
              assertThat(post.json().at("/attachments/0/blocks/0/text/text").asText())
                  .isEqualTo(
                      "*[FIRING] HighErrorRatio*\n*Summary:* checkout error ratio is \"0.2\"\nsee runbook");
              assertThat(post.json().at("/channel").asText()).isEqualTo("#alerts");
            });
  }

  @Test
  void reportsA429WithTheWaitSlackAskedFor(SlackSink sink) {
    sink.failNext(1, 429, Duration.ofSeconds(7));

    assertThatThrownBy(() -> notifier(sink).send(alert("x")))
        .isInstanceOfSatisfying(
            NotificationException.class,
            e -> {
              assertThat(e.retryable()).isTrue();
              assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
            });
    assertThat(sink.posts()).hasSize(1);
  }

  @Test
  void serverErrorsAreRetryableOtherClientErrorsAreNot(SlackSink sink) {
    sink.failNext(1, 503, null);
    assertThatThrownBy(() -> notifier(sink).send(alert("x")))
        .isInstanceOfSatisfying(
            NotificationException.class, e -> assertThat(e.retryable()).isTrue());

    sink.failNext(1, 404, null);
    assertThatThrownBy(() -> notifier(sink).send(alert("x")))
        .isInstanceOfSatisfying(
            NotificationException.class,
            e -> {
              assertThat(e.retryable()).isFalse();
              assertThat(e.getMessage()).contains("HTTP 404").doesNotContain(sink.webhookUrl());
            });
  }

  /**
   * The outage: Slack answers 500 for a while, then 429 with Retry-After. Every group's
   * notification still arrives, exactly once, with the state it has when Slack recovers.
   */
  @Test
  void workerRidesOutAnOutageAndARateLimitWithoutLosingOrRepeating(SlackSink sink)
      throws Exception {
    NotificationMetrics metrics = NotificationMetrics.register(new PrometheusRegistry());
    Counter writes =
        Counter.builder().name("writes").labelNames("outcome").register(new PrometheusRegistry());
    NotificationLog log = new NotificationLog(null, writes, Duration.ofDays(1), Clock.systemUTC());
    DeliveryWorker worker =
        new DeliveryWorker(
            "team",
            "slack[0]",
            notifier(sink),
            log,
            new Backoff(Duration.ofMillis(50), Duration.ofMillis(400), Integer.MAX_VALUE),
            metrics,
            Clock.systemUTC());
    sink.failNext(6, 500, null);
    sink.failNext(1, 429, Duration.ofSeconds(1));
    Thread thread = new Thread(worker, "worker");
    thread.start();
    try {
      worker.offer(group("cart", 1, Alerts.firing("cart", "cart is failing")));
      worker.offer(group("checkout", 1, Alerts.firing("checkout", "checkout is failing")));
      // cart recovered while Slack was down: the newer version replaces the undelivered one
      worker.offer(group("cart", 2, Alerts.resolved()));

      List<SlackPost> delivered = awaitAccepted(sink, 2);
      awaitIdle(worker); // the worker logs the delivery after Slack's answer

      assertThat(delivered)
          .extracting(SlackPost::text)
          .containsExactlyInAnyOrder(
              "[FIRING:1] HighErrorRatio (c1 shop checkout critical)",
              "[RESOLVED] HighErrorRatio (c1 shop checkout critical)");
      assertThat(sink.posts().size()).isGreaterThan(2);
      assertThat(metrics.count("slack", "retry")).isPositive();
      assertThat(metrics.count("slack", "success")).isEqualTo(2);
      assertThat(worker.pending()).isZero();
      assertThat(log.size()).isEqualTo(2);

      worker.offer(group("cart", 2, Alerts.resolved()));
      assertThat(metrics.count("slack", "deduplicated")).isEqualTo(1);
      assertThat(worker.pending()).isZero();
    } finally {
      worker.stop();
      thread.join(5000);
    }
  }

  private static Notification group(
      String name, long version, io.vigil.model.alert.AlertTransition alert) {
    return new Notification(
        "team@0:{service=\"" + name + "\"}",
        "team",
        java.util.Map.of("alertname", "HighErrorRatio"),
        List.of(alert),
        version);
  }

  private static void awaitIdle(DeliveryWorker worker) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (worker.pending() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20); // polling interval; the deadline bounds the wait
    }
  }

  private static List<SlackPost> awaitAccepted(SlackSink sink, int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      List<SlackPost> accepted = sink.acceptedPosts();
      if (accepted.size() >= n) {
        return accepted;
      }
      Thread.sleep(50); // polling interval; the deadline bounds the wait
    }
    throw new AssertionError("expected " + n + " accepted posts, got " + sink.acceptedPosts());
  }
}
