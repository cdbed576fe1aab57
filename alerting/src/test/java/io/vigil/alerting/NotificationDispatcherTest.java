package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.notify.NotificationMetrics;
import io.vigil.alerting.notify.Notifier;
import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.route.Router;
import io.vigil.model.alert.AlertTransition;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NotificationDispatcherTest {
  private final NotificationMetrics metrics =
      NotificationMetrics.register(new PrometheusRegistry());
  private final NotificationLog log =
      new NotificationLog(
          null,
          Counter.builder().name("w").labelNames("outcome").build(),
          Duration.ofHours(24),
          Clock.systemUTC());
  private final Recording slack = new Recording("slack", true);
  private final Recording email = new Recording("email", false);
  private final NotificationDispatcher dispatcher =
      new NotificationDispatcher(
          new Router(
              AlertmanagerConfig.parse(
                      """
                      route: {receiver: oncall}
                      receivers: [{name: oncall}]
                      """,
                      "alertmanager.yml")
                  .route()),
          Map.of("oncall", List.of(slack, email)),
          log,
          metrics);

  @Test
  void aTransitionDeliveredBeforeIsSkippedAndCounted() throws Exception {
    AlertTransition firing = Alerts.firing("s");
    assertThat(dispatcher.dispatch(firing)).isEqualTo(2);

    assertThat(dispatcher.dispatch(firing)).isZero();

    assertThat(slack.sent).hasSize(1);
    assertThat(email.sent).hasSize(1);
    assertThat(dispatcher.deduplicated()).isEqualTo(2);
    assertThat(metrics.count("slack", "deduplicated")).isEqualTo(1);
    assertThat(metrics.count("email", "deduplicated")).isEqualTo(1);
  }

  @Test
  void theResolutionIsStillSentWhereSendResolved() throws Exception {
    dispatcher.dispatch(Alerts.firing("s"));

    assertThat(dispatcher.dispatch(Alerts.resolved())).isEqualTo(1);
    assertThat(dispatcher.dispatch(Alerts.resolved())).isZero();

    assertThat(slack.sent)
        .extracting(n -> n.alert().state())
        .containsExactly(AlertTransition.State.FIRING, AlertTransition.State.RESOLVED);
    assertThat(email.sent).hasSize(1);
  }

  private static final class Recording implements Notifier {
    final List<Notification> sent = new ArrayList<>();
    private final String integration;
    private final boolean sendResolved;

    Recording(String integration, boolean sendResolved) {
      this.integration = integration;
      this.sendResolved = sendResolved;
    }

    @Override
    public String integration() {
      return integration;
    }

    @Override
    public void send(Notification notification) {
      sent.add(notification);
    }

    @Override
    public boolean sendResolved() {
      return sendResolved;
    }
  }
}
