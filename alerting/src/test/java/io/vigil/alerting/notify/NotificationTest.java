package io.vigil.alerting.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NotificationTest {
  @Test
  void titleListsGroupLabelsThenTheOtherCommonLabelValuesByName() {
    Notification n = Alerts.notification(1, Alerts.firing("x"));

    assertThat(n.title()).isEqualTo("[FIRING:1] HighErrorRatio (c1 shop checkout critical)");
  }

  @Test
  void titleCountsFiringAlertsAndKeepsOnlyTheLabelsTheyShare() {
    Notification n =
        Alerts.notification(1, Alerts.firing("cart", "x"), Alerts.firing("checkout", "y"));

    assertThat(n.title()).isEqualTo("[FIRING:2] HighErrorRatio (c1 shop critical)");
    assertThat(n.commonLabels()).doesNotContainKey("service");
  }

  @Test
  void aGroupWithOnlyResolvedAlertsIsResolved() {
    assertThat(Alerts.notification(1, Alerts.resolved()).title())
        .isEqualTo("[RESOLVED] HighErrorRatio (c1 shop checkout critical)");
  }

  @Test
  void withoutResolvedKeepsTheFiringAlertsOrNothing() {
    Notification mixed = Alerts.notification(3, Alerts.firing("cart", "x"), Alerts.resolved());

    assertThat(mixed.withoutResolved().alerts()).hasSize(1);
    assertThat(mixed.withoutResolved().version()).isEqualTo(3);
    assertThat(Alerts.notification(3, Alerts.resolved()).withoutResolved()).isNull();
  }

  @Test
  void groupByAllLeavesNothingInParentheses() {
    Notification n =
        new Notification("k", "team", Alerts.firing("x").labels(), List.of(Alerts.firing("x")), 1);

    assertThat(n.title()).isEqualTo("[FIRING:1] HighErrorRatio c1 shop checkout critical");
    assertThat(new Notification("k", "team", Map.of(), List.of(Alerts.firing("x")), 1).title())
        .as("no group labels: the alert name stands in")
        .startsWith("[FIRING:1] HighErrorRatio (");
  }
}
