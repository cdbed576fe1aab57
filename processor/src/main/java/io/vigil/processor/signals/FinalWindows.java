package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The final windows of one task, in the {@code signals-windows} store keyed by window start then
 * series: filled as data arrives, closed when the wall clock passes end + grace. Data for a window
 * already emitted opens a new entry marked late, which goes out as a late supplement.
 */
final class FinalWindows {
  private final KeyValueStore<String, WindowTotals> store;
  private final Duration window;
  private final long windowMs;
  private final long graceMs;
  private final ProcessorMetrics metrics;

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
  }

  /** The start of the window holding {@code timeMs}. */
  long startOf(long timeMs) {
    return timeMs - Math.floorMod(timeMs, windowMs);
  }

  /** Adds {@code part} to {@code series}' window starting at {@code windowStart}. */
  void add(String series, long windowStart, SignalAccumulator part, long now) {
    String key = key(windowStart, series);
    WindowTotals totals = store.get(key);
    if (totals == null) {
      totals = new WindowTotals(windowStart + windowMs + graceMs <= now, part);
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
    long lastDueStart = now - windowMs - graceMs;
    List<KeyValue<String, WindowTotals>> due = new ArrayList<>();
    // Keys sort by window start; the bare start after the last due one ends the range.
    try (KeyValueIterator<String, WindowTotals> it =
        store.range(null, paddedStart(lastDueStart + 1))) {
      it.forEachRemaining(due::add);
    }
    for (KeyValue<String, WindowTotals> entry : due) {
      int bar = entry.key.indexOf('|');
      long start = Long.parseLong(entry.key.substring(0, bar));
      String series = entry.key.substring(bar + 1);
      WindowTotals totals = entry.value;
      Long revision = totals.late() ? now : null;
      GoldenSignal signal = totals.totals().toSignal(start, window, null, revision);
      metrics.signalEmitted(totals.late() ? "late" : "final");
      out.emit(series, new Emitted(false, signal), start + windowMs);
      store.delete(entry.key);
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
