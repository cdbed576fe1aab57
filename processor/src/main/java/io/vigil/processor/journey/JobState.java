package io.vigil.processor.journey;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import java.time.Instant;

/** What the journey keeps of a job, in the {@code journey-jobs} store (key: namespace/name). */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
final class JobState {
  String namespace;
  String name;

  /** End of its latest successful run, or null. */
  Instant lastSuccess;

  /** Latest event seen of it. */
  Instant lastEvent;

  /**
   * Earliest event seen of it: before its first success, staleness counts from here. Null in state
   * written before it was kept: then the next event sets it.
   */
  Instant firstSeen;

  JobState() {}

  JobState(String namespace, String name) {
    this.namespace = namespace;
    this.name = name;
  }
}
