package io.vigil.alerting.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Map;

/**
 * The state of one (rule, series) while its condition holds or it fires, as kept in the evaluation
 * store (JSON). Times are event times.
 *
 * @param labels the alert's labels
 * @param fingerprint Alertmanager-style fingerprint of {@code labels}
 * @param activeAt when the condition started holding (pending since)
 * @param firing whether it fires ({@code false}: pending, waiting for {@code for})
 * @param startsAt when it started firing ({@code activeAt} while pending)
 * @param updatedAt the latest sample evaluated for it
 * @param lastHeldAt the latest sample that met the condition
 * @param value the latest value of the rule's field
 * @param annotations rendered when it fired
 */
public record AlertState(
    @JsonProperty("labels") Map<String, String> labels,
    @JsonProperty("fingerprint") String fingerprint,
    @JsonProperty("activeAt") Instant activeAt,
    @JsonProperty("firing") boolean firing,
    @JsonProperty("startsAt") Instant startsAt,
    @JsonProperty("updatedAt") Instant updatedAt,
    @JsonProperty("lastHeldAt") Instant lastHeldAt,
    @JsonProperty("value") double value,
    @JsonProperty("annotations") Map<String, String> annotations) {

  /** Freezes the maps. */
  public AlertState {
    labels = Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  /** A pending state that started holding at {@code at} with {@code value}. */
  static AlertState pending(Map<String, String> labels, Instant at, double value) {
    return new AlertState(labels, Fingerprints.of(labels), at, false, at, at, at, value, Map.of());
  }

  AlertState held(Instant at, double newValue) {
    return new AlertState(
        labels, fingerprint, activeAt, firing, startsAt, at, at, newValue, annotations);
  }

  AlertState fired(Instant at, Map<String, String> rendered) {
    return new AlertState(labels, fingerprint, activeAt, true, at, at, at, value, rendered);
  }

  AlertState kept(Instant at, double newValue) {
    return new AlertState(
        labels, fingerprint, activeAt, firing, startsAt, at, lastHeldAt, newValue, annotations);
  }
}
