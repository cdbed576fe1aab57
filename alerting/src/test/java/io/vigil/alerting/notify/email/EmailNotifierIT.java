package io.vigil.alerting.notify.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.notify.Links;
import io.vigil.alerting.notify.NotificationException;
import io.vigil.embedded.junit.WithSmtpSink;
import io.vigil.embedded.smtp.ReceivedMail;
import io.vigil.embedded.smtp.SmtpSink;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@WithSmtpSink
class EmailNotifierIT {
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
  void deliversTheAlertMailAsTextAndHtml(SmtpSink sink) throws Exception {
    EmailNotifier notifier = new EmailNotifier(config(sink.host(), sink.port()), Links.none());

    notifier.send(Alerts.notification(1, Alerts.firing("checkout error ratio is 0.2")));

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
              assertThat(mail.html())
                  .as("the HTML alternative")
                  .contains("[FIRING] HighErrorRatio")
                  .contains(">checkout error ratio is 0.2</td>");
            });
  }

  @Test
  void anUnreachableServerIsRetryable() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    EmailNotifier notifier = new EmailNotifier(config("127.0.0.1", closedPort), Links.none());

    assertThatThrownBy(() -> notifier.send(Alerts.notification(1, Alerts.firing("x"))))
        .isInstanceOfSatisfying(
            NotificationException.class,
            e -> {
              assertThat(e.retryable()).isTrue();
              assertThat(e.getMessage()).contains("SMTP delivery failed");
            });
  }
}
