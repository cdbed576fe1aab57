package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The live windows of one task: each series' one-second slots in the {@code signals-live} store,
 * and when their live signals are due. "Now" for a live window is the wall clock once the task is
 * caught up, else the newest data it has seen ({@link #liveNow}).
 */
final class LiveWindows {
  /**
   * How often series with new data are checked for a due live signal. Points of one request (and of
   * one poll) arrive together: emitting on this tick rather than per point sends one live signal
   * with all of them, instead of one with the first point and the rest an emit interval later.
   */
  static final Duration LIVE_TICK = Duration.ofMillis(100);

  /**
   * A task that processed nothing for this long is caught up: its live windows end at the wall
   * clock. Until then they end at the newest data it has seen.
   */
  static final Duration IDLE = Duration.ofSeconds(1);

  private final KeyValueStore<String, LiveSeries> store;
  private final Duration window;
  private final long emitIntervalMs;
  private final ProcessorMetrics metrics;

  /** Keys of the store, so punctuation visits them without a scan; rebuilt at start. */
  private final Set<String> keys = new HashSet<>();

  /** Series with data not yet emitted; task-local, rebuilt as all of them at start. */
  private final Set<String> pending = new LinkedHashSet<>();

  /** Newest point time this task has processed, epoch ms, never ahead of the wall clock. */
  private long newestPointMs;

  /** Wall-clock time of the last point processed, epoch ms. */
  private long lastPointAtMs;

  LiveWindows(
      KeyValueStore<String, LiveSeries> store,
      Duration window,
      Duration emitInterval,
      ProcessorMetrics metrics) {
    this.store = store;
    this.window = window;
    this.emitIntervalMs = emitInterval.toMillis();
    this.metrics = metrics;
    try (KeyValueIterator<String, LiveSeries> it = store.all()) {
      it.forEachRemaining(entry -> keys.add(entry.key));
    }
    pending.addAll(keys);
  }

  /** How often {@link #emitPending} should run. */
  Duration tick() {
    return Duration.ofMillis(Math.min(emitIntervalMs, LIVE_TICK.toMillis()));
  }

  /** Records that points up to {@code pointMs} were processed at {@code now}. */
  void saw(long pointMs, long now) {
    lastPointAtMs = now;
    newestPointMs = Math.max(newestPointMs, Math.min(pointMs, now));
  }

  /** The first slot of the live window at {@code now}. */
  long windowStart(long now) {
    return DeltaSpreader.slotOf(liveNow(now)) + DeltaSpreader.SLOT_MS - window.toMillis();
  }

  /** The slot that data ahead of "now" is counted in. */
  long currentSlot(long now) {
    return DeltaSpreader.slotOf(liveNow(now));
  }

  /**
   * Adds per-slot totals to {@code series}, named after {@code identity}'s service and {@code
   * operation} (null: the service as a whole) when new.
   */
  void add(
      String series, Map<Long, SignalAccumulator> slots, MetricPoint identity, String operation) {
    LiveSeries s = store.get(series);
    if (s == null) {
      s = new LiveSeries(identity.cluster(), identity.namespace(), identity.service(), operation);
    }
    s.addAll(slots);
    store.put(series, s);
    keys.add(series);
    pending.add(series);
  }

  /** Emits the series with new data whose emit interval has passed. */
  void emitPending(long now, Emit out) {
    long start = windowStart(now);
    Iterator<String> it = pending.iterator();
    while (it.hasNext()) {
      String series = it.next();
      LiveSeries s = store.get(series);
      if (s == null) {
        it.remove();
      } else if (s.due(now, start, emitIntervalMs)) {
        emit(series, s, now, out);
        store.put(series, s);
        it.remove();
      }
    }
  }

  /** Re-emits series whose window slid past data; forgets those gone quiet that said so. */
  void slide(long now, Emit out) {
    long start = windowStart(now);
    for (String series : new ArrayList<>(keys)) {
      if (pending.contains(series)) {
        continue;
      }
      LiveSeries s = store.get(series);
      if (s == null) {
        keys.remove(series);
      } else if (s.due(now, start, emitIntervalMs)) {
        emit(series, s, now, out);
        store.put(series, s);
      } else if (s.finished()) {
        store.delete(series);
        keys.remove(series);
      }
    }
  }

  private void emit(String series, LiveSeries s, long now, Emit out) {
    GoldenSignal signal = s.emit(windowStart(now), window, now, liveNow(now));
    metrics.signalEmitted("live");
    out.emit(series, new Emitted(true, signal), now);
  }

  /**
   * Where live windows end: the wall clock once the task is caught up (idle for {@link #IDLE}, or
   * keeping pace), else the newest data it has seen. A task working through a backlog (after a
   * restart or an outage) then shows each series as it was at that point of the backlog, so a
   * violation inside the backlog still reaches the rules, with its own time, instead of falling
   * outside a window anchored at the wall clock.
   */
  private long liveNow(long now) {
    if (lastPointAtMs == 0 || now - lastPointAtMs >= IDLE.toMillis()) {
      return now;
    }
    return newestPointMs;
  }
}
