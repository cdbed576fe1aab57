package io.vigil.alerting.notify.email;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.alerting.Secret;
import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.notify.Links;
import io.vigil.alerting.notify.Notification;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmailNotifierTest {
  private static EmailConfig config(Map<String, String> headers) {
    return new EmailConfig(
        false,
        List.of("oncall@example.org"),
        "vigil@example.org",
        null,
        "localhost",
        25,
        "user",
        Secret.of("hunter2"),
        true,
        headers);
  }

  @Test
  void subjectFollowsAlertmanagersDefault() {
    Notification n = Alerts.notification(1, Alerts.firing("x"));

    assertThat(EmailNotifier.subject(config(Map.of()), n))
        .isEqualTo("[FIRING:1] HighErrorRatio (c1 shop checkout critical)");
  }

  @Test
  void configuredSubjectHeaderWinsAndIsRendered() {
    Notification n = Alerts.notification(1, Alerts.firing("x"));

    assertThat(EmailNotifier.subject(config(Map.of("Subject", "{{ $labels.service }} alert")), n))
        .isEqualTo("checkout alert");
  }

  @Test
  void htmlBodyHasATablePerAlertWithEveryValueEscapedAndTheLinks() {
    String html =
        EmailNotifier.html(
            Alerts.notification(1, Alerts.firing("<script>alert('x')</script> & more")),
            new Links("https://grafana.example.org/", null));

    assertThat(html)
        .startsWith("<!DOCTYPE html>")
        .contains("[FIRING] HighErrorRatio")
        .contains("#c62828") // firing: red header
        .contains(">service</td>")
        .contains(">checkout</td>")
        .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more")
        .doesNotContain("<script>")
        .contains("<a href=\"https://grafana.example.org/d/vigil-golden-signals/")
        .contains("var-cluster=c1&amp;var-namespace=shop");
  }

  @Test
  void bodyListsLabelsAnnotationsValueStartAndLink() {
    String body =
        EmailNotifier.body(
            Alerts.notification(1, Alerts.firing("ratio high")),
            new Links("https://grafana.example.org/", null));

    assertThat(body)
        .contains("  service = checkout\n")
        .contains("  summary = ratio high\n")
        .contains("Value: 0.2\n")
        .contains("Starts at: 2024-05-01T12:00:10Z\n")
        .contains("Alert: http://localhost:8890/api/v2/alerts?fingerprint=0123456789abcdef")
        .contains(
            "Grafana: https://grafana.example.org/d/vigil-golden-signals/vigil-golden-signals?"
                + "var-cluster=c1&var-namespace=shop&var-service=checkout&from=");
  }

  @Test
  void configNeverPrintsThePassword() {
    assertThat(config(Map.of()).toString()).doesNotContain("hunter2");
  }
}
