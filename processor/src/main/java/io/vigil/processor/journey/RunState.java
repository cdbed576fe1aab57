package io.vigil.processor.journey;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A run in the {@code journey-runs} store (key: run id), from its first event to its end and for
 * {@link PipelineRunsProcessor#REMEMBER_ENDED_RUN} after it ({@code ended} set), so that a repeated
 * or late event of it is known for what it is. Mutable, read-modify-written per event.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
final class RunState {
  String namespace;
  String name;
  String parentRunId;
  String parentJob;
  String cluster;
  Instant start;
  Instant lastEvent;
  Long rows;
  Long bytes;
  int assertions;
  List<String> failedAssertions = new ArrayList<>();
  boolean overdueEmitted;

  /** How the run ended (complete, failed, aborted), or null while it goes on. */
  String ended;

  /** When (this processor's wall clock, epoch ms) it ended. */
  long endedAtMs;

  RunState() {}

  /** Takes what {@code event} tells of the run. */
  void merge(LineageEvent event) {
    namespace = event.namespace();
    name = event.name();
    if (event.cluster() != null) {
      cluster = event.cluster();
    }
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
