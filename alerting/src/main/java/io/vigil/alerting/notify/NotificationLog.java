package io.vigil.alerting.notify;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.prometheus.metrics.core.metrics.Counter;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.runtime.ThrottlingLogger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notification log on {@code vigil.notifications} (compacted), Alertmanager's {@code nflog}:
 * per (alert group, integration) the version of the group's notification delivered last. Loaded
 * before delivery starts, consulted before each attempt, written (waiting for the ack) after each
 * success — so a restart or a failover re-sends at most the notification that was in flight.
 *
 * <p>Thread-safe: the delivery workers of every integration share it.
 */
public final class NotificationLog {
  private static final Logger LOG = LoggerFactory.getLogger(NotificationLog.class);
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final Producer<byte[], byte[]> producer;
  private final Counter writes;
  private final Duration horizon;
  private final Clock clock;
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);

  /**
   * A log written through {@code producer} (null: kept in memory only) that forgets entries written
   * more than {@code horizon} ago when loading; {@code writes} counts writes by outcome ({@code
   * written}, {@code failed}).
   */
  public NotificationLog(
      Producer<byte[], byte[]> producer, Counter writes, Duration horizon, Clock clock) {
    this.producer = producer;
    this.writes = writes;
    this.horizon = horizon;
    this.clock = clock;
  }

  /** The record key: {@code <group key>/<integration>}. */
  static String key(String groupKey, String integration) {
    return groupKey + "/" + integration;
  }

  /** The version of {@code groupKey}'s notification last delivered to {@code integration}; -1. */
  long deliveredVersion(String groupKey, String integration) {
    Entry e = entries.get(key(groupKey, integration));
    return e == null ? -1 : e.version();
  }

  /**
   * Records that {@code notification} reached {@code integration}: in memory at once, then on the
   * topic, waiting for the ack. A failed write is counted and logged (the message is out; only a
   * restart before the next write could repeat it).
   */
  void delivered(Notification notification, String integration) throws InterruptedException {
    String key = key(notification.groupKey(), integration);
    Entry entry = entry(notification, integration, clock.instant());
    entries.merge(key, entry, (old, e) -> e.version() >= old.version() ? e : old);
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
          "could not record the {} notification of group {} in {}: {}",
          integration,
          notification.groupKey(),
          Topics.NOTIFICATIONS,
          e.toString());
    }
  }

  private static Entry entry(Notification notification, String integration, Instant sentAt) {
    return new Entry(
        notification.groupKey(),
        notification.receiver(),
        integration,
        notification.version(),
        notification.firing().size(),
        notification.resolved().size(),
        sentAt);
  }

  /**
   * Writes and reads back, in memory only, the entry that delivering {@code sample} to {@code
   * integration} would record: builds its JSON writer and reader ahead of the first delivery.
   */
  static void warmUp(Notification sample, String integration) throws IOException {
    byte[] json = Json.mapper().writeValueAsBytes(entry(sample, integration, Instant.EPOCH));
    Json.mapper().readValue(json, Entry.class);
  }

  /** Applies one record read from the topic; a tombstone or an old entry removes the key. */
  public void load(ConsumerRecord<byte[], byte[]> record) {
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
      if (entry.sentAt() != null && !entry.sentAt().isBefore(clock.instant().minus(horizon))) {
        entries.merge(key, entry, (old, e) -> e.version() >= old.version() ? e : old);
      } else {
        entries.remove(key);
      }
    } catch (IOException e) {
      // An entry of the format before alert groups (no version) lands here too: it is skipped.
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
  public int size() {
    return entries.size();
  }

  /** One {@code vigil.notifications} value. */
  record Entry(
      @JsonProperty(value = "groupKey", required = true) String groupKey,
      @JsonProperty("receiver") String receiver,
      @JsonProperty("integration") String integration,
      @JsonProperty(value = "version", required = true) long version,
      @JsonProperty("firing") int firing,
      @JsonProperty("resolved") int resolved,
      @JsonProperty("sentAt") Instant sentAt) {}
}
