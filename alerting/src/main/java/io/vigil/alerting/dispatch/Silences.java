package io.vigil.alerting.dispatch;

import io.vigil.model.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The silences, folded from {@code vigil.silences} on every replica (latest record per id; a
 * tombstone removes one). Thread-safe.
 */
public final class Silences {
  private final Map<String, Silence> byId = new ConcurrentHashMap<>();

  /** Folds one {@code vigil.silences} record in; an unreadable one is rejected. */
  public void accept(ConsumerRecord<byte[], byte[]> record) {
    if (record.key() == null) {
      return;
    }
    String id = new String(record.key(), StandardCharsets.UTF_8);
    if (record.value() == null) {
      byId.remove(id);
      return;
    }
    try {
      put(Json.mapper().readValue(record.value(), Silence.class));
    } catch (IOException e) {
      throw new IllegalArgumentException("not a silence: " + e.getMessage(), e);
    }
  }

  /** Adds or replaces {@code silence} (a later {@code updatedAt} wins). */
  public void put(Silence silence) {
    byId.merge(
        silence.id(),
        silence,
        (old, now) ->
            old.updatedAt() != null
                    && now.updatedAt() != null
                    && now.updatedAt().isBefore(old.updatedAt())
                ? old
                : now);
  }

  /** The silence {@code id}, if known. */
  public Optional<Silence> get(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** Every silence, newest first. */
  public List<Silence> all() {
    List<Silence> out = new ArrayList<>(byId.values());
    out.sort(
        Comparator.comparing(
                Silence::updatedAt, Comparator.nullsLast(Comparator.<Instant>naturalOrder()))
            .reversed());
    return out;
  }

  /** The ids of the silences muting an alert with {@code labels} at {@code now}. */
  public List<String> muting(Map<String, String> labels, Instant now) {
    List<String> ids = new ArrayList<>();
    for (Silence s : byId.values()) {
      if (s.mutes(labels, now)) {
        ids.add(s.id());
      }
    }
    return ids;
  }
}
