package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The log records of one service in one input record, counted per one-second slot: what the log
 * step sends the log-volume signals through the repartition topic (JSON, so the field names are an
 * internal wire format).
 *
 * @param cluster {@code k8s.cluster.name}, may be null
 * @param namespace {@code k8s.namespace.name}, else {@code service.namespace}, may be null
 * @param service {@code service.name}
 * @param slots the counts, one per slot with records, in time order
 */
public record LogCounts(String cluster, String namespace, String service, List<Slot> slots) {

  /**
   * The records of one second.
   *
   * @param startMs the slot's start, epoch ms, a whole second
   * @param records log records
   * @param errors those of severity ERROR or worse
   */
  public record Slot(long startMs, long records, long errors) {
    Slot plus(Slot other) {
      return new Slot(startMs, records + other.records, errors + other.errors);
    }
  }

  /** Freezes the slots. */
  public LogCounts {
    slots = List.copyOf(slots);
  }

  /** The key of the service's log-volume series, the one it is partitioned by. */
  public String seriesKey() {
    return GoldenSignal.logsSeriesKey(cluster, namespace, service);
  }

  /** Counts log records by service and second. Not thread-safe; one per input record. */
  public static final class Tally {
    private final Map<String, LogCounts> identities = new LinkedHashMap<>();
    private final Map<String, TreeMap<Long, Slot>> slots = new LinkedHashMap<>();

    /** Counts one record of the service, at {@code timeMs}. */
    public void add(String cluster, String namespace, String service, long timeMs, boolean error) {
      String key = GoldenSignal.logsSeriesKey(cluster, namespace, service);
      identities.computeIfAbsent(key, k -> new LogCounts(cluster, namespace, service, List.of()));
      long start = DeltaSpreader.slotOf(timeMs);
      slots
          .computeIfAbsent(key, k -> new TreeMap<>())
          .merge(start, new Slot(start, 1, error ? 1 : 0), Slot::plus);
    }

    /** The counts of each service seen, by series key. */
    public Map<String, LogCounts> counts() {
      Map<String, LogCounts> out = new LinkedHashMap<>();
      identities.forEach(
          (key, id) ->
              out.put(
                  key,
                  new LogCounts(
                      id.cluster(),
                      id.namespace(),
                      id.service(),
                      new ArrayList<>(slots.get(key).values()))));
      return out;
    }
  }
}
