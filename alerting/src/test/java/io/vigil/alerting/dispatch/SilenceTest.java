package io.vigil.alerting.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SilenceTest {
  private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");

  private static Silence silence(
      List<Silence.SilenceMatcher> matchers, Instant start, Instant end) {
    return new Silence("id", matchers, start, end, "alice", "maintenance", NOW);
  }

  private static Silence.SilenceMatcher eq(String name, String value) {
    return new Silence.SilenceMatcher(name, value, false, true);
  }

  private static Silence.SilenceMatcher re(String name, String value) {
    return new Silence.SilenceMatcher(name, value, true, null);
  }

  @Test
  void mutesMatchingAlertsOnlyWhileActive() {
    Silence s =
        silence(
            List.of(eq("service", "checkout"), re("severity", "crit.*")), NOW, NOW.plusSeconds(60));
    Map<String, String> alert = Map.of("service", "checkout", "severity", "critical");

    assertThat(s.mutes(alert, NOW.plusSeconds(30))).isTrue();
    assertThat(s.mutes(Map.of("service", "cart", "severity", "critical"), NOW)).isFalse();
    assertThat(s.mutes(alert, NOW.minusSeconds(1))).as("pending").isFalse();
    assertThat(s.state(NOW.minusSeconds(1))).isEqualTo("pending");
    assertThat(s.mutes(alert, NOW.plusSeconds(60))).as("expired").isFalse();
    assertThat(s.state(NOW.plusSeconds(60))).isEqualTo("expired");
  }

  @Test
  void rejectsWhatAlertmanagerRejectsNamingTheField() {
    Instant end = NOW.plusSeconds(60);
    assertThatThrownBy(() -> silence(List.of(), NOW, end).validate(NOW))
        .hasMessageStartingWith("matchers:");
    assertThatThrownBy(() -> silence(List.of(re("service", ".*")), NOW, end).validate(NOW))
        .hasMessageContaining("silence everything");
    assertThatThrownBy(() -> silence(List.of(eq("bad-name", "x")), NOW, end).validate(NOW))
        .hasMessageStartingWith("matchers[0]: invalid label name 'bad-name'");
    assertThatThrownBy(() -> silence(List.of(re("a", "(")), NOW, end).validate(NOW))
        .hasMessageStartingWith("matchers[0]: invalid regular expression");
    assertThatThrownBy(() -> silence(List.of(eq("a", "b")), NOW, NOW).validate(NOW))
        .hasMessageStartingWith("endsAt: must be after startsAt");
    assertThatThrownBy(
            () -> new Silence("id", List.of(eq("a", "b")), NOW, end, " ", "c", NOW).validate(NOW))
        .hasMessage("createdBy: required");
  }
}
