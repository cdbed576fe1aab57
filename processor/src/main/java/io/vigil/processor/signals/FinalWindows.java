package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The final windows of one task, in the {@code signals-windows} store keyed by window start then
 * service series, each entry with the windows of the service's operations ({@link WindowTotals}):
 * filled as data arrives, closed when the wall clock passes end + grace. Data for a window already
 * emitted opens a new entry marked late, which goes out as a late supplement.
 *
 * <p>A late supplement goes out once its window has had no new data for the grace period (and at
 * the latest a window's length after its first late data): a catch-up after an outage brings each
 * window's data over several seconds of processing, and one supplement per window serves its
 * readers better than one per second (BENCHMARKS.md, "late supplements held").
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

  /**
   * For each late entry that got data while this task ran: wall-clock ms of its first and of its
   * latest data. Heap only: after a restart a late entry goes out at the next close, as it would
   * have without the hold.
   */
  private final Map<String, long[]> lateData = new HashMap<>();

  /**
   * Open entries of the store format before a service's operations shared its entry (an operation's
   * window alone), from a processor upgraded with windows open: data for their window goes on into
   * them until they close, so that each goes out once.
   */
  private int legacyEntries;

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
    readAll(store, open);
    legacyEntries = (int) open.values().stream().filter(FinalWindows::isLegacy).count();
  }

  /** The start of the window holding {@code timeMs}. */
  long startOf(long timeMs) {
    return timeMs - Math.floorMod(timeMs, windowMs);
  }

  /**
   * Adds {@code service}'s totals, and those of its operations ({@code byOperation}: name →
   * totals), to the window of {@code series} starting at {@code windowStart}: one store write.
   */
  void add(
      String series,
      long windowStart,
      SignalAccumulator service,
      Map<String, SignalAccumulator> byOperation,
      long now) {
    if (legacyEntries > 0) {
      byOperation = addToLegacy(windowStart, byOperation, now);
    }
    String key = key(windowStart, series);
    WindowTotals totals = open.get(key);
    if (totals == null) {
      totals =
          new WindowTotals(
              windowStart + windowMs + graceMs <= now, service, new LinkedHashMap<>(byOperation));
      open.put(key, totals);
    } else {
      totals.merge(service, byOperation);
    }
    if (totals.late()) {
      sawLate(key, now);
      // An operation's requests are its service's too: counted once, with the service.
      metrics.lateRequests(service.requests());
    }
    store.put(key, totals);
  }

  private void sawLate(String key, long now) {
    long[] seen = lateData.computeIfAbsent(key, k -> new long[] {now, now});
    seen[1] = now;
  }

  /**
   * Adds to the open entries of the earlier store format (one operation's window alone) the
   * operations of {@code byOperation} that have one for this window, so that a window open when the
   * processor was upgraded still goes out once; returns the others.
   */
  private Map<String, SignalAccumulator> addToLegacy(
      long windowStart, Map<String, SignalAccumulator> byOperation, long now) {
    Map<String, SignalAccumulator> rest = new LinkedHashMap<>();
    for (Map.Entry<String, SignalAccumulator> op : byOperation.entrySet()) {
      SignalAccumulator part = op.getValue();
      String key =
          key(
              windowStart,
              GoldenSignal.seriesKey(
                  part.cluster(), part.namespace(), part.service(), op.getKey()));
      WindowTotals legacy = open.get(key);
      if (legacy == null || !isLegacy(legacy)) {
        rest.put(op.getKey(), part);
        continue;
      }
      legacy.totals().merge(part);
      if (legacy.late()) {
        sawLate(key, now);
      }
      store.put(key, legacy);
    }
    return rest;
  }

  /** Whether {@code totals} is an entry of one operation alone (the earlier store format). */
  private static boolean isLegacy(WindowTotals totals) {
    return totals.totals().operation() != null && totals.operations().isEmpty();
  }

  /**
   * Emits and forgets every window whose end + grace the wall clock has passed, but for a late
   * supplement that may still be filling: one that got data less than the grace period ago, and
   * first did less than a window's length ago.
   */
  void close(long now, Emit out) {
    Iterator<Map.Entry<String, WindowTotals>> due =
        open.headMap(paddedStart(now - windowMs - graceMs + 1)).entrySet().iterator();
    while (due.hasNext()) {
      Map.Entry<String, WindowTotals> entry = due.next();
      WindowTotals totals = entry.getValue();
      if (totals.late() && stillFilling(entry.getKey(), now)) {
        continue;
      }
      int bar = entry.getKey().indexOf('|');
      long start = Long.parseLong(entry.getKey().substring(0, bar));
      Long revision = totals.late() ? now : null;
      GoldenSignal signal = totals.totals().toSignal(start, window, null, revision);
      emitClosed(
          out,
          metrics,
          entry.getKey().substring(bar + 1),
          signal,
          start + windowMs,
          totals.late(),
          now);
      for (SignalAccumulator operation : totals.operations().values()) {
        GoldenSignal op = operation.toSignal(start, window, null, revision);
        emitClosed(out, metrics, op.seriesKey(), op, start + windowMs, totals.late(), now);
      }
      if (isLegacy(totals)) {
        legacyEntries--;
      }
      forget(store, entry.getKey());
      lateData.remove(entry.getKey());
      due.remove();
    }
  }

  /** Whether late entry {@code key} got data too recently to go out at {@code now}. */
  private boolean stillFilling(String key, long now) {
    long[] seen = lateData.get(key);
    return seen != null && now - seen[1] < graceMs && now - seen[0] < windowMs;
  }

  /**
   * Sends the record of a closed window, counted as final or late, with its Kafka timestamp: the
   * window's end, or for a late supplement the wall clock when it went out. A supplement for old
   * data stamped with its window's end (a log file from last year read now) would be older than the
   * topic's retention at once, and the broker deletes such a record as soon as its segment rolls,
   * before a lagging reader (the indexer during an Elasticsearch outage) has read it; its window is
   * in its value either way.
   */
  private static void emitClosed(
      Emit out,
      ProcessorMetrics metrics,
      String series,
      GoldenSignal signal,
      long windowEndMs,
      boolean late,
      long now) {
    metrics.signalEmitted(late ? "late" : "final");
    out.emit(series, new Emitted(false, signal), late ? now : windowEndMs);
  }

  /** A window in a store: a late one holds data that came after its window went out. */
  interface Closable {
    /** Whether this is a late supplement. */
    boolean late();
  }

  /** The record of a window being closed. */
  @FunctionalInterface
  interface Closing<W> {
    /**
     * The record of {@code window} starting at {@code startMs}; {@code revision} is the emission
     * time for a late supplement, else null.
     */
    GoldenSignal signal(long startMs, W window, Long revision);
  }

  /**
   * Emits through {@code out} and deletes every window of {@code store} (keyed by {@link #key},
   * {@code windowMs} long) that starts at or before {@code lastDueStartMs}, in time order, at wall
   * clock {@code now}: how the saturation and log-volume windows close.
   */
  static <W extends Closable> void closeDue(
      KeyValueStore<String, W> store,
      long lastDueStartMs,
      long windowMs,
      long now,
      ProcessorMetrics metrics,
      Closing<W> closing,
      Emit out) {
    List<KeyValue<String, W>> due = new ArrayList<>();
    // Keys sort by window start; the bare start after the last due one ends the range.
    try (KeyValueIterator<String, W> it = store.range(null, paddedStart(lastDueStartMs + 1))) {
      it.forEachRemaining(due::add);
    }
    for (KeyValue<String, W> entry : due) {
      int bar = entry.key.indexOf('|');
      long start = Long.parseLong(entry.key.substring(0, bar));
      W w = entry.value;
      GoldenSignal signal = closing.signal(start, w, w.late() ? now : null);
      emitClosed(
          out, metrics, entry.key.substring(bar + 1), signal, start + windowMs, w.late(), now);
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

  /**
   * Puts every entry of {@code store} into {@code into}: how the signals step reads the state it
   * keeps decoded on the heap (open windows, live series, series states) when its task starts.
   */
  static <V> void readAll(KeyValueStore<String, V> store, Map<String, V> into) {
    try (KeyValueIterator<String, V> it = store.all()) {
      it.forEachRemaining(entry -> into.put(entry.key, entry.value));
    }
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
