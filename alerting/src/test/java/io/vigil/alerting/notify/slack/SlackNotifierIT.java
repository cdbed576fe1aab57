package io.vigil.alerting.notify.slack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.Secret;
import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.notify.Backoff;
import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.notify.NotificationException;
import io.vigil.alerting.notify.NotificationMetrics;
import io.vigil.alerting.notify.Sleeper;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@WithSlackSink
class SlackNotifierIT {
  private final NotificationMetrics metrics =
      NotificationMetrics.register(new PrometheusRegistry());
  private final List<Duration> waits = new ArrayList<>();
  private final Sleeper recordingSleeper =
      d -> {
        waits.add(d);
        Sleeper.SYSTEM.sleep(d);
      };

  private SlackNotifier notifier(SlackSink sink) {
    SlackConfig config =
        new SlackConfig(false, Secret.of(sink.webhookUrl()), "#alerts", "vigil", null, null);
    return new SlackNotifier(
        config,
        SlackNotifier.defaultHttpClient(),
        metrics,
        new Backoff(Duration.ofMillis(50), Duration.ofSeconds(5), 4),
        recordingSleeper);
  }

  private static Notification alert(String summary) {
    return Notification.of(Alerts.firing(summary), "team", List.of("alertname"), false);
  }

  @Test
  void honoursRetryAfterOn429ThenDeliversExactlyOnce(SlackSink sink) throws Exception {
    sink.failNext(1, 429, Duration.ofSeconds(1));

    notifier(sink).send(alert("checkout error ratio is \"0.2\"\nsee runbook"));

    List<SlackPost> posts = sink.posts();
    assertThat(posts).hasSize(2);
    assertThat(posts.get(0).accepted()).isFalse();
    assertThat(sink.acceptedPosts())
        .singleElement()
        .satisfies(
            post -> {
              assertThat(post.text()).contains("HighErrorRatio").contains("checkout");
              assertThat(post.json().at("/attachments/0/text").asText())
                  .isEqualTo("*Summary:* checkout error ratio is \"0.2\"\nsee runbook");
              assertThat(post.json().at("/channel").asText()).isEqualTo("#alerts");
            });
    assertThat(waits).containsExactly(Duration.ofSeconds(1));
    assertThat(metrics.count("slack", "retry")).isEqualTo(1);
    assertThat(metrics.count("slack", "success")).isEqualTo(1);
  }

  @Test
  void retriesServerErrorsWithBackoff(SlackSink sink) throws Exception {
    sink.failNext(2, 503, null);

    notifier(sink).send(alert("x"));

    assertThat(sink.posts()).hasSize(3);
    assertThat(sink.acceptedPosts()).hasSize(1);
    assertThat(waits).containsExactly(Duration.ofMillis(50), Duration.ofMillis(100));
  }

  @Test
  void doesNotRetryOtherClientErrors(SlackSink sink) {
    sink.failNext(1, 404, null);

    assertThatThrownBy(() -> notifier(sink).send(alert("x")))
        .isInstanceOf(NotificationException.class)
        .hasMessageContaining("HTTP 404")
        .hasMessageNotContaining(sink.webhookUrl());
    assertThat(sink.posts()).hasSize(1);
    assertThat(metrics.count("slack", "failure")).isEqualTo(1);
  }

  @Test
  void givesUpAfterTheLastAttempt(SlackSink sink) {
    sink.failNext(10, 500, null);

    assertThatThrownBy(() -> notifier(sink).send(alert("x")))
        .isInstanceOf(NotificationException.class)
        .hasMessageContaining("after 4 attempts");
    assertThat(sink.posts()).hasSize(4);
  }
}
