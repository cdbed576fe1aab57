package io.vigil.alerting.notify.slack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.alerting.Secret;
import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.notify.Links;
import io.vigil.alerting.notify.Notification;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SlackNotifierTest {
  private static final SlackConfig CONFIG =
      new SlackConfig(
          false, Secret.of("https://hooks.example.org/T/B/X"), "#alerts", "vigil", null, null);

  private static final Links LINKS =
      new Links("https://grafana.example.org", "https://kibana.example.org");

  @Test
  void blockKitPayloadSurvivesQuotesAndNewlinesInAnnotations() throws Exception {
    String summary = "checkout said \"boom\"\nsecond line \\ end";
    Notification n = Alerts.notification(1, Alerts.firing(summary));

    String json = Json.mapper().writeValueAsString(SlackNotifier.payload(CONFIG, n, LINKS));
    JsonNode parsed = Json.mapper().readTree(json);

    assertThat(parsed.get("channel").asText()).isEqualTo("#alerts");
    assertThat(parsed.get("username").asText()).isEqualTo("vigil");
    assertThat(parsed.get("text").asText())
        .isEqualTo("[FIRING:1] HighErrorRatio (c1 shop checkout critical)");
    assertThat(parsed.at("/blocks/0/text/text").asText())
        .isEqualTo("*[FIRING:1] HighErrorRatio (c1 shop checkout critical)*");
    JsonNode attachment = parsed.get("attachments").get(0);
    assertThat(attachment.get("color").asText()).as("critical").isEqualTo("danger");
    JsonNode blocks = attachment.get("blocks");
    assertThat(blocks.get(0).at("/text/text").asText())
        .isEqualTo("*[FIRING] HighErrorRatio*\n*Summary:* " + summary);
    assertThat(blocks.get(1).get("fields").findValuesAsText("text"))
        .contains("*severity*\ncritical", "*value*\n0.2", "*service*\ncheckout");
    assertThat(blocks.get(2).get("type").asText()).isEqualTo("context");
    assertThat(blocks.get(3).get("elements").findValuesAsText("url"))
        .satisfiesExactly(
            grafana ->
                assertThat(grafana)
                    .startsWith(
                        "https://grafana.example.org/d/vigil-golden-signals/vigil-golden-signals?")
                    .contains("var-service=checkout"),
            kibana ->
                assertThat(kibana)
                    .startsWith("https://kibana.example.org/app/discover#/?_g=")
                    .contains("service.name"),
            alert -> assertThat(alert).contains("/api/v2/alerts?fingerprint="));
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

    JsonNode payload = SlackNotifier.payload(config, n, Links.none());

    assertThat(payload.has("channel")).isFalse();
    JsonNode attachment = payload.get("attachments").get(0);
    assertThat(attachment.get("color").asText()).isEqualTo("good");
    assertThat(attachment.at("/blocks/0/text/text").asText())
        .isEqualTo("*checkout down*\nvalue 0.01");
    assertThat(attachment.at("/blocks/2/elements/0/text").asText()).contains("ended");
  }

  @Test
  void oneAttachmentPerAlertCutAtSlacksLimits() {
    AlertTransition[] many = new AlertTransition[SlackNotifier.MAX_ATTACHMENTS + 5];
    for (int i = 0; i < many.length; i++) {
      many[i] = Alerts.firing("svc" + i, "x".repeat(SlackNotifier.MAX_TEXT + 100));
    }

    JsonNode payload = SlackNotifier.payload(CONFIG, Alerts.notification(1, many), LINKS);

    JsonNode attachments = payload.get("attachments");
    assertThat(attachments).hasSize(SlackNotifier.MAX_ATTACHMENTS + 1);
    int sectionBudget = SlackNotifier.MESSAGE_BUDGET / SlackNotifier.MAX_ATTACHMENTS;
    assertThat(attachments.get(0).at("/blocks/0/text/text").asText())
        .hasSize(sectionBudget)
        .endsWith("…");
    assertThat(attachments.get(SlackNotifier.MAX_ATTACHMENTS).at("/blocks/0/text/text").asText())
        .isEqualTo("… and 5 more alerts in this group");
    assertThat(payload.get("text").asText()).startsWith("[FIRING:25] HighErrorRatio");
  }

  @Test
  void aLabelWithSlackMarkupIsEscapedAndFieldsStopAtTen() {
    AlertTransition alert = Alerts.firing("x");
    Map<String, String> labels = new java.util.TreeMap<>(alert.labels());
    labels.put("a_label", "<!channel> & co");
    for (int i = 0; i < 15; i++) {
      labels.put("extra" + i, "v" + i);
    }
    AlertTransition wide =
        new AlertTransition(
            alert.fingerprint(),
            alert.rule(),
            alert.state(),
            "warning",
            labels,
            alert.annotations(),
            alert.value(),
            alert.startsAt(),
            null,
            alert.generatorUrl());

    JsonNode attachment =
        SlackNotifier.payload(CONFIG, Alerts.notification(1, wide), Links.none())
            .get("attachments")
            .get(0);

    assertThat(attachment.get("color").asText()).isEqualTo("warning");
    JsonNode fields = attachment.at("/blocks/1/fields");
    assertThat(fields).hasSize(SlackNotifier.MAX_FIELDS);
    assertThat(fields.findValuesAsText("text")).contains("*a_label*\n&lt;!channel&gt; &amp; co");
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
