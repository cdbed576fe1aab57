package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.alerting.rules.Fingerprints;
import io.vigil.model.alert.AlertTransition;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PostedAlertsTest {
  private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");
  private static final Duration RESOLVE_TIMEOUT = Duration.ofMinutes(5);

  private static List<AlertTransition> parse(String json) {
    return PostedAlerts.parse(json.getBytes(StandardCharsets.UTF_8), NOW, RESOLVE_TIMEOUT);
  }

  @Test
  void readsAlertmanagersOwnExamplePayload() throws Exception {
    byte[] body;
    try (InputStream in =
        getClass()
            .getResourceAsStream(
                "/fixtures/alertmanager/api-v2-postable-alerts.from-examples-ha-send_alerts.json")) {
      body = in.readAllBytes();
    }

    List<AlertTransition> alerts = PostedAlerts.parse(body, NOW, RESOLVE_TIMEOUT);

    assertThat(alerts)
        .hasSize(6)
        .allSatisfy(
            a -> {
              assertThat(a.state()).isEqualTo(AlertTransition.State.FIRING);
              assertThat(a.rule()).isEqualTo("DiskRunningFull");
              assertThat(a.startsAt()).isEqualTo(NOW);
              assertThat(a.endsAt())
                  .as("now + resolve_timeout")
                  .isEqualTo(NOW.plus(RESOLVE_TIMEOUT));
              assertThat(a.fingerprint()).isEqualTo(Fingerprints.of(a.labels()));
            });
    assertThat(alerts.get(1).annotations())
        .containsEntry("runbook", "the following link http://test-url should be clickable");
  }

  @Test
  void anAlertWhoseEndIsPastIsResolved() {
    List<AlertTransition> alerts =
        parse(
            """
            [{"labels":{"alertname":"X","severity":"critical"},
              "startsAt":"2026-12-02T09:00:00Z","endsAt":"2026-12-02T09:59:00Z",
              "generatorURL":"http://prometheus:9090/graph"}]
            """);

    assertThat(alerts)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.state()).isEqualTo(AlertTransition.State.RESOLVED);
              assertThat(a.severity()).isEqualTo("critical");
              assertThat(a.generatorUrl()).isEqualTo("http://prometheus:9090/graph");
            });
  }

  @Test
  void rejectsWhatAlertmanagerRejectsNamingElementAndField() {
    assertThatThrownBy(() -> parse("{\"labels\":{}}"))
        .hasMessageStartingWith("expected a JSON array of alerts");
    assertThatThrownBy(() -> parse("[{\"labels\":{\"a\":\"b\"}},{\"labels\":{}}]"))
        .hasMessage("[1].labels: at least one label is required");
    assertThatThrownBy(() -> parse("[{\"labels\":{\"bad-name\":\"x\"}}]"))
        .hasMessage("[0].labels: invalid label name 'bad-name'");
    assertThatThrownBy(
            () ->
                parse(
                    "[{\"labels\":{\"a\":\"b\"},\"startsAt\":\"2026-12-02T10:00:00Z\","
                        + "\"endsAt\":\"2026-12-02T09:00:00Z\"}]"))
        .hasMessageStartingWith("[0].endsAt: before startsAt");
    assertThatThrownBy(() -> parse("[{\"labels\":{\"a\":\"b\"},\"startsAt\":\"yesterday\"}]"))
        .hasMessageStartingWith("expected a JSON array of alerts")
        .hasMessageContaining("startsAt");
  }
}
