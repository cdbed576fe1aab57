package io.vigil.alerting.rules;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One line of {@code vigil.logs} as log-pattern rules see it ({@link Samples#of(
 * io.vigil.model.log.LogRecord)}): the labels a stream selector can match, the message, the time.
 *
 * @param labels {@code cluster}, {@code namespace}, {@code service}, {@code level}, {@code pod},
 *     {@code container}, {@code node}, {@code host} — those the record has
 * @param message the record's {@code message}, empty when it has none
 * @param time the record's {@code @timestamp}
 */
public record LogLine(Map<String, String> labels, String message, Instant time) {
  /** Checks the required parts and freezes the labels in name order. */
  public LogLine {
    labels = Map.copyOf(new TreeMap<>(labels));
    message = message == null ? "" : message;
    Objects.requireNonNull(time, "time");
  }
}
