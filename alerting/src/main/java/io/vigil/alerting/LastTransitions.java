package io.vigil.alerting;

import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.runtime.ThrottlingLogger;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last transition per fingerprint, folded from a replay of {@code vigil.alerts}, with the time
 * it was written (the record timestamp: processing time, unlike the transition's own event-time
 * fields).
 */
final class LastTransitions {
  private static final Logger LOG = LoggerFactory.getLogger(LastTransitions.class);

  private final Map<String, Written> byFingerprint = new HashMap<>();
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);

  /** Folds one replayed record in; unreadable ones are logged and skipped. */
  void accept(ConsumerRecord<byte[], byte[]> record) {
    if (record.value() == null) {
      return;
    }
    try {
      AlertTransition t = Json.mapper().readValue(record.value(), AlertTransition.class);
      add(t, Instant.ofEpochMilli(record.timestamp()));
    } catch (IOException | RuntimeException e) {
      throttled.warn(
          "ignoring an unreadable {} record at {}-{}@{}: {}",
          Topics.ALERTS,
          record.topic(),
          record.partition(),
          record.offset(),
          e.getMessage());
    }
  }

  /** Folds {@code transition}, written at {@code writtenAt}, in; a later one replaces it. */
  void add(AlertTransition transition, Instant writtenAt) {
    byFingerprint.put(transition.fingerprint(), new Written(transition, writtenAt));
  }

  /** The last transition of each alert written at or after {@code since}. */
  List<AlertTransition> since(Instant since) {
    List<AlertTransition> out = new ArrayList<>();
    for (Written w : byFingerprint.values()) {
      if (!w.writtenAt().isBefore(since)) {
        out.add(w.transition());
      }
    }
    return out;
  }

  private record Written(AlertTransition transition, Instant writtenAt) {}
}
