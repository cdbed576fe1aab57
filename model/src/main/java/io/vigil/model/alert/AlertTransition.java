package io.vigil.model.alert;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One alert state change, as written to {@code vigil.alerts} and indexed into {@code
 * logs-vigil.alerts-default} (history) and {@code vigil-alerts} (current state, {@code _id} =
 * fingerprint). Field names follow Alertmanager's API so existing tooling reads them.
 */
public record AlertTransition(
    @JsonProperty("fingerprint") String fingerprint,
    @JsonProperty("rule") String rule,
    @JsonProperty("state") State state,
    @JsonProperty("severity") String severity,
    @JsonProperty("labels") Map<String, String> labels,
    @JsonProperty("annotations") Map<String, String> annotations,
    @JsonProperty("value") double value,
    @JsonProperty("startsAt") Instant startsAt,
    @JsonProperty("endsAt") Instant endsAt,
    @JsonProperty("generatorUrl") String generatorUrl) {

  /** Alert states; serialised lower-case as the contract requires. */
  public enum State {
    @JsonProperty("firing")
    FIRING,
    @JsonProperty("resolved")
    RESOLVED;

    /** The lower-case wire name. */
    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Checks the fields every consumer relies on and freezes the maps. */
  public AlertTransition {
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(startsAt, "startsAt");
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  /** The time of this transition: {@code endsAt} when resolved, {@code startsAt} when firing. */
  @JsonProperty(value = "@timestamp", access = JsonProperty.Access.READ_ONLY)
  public Instant timestamp() {
    return state == State.RESOLVED && endsAt != null ? endsAt : startsAt;
  }
}
