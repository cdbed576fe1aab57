package io.vigil.processor.signals;

import io.vigil.model.runtime.ThrottlingLogger;
import io.vigil.processor.ProcessorMetrics;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
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
 * store (JSON), so the limit holds across restarts. They are read from it once, when the task
 * starts, and kept on the heap: a request reads no store, a service's entry is written once per
 * request that changed it ({@link #save}), not once per operation, and the minute's eviction looks
 * at the heap's copy rather than decoding every entry of the store (BENCHMARKS.md, "Operations
 * guarded on the heap").
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

  /** Every service's operations and when each was last seen: the store's entries, decoded. */
  private final Map<String, Map<String, Long>> known = new HashMap<>();

  /** Services whose operations changed since their entry was last written. */
  private final Set<String> unsaved = new HashSet<>();

  OperationGuard(KeyValueStore<String, Known> store, int max, ProcessorMetrics metrics) {
    this.store = store;
    this.max = max;
    this.metrics = metrics;
    try (KeyValueIterator<String, Known> it = store.all()) {
      it.forEachRemaining(entry -> known.put(entry.key, new HashMap<>(entry.value.lastSeen())));
    }
  }

  /**
   * The operation {@code points} points of {@code operation} of {@code service} (its series key)
   * are counted as, seen at {@code now}: itself while the service has room for it, else {@link
   * #OVERFLOW} (each point counted in {@code operation_overflow}); null when per-operation series
   * are off or the points name none. What it learns goes to the store at {@link #save}.
   */
  String admit(String service, String operation, int points, long now) {
    if (operation == null || max == 0) {
      return null;
    }
    Map<String, Long> operations = known.get(service);
    if (operations == null) {
      operations = new HashMap<>();
      known.put(service, operations);
    }
    Long seen = operations.get(operation);
    if (seen == null && operations.size() >= max) {
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
      operations.put(operation, now);
      unsaved.add(service);
    }
    return operation;
  }

  /**
   * Writes {@code service}'s operations to the store if {@link #admit} changed them since: once per
   * request, however many of its operations were new or due a refresh (an exporter's operations are
   * seen together, so each minute they are all due together).
   */
  void save(String service) {
    if (unsaved.remove(service)) {
      store.put(service, new Known(known.get(service)));
    }
  }

  /** Forgets the operations not seen since {@code before} (epoch ms), freeing their places. */
  void evict(long before) {
    Iterator<Map.Entry<String, Map<String, Long>>> it = known.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Map<String, Long>> entry = it.next();
      Map<String, Long> operations = entry.getValue();
      if (!operations.values().removeIf(seen -> seen < before)) {
        continue;
      }
      if (operations.isEmpty()) {
        it.remove();
        FinalWindows.forget(store, entry.getKey());
      } else {
        store.put(entry.getKey(), new Known(operations));
      }
      unsaved.remove(entry.getKey());
    }
  }
}
