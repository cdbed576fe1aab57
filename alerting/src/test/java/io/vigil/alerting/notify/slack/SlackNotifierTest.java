package io.vigil.alerting.notify.slack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.alerting.Secret;
import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.notify.Notification;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SlackNotifierTest {
  private static final SlackConfig CONFIG =
      new SlackConfig(
          false, Secret.of("https://hooks.example.org/T/B/X"), "#alerts", "vigil", null, null);

  @Test
  void payloadSurvivesQuotesAndNewlinesInAnnotations() throws Exception {
    String summary = "checkout said \"boom\"\nsecond line \\ end";
    Notification n = Alerts.notification(1, Alerts.firing(summary));

    String json = Json.mapper().writeValueAsString(SlackNotifier.payload(CONFIG, n));
    JsonNode parsed = Json.mapper().readTree(json);

    assertThat(parsed.get("channel").asText()).isEqualTo("#alerts");
    assertThat(parsed.get("username").asText()).isEqualTo("vigil");
    assertThat(parsed.get("text").asText())
        .isEqualTo("[FIRING:1] HighErrorRatio (c1 shop checkout critical)");
    JsonNode attachment = parsed.get("attachments").get(0);
    assertThat(attachment.get("color").asText()).isEqualTo("danger");
    assertThat(attachment.get("title").asText()).isEqualTo("[FIRING] HighErrorRatio");
    assertThat(attachment.get("text").asText()).isEqualTo("*Summary:* " + summary);
    assertThat(attachment.get("fields").findValuesAsText("title"))
        .contains("severity", "value", "service", "namespace");
  }

  @Test
  void resolvedIsGreenAndConfiguredTemplatesAreRendered() {
    SlackConfig config =
        new SlackConfig(
            true,
            Secret.of("https://hooks.example.org/x"),
            null,
            null,
            "{{ $labels.service }} down",
            "value {{ $value }}");
    Notification n = Alerts.notification(1, Alerts.resolved());

    JsonNode payload = SlackNotifier.payload(config, n);

    assertThat(payload.has("channel")).isFalse();
    JsonNode attachment = payload.get("attachments").get(0);
    assertThat(attachment.get("color").asText()).isEqualTo("good");
    assertThat(attachment.get("title").asText()).isEqualTo("checkout down");
    assertThat(attachment.get("text").asText()).isEqualTo("value 0.01");
  }

  @Test
  void oneAttachmentPerAlertCutAtSlacksLimits() {
    AlertTransition[] many = new AlertTransition[SlackNotifier.MAX_ATTACHMENTS + 5];
    for (int i = 0; i < many.length; i++) {
      many[i] = Alerts.firing("svc" + i, "x".repeat(SlackNotifier.MAX_TEXT + 100));
    }

    JsonNode payload = SlackNotifier.payload(CONFIG, Alerts.notification(1, many));

    JsonNode attachments = payload.get("attachments");
    assertThat(attachments).hasSize(SlackNotifier.MAX_ATTACHMENTS + 1);
    assertThat(attachments.get(0).get("text").asText())
        .hasSize(SlackNotifier.MAX_TEXT)
        .endsWith("…");
    assertThat(attachments.get(SlackNotifier.MAX_ATTACHMENTS).get("text").asText())
        .isEqualTo("… and 5 more alerts in this group");
    assertThat(payload.get("text").asText()).startsWith("[FIRING:25] HighErrorRatio");
  }

  @Test
  void readsRetryAfterSecondsAndDates() {
    assertThat(SlackNotifier.retryAfter(Optional.of("3"))).contains(Duration.ofSeconds(3));
    assertThat(SlackNotifier.retryAfter(Optional.of("Wed, 21 Oct 2015 07:28:00 GMT")))
        .contains(Duration.ZERO);
    assertThat(SlackNotifier.retryAfter(Optional.of("soon"))).isEmpty();
    assertThat(SlackNotifier.retryAfter(Optional.empty())).isEmpty();
  }

  @Test
  void configNeverPrintsTheWebhookUrl() {
    assertThat(CONFIG.toString()).doesNotContain("hooks.example.org").contains("<secret>");
  }
}
