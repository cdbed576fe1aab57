package io.vigil.alerting;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.prometheus.metrics.core.metrics.Counter;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.runtime.ThrottlingLogger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notification log on {@code vigil.notifications} (compacted): one entry per (alert, receiver,
 * integration) saying which state of which alert occurrence ({@code startsAt}) was delivered last.
 * Loaded at startup, consulted before each delivery, written (waiting for the ack) after each
 * successful one — so re-processing a batch after a crash skips what was already delivered.
 *
 * <p>Not thread-safe: the signal loop owns it once the service runs.
 */
final class NotificationLog {
  private static final Logger LOG = LoggerFactory.getLogger(NotificationLog.class);
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);
  private static final int PRUNE_EVERY = 1000;

  private final Map<String, Entry> entries = new HashMap<>();
  private final Producer<byte[], byte[]> producer;
  private final Counter writes;
  private final Duration horizon;
  private final Clock clock;
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);
  private int sinceLastPrune;

  /**
   * A log written through {@code producer} (null: kept in memory only) that forgets entries sent
   * more than {@code horizon} ago; {@code writes} counts writes by outcome ({@code written}, {@code
   * failed}).
   */
  NotificationLog(
      Producer<byte[], byte[]> producer, Counter writes, Duration horizon, Clock clock) {
    this.producer = producer;
    this.writes = writes;
    this.horizon = horizon;
    this.clock = clock;
  }

  /** The record key: {@code <fingerprint>/<receiver>/<integration>}. */
  static String key(String fingerprint, String receiver, String integration) {
    return fingerprint + "/" + receiver + "/" + integration;
  }

  /**
   * Whether {@code transition} was already delivered under {@code key}: the entry is for the same
   * occurrence (same {@code startsAt}) and records the same state — or records {@code resolved},
   * after which a {@code firing} of that occurrence is stale.
   */
  boolean alreadySent(String key, AlertTransition transition) {
    Entry e = entries.get(key);
    if (e == null || !e.startsAt().equals(transition.startsAt())) {
      return false;
    }
    return e.state() == transition.state() || e.state() == AlertTransition.State.RESOLVED;
  }

  /**
   * Records a successful delivery: in memory at once, then on the topic, waiting for the ack. A
   * failed write is counted and logged (the notification is out; only a restart could repeat it).
   */
  void delivered(String receiver, String integration, AlertTransition transition)
      throws InterruptedException {
    Entry entry =
        new Entry(
            transition.fingerprint(),
            receiver,
            integration,
            transition.state(),
            transition.startsAt(),
            clock.instant());
    String key = key(transition.fingerprint(), receiver, integration);
    entries.put(key, entry);
    pruneNowAndThen();
    if (producer == null) {
      return;
    }
    try {
      producer
          .send(
              new ProducerRecord<>(
                  Topics.NOTIFICATIONS,
                  key.getBytes(StandardCharsets.UTF_8),
                  Json.mapper().writeValueAsBytes(entry)))
          .get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      writes.labelValues("written").inc();
    } catch (IOException | ExecutionException | TimeoutException | RuntimeException e) {
      writes.labelValues("failed").inc();
      throttled.warn(
          "could not record the {} notification of {} to {} in {}: {}",
          integration,
          transition.fingerprint(),
          receiver,
          Topics.NOTIFICATIONS,
          e.toString());
    }
  }

  /** Applies one record replayed from the topic; a tombstone removes the entry. */
  void load(ConsumerRecord<byte[], byte[]> record) {
    if (record.key() == null) {
      return;
    }
    String key = new String(record.key(), StandardCharsets.UTF_8);
    if (record.value() == null) {
      entries.remove(key);
      return;
    }
    try {
      Entry entry = Json.mapper().readValue(record.value(), Entry.class);
      if (entry.sentAt() != null
          && entry.startsAt() != null
          && entry.state() != null
          && !entry.sentAt().isBefore(clock.instant().minus(horizon))) {
        entries.put(key, entry);
      } else {
        entries.remove(key);
      }
    } catch (IOException e) {
      throttled.warn(
          "ignoring an unreadable {} record at {}-{}@{}: {}",
          Topics.NOTIFICATIONS,
          record.topic(),
          record.partition(),
          record.offset(),
          e.getMessage());
    }
  }

  /** Entries held. */
  int size() {
    return entries.size();
  }

  private void pruneNowAndThen() {
    if (++sinceLastPrune < PRUNE_EVERY) {
      return;
    }
    sinceLastPrune = 0;
    Instant oldest = clock.instant().minus(horizon);
    entries.values().removeIf(e -> e.sentAt().isBefore(oldest));
  }

  /** One {@code vigil.notifications} value. */
  record Entry(
      @JsonProperty("fingerprint") String fingerprint,
      @JsonProperty("receiver") String receiver,
      @JsonProperty("integration") String integration,
      @JsonProperty("state") AlertTransition.State state,
      @JsonProperty("startsAt") Instant startsAt,
      @JsonProperty("sentAt") Instant sentAt) {}
}
