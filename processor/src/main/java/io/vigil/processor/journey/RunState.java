package io.vigil.processor.journey;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A run that started and has not ended, in the {@code journey-runs} store (key: run id). Mutable,
 * read-modify-written per event.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
final class RunState {
  String namespace;
  String name;
  String parentRunId;
  String parentJob;
  Instant start;
  Instant lastEvent;
  Long rows;
  Long bytes;
  int assertions;
  List<String> failedAssertions = new ArrayList<>();
  boolean overdueEmitted;

  RunState() {}

  /** Takes what {@code event} tells of the run. */
  void merge(LineageEvent event) {
    namespace = event.namespace();
    name = event.name();
    if (event.parentRunId() != null) {
      parentRunId = event.parentRunId();
      parentJob = event.parentJob();
    }
    if ("START".equals(event.eventType()) && (start == null || event.eventTime().isBefore(start))) {
      start = event.eventTime();
    }
    if (lastEvent == null || event.eventTime().isAfter(lastEvent)) {
      lastEvent = event.eventTime();
    }
    if (event.rows() != null) {
      rows = event.rows();
    }
    if (event.bytes() != null) {
      bytes = event.bytes();
    }
    if (event.assertions() > 0) {
      assertions = event.assertions();
      failedAssertions = new ArrayList<>(event.failedAssertions());
    }
  }
}
