package io.vigil.processor.signals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The cumulative state of one task's series, in the {@code signals-series-state} store and kept
 * decoded on the heap, in one entry per series and sender:
 *
 * <ul>
 *   <li>the series' own entry, keyed by the series: the time of its newest request-metric point,
 *       and the streams of points that name no origin (put on the repartition topic by an older
 *       processor);
 *   <li>an entry per origin ({@link MetricPoint#origin()}: a replica of the service), keyed {@code
 *       <series>#<origin>}: that sender's streams.
 * </ul>
 *
 * <p>A request comes from one sender, so it writes its sender's entry, not every replica's streams:
 * with the whole series in one entry, each request rewrote (and sent to the changelog) the state of
 * all the service's replicas, a cost per request that grew with their number (BENCHMARKS.md,
 * "Series state by sender"). A stream found in the series' own entry, as a processor before origins
 * wrote it, moves to its sender's entry at its next point.
 *
 * <p>The entries a record reads are settled once ({@link SeriesState#settle}) and those it changes
 * written once, at {@link #write}.
 */
final class SeriesStates {
  /** Between a series and an origin in the key of the origin's entry. */
  private static final char ORIGIN = '#';

  private final KeyValueStore<String, SeriesState> store;

  /**
   * Every entry of the store but {@code skip}, decoded: read when the task starts, then only
   * written (with every change: the store and its changelog stay exact), and evicted here.
   */
  private final Map<String, SeriesState> decoded = new HashMap<>();

  /** The entries the current record read, in the order it read them. */
  private final List<Entry> touched = new ArrayList<>(2);

  private String series;

  /** The entry of the origin asked for last in this record, and that origin. */
  private Entry last;

  private String lastOrigin;

  /** An entry a record read, and whether it changed it. */
  private static final class Entry {
    final String key;
    final SeriesState state;
    boolean changed;

    Entry(String key, SeriesState state) {
      this.key = key;
      this.state = state;
    }
  }

  /** The states of {@code store}, but for its entry {@code skip} (not a series'). */
  SeriesStates(KeyValueStore<String, SeriesState> store, String skip) {
    this.store = store;
    FinalWindows.readAll(store, decoded);
    decoded.remove(skip);
  }

  /** Starts a record of {@code series}' points. */
  void begin(String series) {
    this.series = series;
    touched.clear();
    last = null;
    lastOrigin = null;
  }

  /** The current series' own entry, new when it has none. */
  SeriesState series() {
    return entry(series).state;
  }

  /**
   * The state of {@code stream} started at {@code startNanos} of the current series' {@code origin}
   * (null: its own entry), or null when it has none. A stream the series' own entry holds from
   * before origins moves to the origin's entry.
   */
  StreamState get(String origin, String stream, long startNanos) {
    Entry entry = of(origin);
    StreamState state = entry.state.get(stream, startNanos);
    if (state != null || origin == null) {
      return state;
    }
    SeriesState own = decoded.get(series);
    if (own == null || own.size() == 0 || entry.state.size() >= SeriesState.MAX_STREAMS) {
      // Nothing left from before senders; or the sender's entry is full, and takes no stream.
      return null;
    }
    Entry ownEntry = entry(series);
    StreamState moved = ownEntry.state.remove(stream, startNanos);
    if (moved == null) {
      return null;
    }
    entry.state.put(stream, startNanos, moved);
    ownEntry.changed = true;
    entry.changed = true;
    return moved;
  }

  /**
   * Records {@code state} for {@code stream} started at {@code startNanos} of the current series'
   * {@code origin}, after a {@link #get} of it; false when it is new and the entry is full.
   */
  boolean put(String origin, String stream, long startNanos, StreamState state) {
    Entry entry = of(origin);
    if (!entry.state.put(stream, startNanos, state)) {
      return false;
    }
    entry.changed = true;
    return true;
  }

  /** Marks the current series' own entry changed. */
  void seriesChanged() {
    entry(series).changed = true;
  }

  /** Writes the entries the current record changed, each once. */
  void write() {
    for (Entry entry : touched) {
      if (entry.changed) {
        store.put(entry.key, entry.state);
      }
    }
  }

  /**
   * Takes back the store's entries for those the current record read: after a failure, they may be
   * half changed and not written.
   */
  void revert() {
    for (Entry entry : touched) {
      SeriesState stored = store.get(entry.key);
      if (stored == null) {
        decoded.remove(entry.key);
      } else {
        decoded.put(entry.key, stored);
      }
    }
    touched.clear();
    last = null;
  }

  /**
   * Turns streams whose last point is older than {@code staleBeforeNanos} into eviction markers and
   * drops markers older than {@code markersBeforeNanos} ({@link SeriesState#evict}), in every
   * entry; an entry left empty is deleted.
   */
  void evict(long staleBeforeNanos, long markersBeforeNanos) {
    Iterator<Map.Entry<String, SeriesState>> it = decoded.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, SeriesState> entry = it.next();
      boolean changed = entry.getValue().evict(staleBeforeNanos, markersBeforeNanos);
      if (entry.getValue().isEmpty()) {
        // No state at all (or one a span-only series never wrote): made anew if the series returns.
        it.remove();
        if (changed) {
          FinalWindows.forget(store, entry.getKey());
        }
      } else if (changed) {
        store.put(entry.getKey(), entry.getValue());
      }
    }
  }

  /** The entry of the current series' {@code origin} (null: its own). */
  private Entry of(String origin) {
    if (last != null && origin == lastOrigin) {
      return last;
    }
    last = origin == null ? entry(series) : entry(series + ORIGIN + origin);
    lastOrigin = origin;
    return last;
  }

  /** Entry {@code key}, settled when the record first reads it; new when the store has none. */
  private Entry entry(String key) {
    for (Entry entry : touched) {
      if (entry.key.equals(key)) {
        return entry;
      }
    }
    SeriesState state = decoded.get(key);
    if (state == null) {
      state = new SeriesState();
      decoded.put(key, state);
    } else {
      state.settle();
    }
    Entry entry = new Entry(key, state);
    touched.add(entry);
    return entry;
  }
}
