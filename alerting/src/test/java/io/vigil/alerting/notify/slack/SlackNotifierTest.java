package io.vigil.alerting.notify.slack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.alerting.Secret;
import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.notify.Notification;
import io.vigil.model.json.Json;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SlackNotifierTest {
  private static final SlackConfig CONFIG =
      new SlackConfig(
          false, Secret.of("https://hooks.example.org/T/B/X"), "#alerts", "vigil", null, null);

  @Test
  void payloadSurvivesQuotesAndNewlinesInAnnotations() throws Exception {
    String summary = "checkout said \"boom\"\nsecond line \\ end";
    Notification n = Notification.of(Alerts.firing(summary), "team", List.of("alertname"), false);

    String json = Json.mapper().writeValueAsString(SlackNotifier.payload(CONFIG, n));
    JsonNode parsed = Json.mapper().readTree(json);

    assertThat(parsed.get("channel").asText()).isEqualTo("#alerts");
    assertThat(parsed.get("username").asText()).isEqualTo("vigil");
    assertThat(parsed.get("text").asText())
        .isEqualTo("[FIRING:1] HighErrorRatio (c1 shop checkout critical)");
    JsonNode attachment = parsed.get("attachments").get(0);
    assertThat(attachment.get("color").asText()).isEqualTo("danger");
    assertThat(attachment.get("title").asText()).isEqualTo("[FIRING:1] HighErrorRatio");
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
    Notification n = Notification.of(Alerts.resolved(), "team", List.of(), false);

    JsonNode payload = SlackNotifier.payload(config, n);

    assertThat(payload.has("channel")).isFalse();
    JsonNode attachment = payload.get("attachments").get(0);
    assertThat(attachment.get("color").asText()).isEqualTo("good");
    assertThat(attachment.get("title").asText()).isEqualTo("checkout down");
    assertThat(attachment.get("text").asText()).isEqualTo("value 0.01");
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
