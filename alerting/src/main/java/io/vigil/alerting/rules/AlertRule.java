package io.vigil.alerting.rules;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One alerting rule from a rule file.
 *
 * @param name the {@code alert} name, which becomes the {@code alertname} label
 * @param group the group it was declared in
 * @param file the file it was read from, for messages
 * @param condition the {@code expr}
 * @param forDuration how long the condition must hold, in signal event time, before the alert
 *     fires; {@code 0s} fires at once
 * @param keepFiringFor how long, in event time, an alert keeps firing after its condition stopped
 *     holding (Prometheus' {@code keep_firing_for}): a flapping value does not resolve and re-fire
 * @param labels labels added to the alert (they win over the series' labels)
 * @param annotations annotation templates, rendered with {@link Template}
 */
public record AlertRule(
    String name,
    String group,
    String file,
    Condition condition,
    Duration forDuration,
    Duration keepFiringFor,
    Map<String, String> labels,
    Map<String, String> annotations) {

  /** Checks required parts and freezes the maps. */
  public AlertRule {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(condition, "condition");
    forDuration = forDuration == null ? Duration.ZERO : forDuration;
    if (forDuration.isNegative()) {
      throw new IllegalArgumentException("for: must not be negative, was " + forDuration);
    }
    keepFiringFor = keepFiringFor == null ? Duration.ZERO : keepFiringFor;
    if (keepFiringFor.isNegative()) {
      throw new IllegalArgumentException(
          "keep_firing_for: must not be negative, was " + keepFiringFor);
    }
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }
}
