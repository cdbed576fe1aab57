package io.vigil.processor.signals;

import io.vigil.model.runtime.ThrottlingLogger;
import io.vigil.processor.ProcessorMetrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.LoggerFactory;

/**
 * The cardinality guard of the per-operation series, one per task: each service may have at most
 * {@code max} operations with a series of their own; the points of any further operation are
 * counted in the service's {@link #OVERFLOW} series instead ({@code
 * vigil_processor_data_points_adjusted_total{reason="operation_overflow"}}), so a route template
 * that is not one (a raw path with ids in it) cannot grow the state without bound. An operation not
 * seen for an hour frees its place. The known operations live in the {@code signals-operations}
 * store (JSON), so the limit holds across restarts; a task-local copy spares a store read per
 * request.
 */
final class OperationGuard {
  /** The operation that the points of operations past the limit are counted in. */
  static final String OVERFLOW = "(overflow)";

  /** How much later than its last recorded sighting an operation's sighting is written again. */
  private static final long REFRESH_MS = 60_000;

  private static final ThrottlingLogger LOG =
      new ThrottlingLogger(LoggerFactory.getLogger(OperationGuard.class));

  /**
   * The operations of one service and when each was last seen, epoch ms.
   *
   * @param lastSeen operation → when it was last seen
   */
  record Known(Map<String, Long> lastSeen) {
    Known {
      lastSeen = Map.copyOf(lastSeen);
    }
  }

  private final KeyValueStore<String, Known> store;
  private final int max;
  private final ProcessorMetrics metrics;
  private final Map<String, Map<String, Long>> cache = new HashMap<>();

  OperationGuard(KeyValueStore<String, Known> store, int max, ProcessorMetrics metrics) {
    this.store = store;
    this.max = max;
    this.metrics = metrics;
  }

  /**
   * The operation {@code points} points of {@code operation} of {@code service} (its series key)
   * are counted as, seen at {@code now}: itself while the service has room for it, else {@link
   * #OVERFLOW} (each point counted in {@code operation_overflow}); null when per-operation series
   * are off or the points name none.
   */
  String admit(String service, String operation, int points, long now) {
    if (operation == null || max == 0) {
      return null;
    }
    Map<String, Long> known = cache.get(service);
    if (known == null) {
      Known stored = store.get(service);
      known = stored == null ? new HashMap<>() : new HashMap<>(stored.lastSeen());
      cache.put(service, known);
    }
    Long seen = known.get(operation);
    if (seen == null && known.size() >= max) {
      metrics.dataPointsAdjusted("operation_overflow", points);
      LOG.warn(
          "service {} has {} operations already; '{}' is counted in its {} series",
          service,
          max,
          operation,
          OVERFLOW);
      return OVERFLOW;
    }
    if (seen == null || now - seen >= REFRESH_MS) {
      known.put(operation, now);
      store.put(service, new Known(known));
    }
    return operation;
  }

  /** Forgets the operations not seen since {@code before} (epoch ms), freeing their places. */
  void evict(long before) {
    List<KeyValue<String, Known>> changed = new ArrayList<>();
    try (KeyValueIterator<String, Known> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, Known> entry = it.next();
        Map<String, Long> kept = new HashMap<>(entry.value.lastSeen());
        if (kept.values().removeIf(seen -> seen < before)) {
          changed.add(KeyValue.pair(entry.key, new Known(kept)));
        }
      }
    }
    for (KeyValue<String, Known> entry : changed) {
      if (entry.value.lastSeen().isEmpty()) {
        store.delete(entry.key);
      } else {
        store.put(entry.key, entry.value);
      }
      cache.remove(entry.key);
    }
  }
}
