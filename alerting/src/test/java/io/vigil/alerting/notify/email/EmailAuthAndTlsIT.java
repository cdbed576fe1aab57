package io.vigil.alerting.notify.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.Secret;
import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.notify.Backoff;
import io.vigil.alerting.notify.DeliveryWorker;
import io.vigil.alerting.notify.Links;
import io.vigil.alerting.notify.NotificationException;
import io.vigil.alerting.notify.NotificationLog;
import io.vigil.alerting.notify.NotificationMetrics;
import jakarta.mail.internet.MimeMessage;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SMTP AUTH and TLS against GreenMail with authentication on (a user {@code alerts}), on 127.0.0.1.
 * GreenMail 2.1 has no STARTTLS (its SMTP server never offers it), so TLS is checked from the
 * refusing side: with {@code require_tls} the notifier sends nothing in the clear to a server that
 * does not offer STARTTLS, and says so.
 */
class EmailAuthAndTlsIT {
  private static final String USER = "alerts";
  private static final String PASSWORD = "s3cret-smtp";

  private GreenMail greenMail;

  @BeforeEach
  void start() {
    greenMail =
        new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort());
    greenMail.start();
  }

  @AfterEach
  void stop() {
    greenMail.stop();
  }

  private EmailConfig config(String user, String password, boolean requireTls) {
    return new EmailConfig(
        false,
        List.of("oncall@example.org"),
        "vigil@example.org",
        "vigil.test",
        "127.0.0.1",
        greenMail.getSmtp().getPort(),
        user,
        password == null ? null : Secret.of(password),
        requireTls,
        Map.of());
  }

  @Test
  void logsInWithSmtpAuthAndDelivers() throws Exception {
    greenMail.setUser("vigil@example.org", USER, PASSWORD);
    new EmailNotifier(config(USER, PASSWORD, false), Links.none())
        .send(Alerts.notification(1, Alerts.firing("checkout error ratio is 0.2")));

    assertThat(greenMail.waitForIncomingEmail(10_000, 1)).isTrue();
    MimeMessage[] received = greenMail.getReceivedMessages();
    assertThat(received).hasSize(1);
    assertThat(received[0].getSubject()).startsWith("[FIRING:1] HighErrorRatio");
  }

  @Test
  void aRefusedLoginIsAClearRetryableErrorWithoutThePassword() {
    greenMail.setUser("vigil@example.org", USER, PASSWORD);
    EmailNotifier notifier = new EmailNotifier(config(USER, "wrong-password", false), Links.none());

    assertThatThrownBy(() -> notifier.send(Alerts.notification(1, Alerts.firing("x"))))
        .isInstanceOfSatisfying(
            NotificationException.class,
            e -> {
              assertThat(e.retryable()).isTrue();
              assertThat(e.getMessage())
                  .contains("SMTP authentication refused by 127.0.0.1:")
                  .contains("for user 'alerts'")
                  .contains("535")
                  .doesNotContain("wrong-password");
            });
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }

  /**
   * The server refuses the login until the account is fixed: the worker keeps the notification,
   * counts each refusal as a retry, and delivers it once the login works — nothing is lost.
   */
  @Test
  void aNotificationRefusedAtLoginIsRetriedUntilDelivered() throws Exception {
    greenMail.setUser("vigil@example.org", USER, "the-old-password");
    NotificationMetrics metrics = NotificationMetrics.register(new PrometheusRegistry());
    Counter writes =
        Counter.builder().name("writes").labelNames("outcome").register(new PrometheusRegistry());
    NotificationLog log = new NotificationLog(null, writes, Duration.ofDays(1), Clock.systemUTC());
    DeliveryWorker worker =
        new DeliveryWorker(
            "team",
            "email[0]",
            new EmailNotifier(config(USER, PASSWORD, false), Links.none()),
            log,
            new Backoff(Duration.ofMillis(50), Duration.ofMillis(200), Integer.MAX_VALUE),
            metrics,
            Clock.systemUTC());
    Thread thread = new Thread(worker, "email-worker");
    thread.start();
    try {
      worker.offer(Alerts.notification(1, Alerts.firing("checkout error ratio is 0.2")));
      awaitAtLeast(() -> metrics.count("email", "retry"), 2);
      assertThat(greenMail.getReceivedMessages()).isEmpty();
      assertThat(worker.pending()).isEqualTo(1);

      greenMail.setUser("vigil@example.org", USER, PASSWORD); // the account is fixed

      assertThat(greenMail.waitForIncomingEmail(30_000, 1)).isTrue();
      awaitAtLeast(() -> metrics.count("email", "success"), 1);
      // the worker counts the success, logs the delivery, then takes it off its queue
      awaitAtLeast(() -> worker.pending() == 0 ? 1 : 0, 1);
      assertThat(greenMail.getReceivedMessages()).hasSize(1);
      assertThat(metrics.count("email", "failure")).isZero();
    } finally {
      worker.stop();
      thread.join(5000);
    }
  }

  @Test
  void requireTlsSendsNothingInTheClearToAServerWithoutStartTls() {
    greenMail.setUser("vigil@example.org", USER, PASSWORD);
    EmailNotifier notifier = new EmailNotifier(config(USER, PASSWORD, true), Links.none());

    assertThatThrownBy(() -> notifier.send(Alerts.notification(1, Alerts.firing("x"))))
        .isInstanceOfSatisfying(
            NotificationException.class,
            e -> {
              assertThat(e.retryable()).isTrue();
              assertThat(e.getMessage())
                  .contains("require_tls is set but 127.0.0.1:")
                  .contains("does not offer STARTTLS");
            });
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }

  private static void awaitAtLeast(java.util.function.LongSupplier value, long n)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (value.getAsLong() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("expected at least " + n + ", was " + value.getAsLong());
      }
      Thread.sleep(20); // polling interval; the deadline bounds the wait
    }
  }
}
