package io.vigil.alerting.rules;

import java.time.Instant;
import java.util.Map;

/**
 * An alert that is currently firing, as the {@code /api/v2/alerts} endpoint shows it.
 *
 * @param fingerprint Alertmanager-style fingerprint of {@code labels}
 * @param labels the alert's labels
 * @param annotations rendered annotations (with the value from when it fired)
 * @param value the value of the latest window evaluated
 * @param startsAt when it started firing (event time)
 * @param updatedAt end of the latest window evaluated for it (event time)
 * @param generatorUrl link back to this alert
 */
public record ActiveAlert(
    String fingerprint,
    Map<String, String> labels,
    Map<String, String> annotations,
    double value,
    Instant startsAt,
    Instant updatedAt,
    String generatorUrl) {

  /** Freezes the maps. */
  public ActiveAlert {
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
  }
}
