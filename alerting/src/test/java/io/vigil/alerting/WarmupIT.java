package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.dispatch.Dispatcher;
import io.vigil.alerting.dispatch.FiringAlerts;
import io.vigil.alerting.dispatch.Inhibitor;
import io.vigil.alerting.dispatch.Muting;
import io.vigil.alerting.dispatch.Silences;
import io.vigil.alerting.notify.Backoff;
import io.vigil.alerting.notify.DeliveryWorker;
import io.vigil.alerting.notify.Links;
import io.vigil.alerting.notify.NotificationLog;
import io.vigil.alerting.notify.NotificationMetrics;
import io.vigil.alerting.notify.email.EmailNotifier;
import io.vigil.alerting.notify.slack.SlackNotifier;
import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.route.Receiver;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.junit.WithSmtpSink;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.embedded.smtp.SmtpSink;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The start-up warm-up against a real Slack-like endpoint, a real SMTP server and a real HTTP
 * server standing in for the admin port: it runs the first alert's path and tells no one.
 */
@WithSlackSink
@WithSmtpSink
class WarmupIT {
  private final Clock clock = Clock.systemUTC();
  private final NotificationMetrics metrics =
      NotificationMetrics.register(new PrometheusRegistry());
  private final NotificationLog log =
      new NotificationLog(
          null,
          Counter.builder().name("writes").labelNames("outcome").register(new PrometheusRegistry()),
          Duration.ofDays(1),
          clock);

  private static AlertmanagerConfig routing(String slackUrl, String smarthost) {
    return AlertmanagerConfig.parse(
        """
        route:
          receiver: oncall
          group_by: [alertname]
          routes:
            - matchers: [severity="none"]
              receiver: oncall
              continue: true
        receivers:
          - name: oncall
            slack_configs: [{api_url: '%s', send_resolved: true}]
            email_configs:
              - {to: oncall@example.org, from: vigil@example.org, smarthost: '%s', require_tls: false}
        """
            .formatted(slackUrl, smarthost),
        "alertmanager.yml");
  }

  private List<DeliveryWorker> workers(AlertmanagerConfig routing, HttpClient http) {
    Receiver oncall = routing.receivers().get("oncall");
    return List.of(
        new DeliveryWorker(
            "oncall",
            "slack[0]",
            new SlackNotifier(oncall.slackConfigs().get(0), http, Links.none()),
            log,
            Backoff.defaults(),
            metrics,
            clock),
        new DeliveryWorker(
            "oncall",
            "email[0]",
            new EmailNotifier(oncall.emailConfigs().get(0), Links.none()),
            log,
            Backoff.defaults(),
            metrics,
            clock));
  }

  private Duration warmUp(AlertmanagerConfig routing, HttpClient http, URI health) {
    return Warmup.run(
        new Dispatcher(routing),
        new Muting(
            new Inhibitor(routing.inhibitRules()), new FiringAlerts(), new Silences(), clock),
        workers(routing, http),
        http,
        health,
        clock);
  }

  @Test
  void runsTheFirstAlertsPathWithoutTellingAnyone(SlackSink slack, SmtpSink smtp) throws Exception {
    List<String> healthRequests = new CopyOnWriteArrayList<>();
    HttpServer admin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    admin.createContext(
        "/",
        exchange -> {
          healthRequests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    admin.start();
    try {
      AlertmanagerConfig routing = routing(slack.webhookUrl(), smtp.smarthost());
      URI health = URI.create("http://127.0.0.1:" + admin.getAddress().getPort() + "/healthz");

      Duration took = warmUp(routing, SlackNotifier.defaultHttpClient(), health);

      assertThat(healthRequests)
          .as("the webhook client's one exchange, with this process")
          .containsExactly("GET /healthz");
      assertThat(slack.posts()).as("Slack posts").isEmpty();
      assertThat(smtp.messages()).as("mails").isEmpty();
      assertThat(log.size()).as("notification log entries").isZero();
      assertThat(metrics.count("slack", "success") + metrics.count("email", "success")).isZero();
      assertThat(took).isPositive();
    } finally {
      admin.stop(0);
    }
  }

  @Test
  void partsThatCannotRunAreSkippedAndTheStartGoesOn() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    // An HTTPS webhook and implicit-TLS mail nobody answers, an admin port nobody listens on.
    AlertmanagerConfig routing = routing("https://127.0.0.1:" + closed + "/hook", "127.0.0.1:465");
    URI health = URI.create("http://127.0.0.1:" + closed + "/healthz");

    Duration took = warmUp(routing, SlackNotifier.defaultHttpClient(), health);

    assertThat(took).isPositive();
    assertThat(log.size()).isZero();
  }
}
