package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The final windows of one task, in the {@code signals-windows} store keyed by window start then
 * series: filled as data arrives, closed when the wall clock passes end + grace. Data for a window
 * already emitted opens a new entry marked late, which goes out as a late supplement.
 *
 * <p>The open windows are also kept decoded on the heap, so adding to one costs an encode (the
 * store and its changelog stay exact with every record) but no decode, and closing reads no store.
 */
final class FinalWindows {
  private final KeyValueStore<String, WindowTotals> store;
  private final Duration window;
  private final long windowMs;
  private final long graceMs;
  private final ProcessorMetrics metrics;

  /** The store's entries, decoded: keys sort by window start as in the store. */
  private final TreeMap<String, WindowTotals> open = new TreeMap<>();

  FinalWindows(
      KeyValueStore<String, WindowTotals> store,
      Duration window,
      Duration grace,
      ProcessorMetrics metrics) {
    this.store = store;
    this.window = window;
    this.windowMs = window.toMillis();
    this.graceMs = grace.toMillis();
    this.metrics = metrics;
    try (KeyValueIterator<String, WindowTotals> it = store.all()) {
      it.forEachRemaining(entry -> open.put(entry.key, entry.value));
    }
  }

  /** The start of the window holding {@code timeMs}. */
  long startOf(long timeMs) {
    return timeMs - Math.floorMod(timeMs, windowMs);
  }

  /** Adds {@code part} to {@code series}' window starting at {@code windowStart}. */
  void add(String series, long windowStart, SignalAccumulator part, long now) {
    String key = key(windowStart, series);
    WindowTotals totals = open.get(key);
    if (totals == null) {
      totals = new WindowTotals(windowStart + windowMs + graceMs <= now, part);
      open.put(key, totals);
    } else {
      totals.totals().merge(part);
    }
    if (totals.late() && part.operation() == null) {
      // An operation's requests are its service's too: counted once, with the service.
      metrics.lateRequests(part.requests());
    }
    store.put(key, totals);
  }

  /** Emits and forgets every window whose end + grace the wall clock has passed. */
  void close(long now, Emit out) {
    Map<String, WindowTotals> due = open.headMap(paddedStart(now - windowMs - graceMs + 1));
    for (Map.Entry<String, WindowTotals> entry : due.entrySet()) {
      int bar = entry.getKey().indexOf('|');
      long start = Long.parseLong(entry.getKey().substring(0, bar));
      WindowTotals totals = entry.getValue();
      Long revision = totals.late() ? now : null;
      GoldenSignal signal = totals.totals().toSignal(start, window, null, revision);
      metrics.signalEmitted(totals.late() ? "late" : "final");
      out.emit(
          entry.getKey().substring(bar + 1),
          new Emitted(false, signal),
          recordTime(start + windowMs, totals.late(), now));
      forget(store, entry.getKey());
    }
    due.clear();
  }

  /**
   * The Kafka timestamp of a closed window's record: its end, or for a late supplement the wall
   * clock when it went out. A supplement for old data stamped with its window's end (a log file
   * from last year read now) would be older than the topic's retention at once, and the broker
   * deletes such a record as soon as its segment rolls, before a lagging reader (the indexer during
   * an Elasticsearch outage) has read it; its window is in its value either way.
   */
  static long recordTime(long windowEndMs, boolean late, long now) {
    return late ? now : windowEndMs;
  }

  /** A window taken out of its store to be emitted. */
  @FunctionalInterface
  interface Due<W> {
    /** Emits {@code window} of {@code series}, starting at {@code startMs}. */
    void close(long startMs, String series, W window);
  }

  /**
   * Hands every window of {@code store} (keyed by {@link #key}) that starts at or before {@code
   * lastDueStartMs} to {@code due}, in time order, and deletes it: how the request, saturation and
   * log-volume windows close on the wall clock.
   */
  static <W> void closeDue(KeyValueStore<String, W> store, long lastDueStartMs, Due<W> due) {
    List<KeyValue<String, W>> closing = new ArrayList<>();
    // Keys sort by window start; the bare start after the last due one ends the range.
    try (KeyValueIterator<String, W> it = store.range(null, paddedStart(lastDueStartMs + 1))) {
      it.forEachRemaining(closing::add);
    }
    for (KeyValue<String, W> entry : closing) {
      int bar = entry.key.indexOf('|');
      due.close(
          Long.parseLong(entry.key.substring(0, bar)), entry.key.substring(bar + 1), entry.value);
      forget(store, entry.key);
    }
  }

  /**
   * Deletes {@code key} from {@code store} (and its changelog) without reading its value back:
   * {@code delete} returns the old value, so decodes it, which closing a window has no use for.
   */
  static void forget(KeyValueStore<String, ?> store, String key) {
    store.put(key, null);
  }

  /** Window start, zero-padded so that keys sort by time, then the series. */
  static String key(long windowStartMs, String series) {
    return paddedStart(windowStartMs) + "|" + series;
  }

  /** Window start, zero-padded to 13 digits so that keys sort by time. */
  static String paddedStart(long startMs) {
    String digits = Long.toString(startMs);
    return "0".repeat(Math.max(0, 13 - digits.length())) + digits;
  }
}
