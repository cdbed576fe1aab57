package io.vigil.alerting.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class NotificationTest {
  @Test
  void titleListsGroupLabelsThenTheOtherLabelValuesByName() {
    Notification n = Notification.of(Alerts.firing("x"), "team", List.of("alertname"), false);

    assertThat(n.title()).isEqualTo("[FIRING:1] HighErrorRatio (c1 shop checkout critical)");
  }

  @Test
  void groupsByAlertNameWhenTheRouteDoesNotGroup() {
    assertThat(Notification.of(Alerts.resolved(), "team", List.of(), false).title())
        .isEqualTo("[RESOLVED] HighErrorRatio (c1 shop checkout critical)");
  }

  @Test
  void groupByAllLeavesNothingInParentheses() {
    assertThat(Notification.of(Alerts.firing("x"), "team", List.of(), true).title())
        .isEqualTo("[FIRING:1] HighErrorRatio c1 shop checkout critical");
  }
}
