package io.vigil.alerting.dispatch;

import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The alerts firing now, folded from {@code vigil.alerts} (latest transition per fingerprint): what
 * {@code /api/v2/alerts} shows and what inhibition looks at. Every replica folds the whole topic,
 * so the view is global. Thread-safe.
 */
public final class FiringAlerts {
  private final Map<String, AlertTransition> firing = new ConcurrentHashMap<>();

  /** Folds one {@code vigil.alerts} record in; an unreadable one is rejected. */
  public void accept(ConsumerRecord<byte[], byte[]> record) {
    if (record.value() == null) {
      return;
    }
    AlertTransition t;
    try {
      t = Json.mapper().readValue(record.value(), AlertTransition.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("not an alert transition: " + e.getMessage(), e);
    }
    apply(t);
  }

  /** Folds {@code t} in: firing is kept, resolved removes the alert. */
  public void apply(AlertTransition t) {
    if (t.state() == AlertTransition.State.FIRING) {
      firing.merge(
          t.fingerprint(), t, (old, now) -> now.startsAt().isBefore(old.startsAt()) ? old : now);
    } else {
      firing.computeIfPresent(
          t.fingerprint(), (fp, old) -> t.startsAt().isBefore(old.startsAt()) ? old : null);
    }
  }

  /** The firing alerts, by fingerprint (posted alerts past their {@code endsAt} left out). */
  public List<AlertTransition> all() {
    Instant now = Instant.now();
    List<AlertTransition> out = new ArrayList<>();
    for (AlertTransition t : firing.values()) {
      if (Dispatcher.isFiring(t, now)) {
        out.add(t);
      }
    }
    out.sort(Comparator.comparing(AlertTransition::fingerprint));
    return out;
  }

  /** How many fire. */
  public int size() {
    return firing.size();
  }
}
