package io.vigil.alerting.notify.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.notify.Backoff;
import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.notify.NotificationException;
import io.vigil.alerting.notify.NotificationMetrics;
import io.vigil.embedded.junit.WithSmtpSink;
import io.vigil.embedded.smtp.ReceivedMail;
import io.vigil.embedded.smtp.SmtpSink;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@WithSmtpSink
class EmailNotifierIT {
  private final NotificationMetrics metrics =
      NotificationMetrics.register(new PrometheusRegistry());

  private static EmailConfig config(String host, int port) {
    return new EmailConfig(
        false,
        List.of("oncall@example.org", "team@example.org"),
        "vigil@example.org",
        "vigil.test",
        host,
        port,
        null,
        null,
        false,
        Map.of("X-Vigil-Service", "{{ $labels.service }}"));
  }

  @Test
  void deliversThePlainTextAlertMail(SmtpSink sink) throws Exception {
    EmailNotifier notifier = EmailNotifier.create(config(sink.host(), sink.port()), metrics);

    notifier.send(
        Notification.of(
            Alerts.firing("checkout error ratio is 0.2"), "team", List.of("alertname"), false));

    List<ReceivedMail> mails = sink.awaitMessages(1, Duration.ofSeconds(10));
    assertThat(mails)
        .singleElement()
        .satisfies(
            mail -> {
              assertThat(mail.subject())
                  .isEqualTo("[FIRING:1] HighErrorRatio (c1 shop checkout critical)");
              assertThat(mail.from()).contains("vigil@example.org");
              assertThat(mail.to())
                  .containsExactlyInAnyOrder("oncall@example.org", "team@example.org");
              assertThat(mail.text())
                  .contains("summary = checkout error ratio is 0.2")
                  .contains("Value: 0.2");
            });
    assertThat(metrics.count("email", "success")).isEqualTo(1);
  }

  @Test
  void retriesWhenTheServerCannotBeReachedThenFails() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    List<Duration> waits = new ArrayList<>();
    EmailNotifier notifier =
        new EmailNotifier(
            config("127.0.0.1", closedPort),
            metrics,
            new Backoff(Duration.ofMillis(10), Duration.ofMillis(20), 3),
            waits::add);

    assertThatThrownBy(
            () ->
                notifier.send(
                    Notification.of(Alerts.firing("x"), "team", List.of("alertname"), false)))
        .isInstanceOf(NotificationException.class)
        .hasMessageContaining("after 3 attempts");
    assertThat(waits).hasSize(2);
    assertThat(metrics.count("email", "retry")).isEqualTo(2);
    assertThat(metrics.count("email", "failure")).isEqualTo(1);
  }
}
