package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The stateful heart of the signals topology, one instance per task, after the repartition by
 * series. Per point: cumulative → delta ({@link DeltaCalculator}), the delta spread over the
 * seconds it covers ({@link DeltaSpreader}), added to its final windows and to the series' live
 * slots. On the wall clock (punctuation, whether or not anything arrives): final windows close at
 * end + grace and go to {@code vigil.signals}; live signals over the trailing window go to {@code
 * vigil.signals.live} at most once per {@code emit_interval} per series, and once more when the
 * series falls quiet. Data for a window already emitted is never dropped: it goes out as a late
 * supplement.
 */
final class SignalsProcessor implements Processor<String, SeriesPoints, String, Emitted> {
  /** A stream silent this long (wall clock) is forgotten, leaving a marker. */
  static final Duration STALE_STREAM_TTL = Duration.ofHours(1);

  /** How long the marker of a forgotten stream stays, so its history is not counted twice. */
  static final Duration EVICTED_MARKER_TTL = Duration.ofDays(7);

  /**
   * The longest time span a delta is spread over; an older start (a delta point whose start is the
   * process start, a stream back after hours) counts in the last stretch of this length.
   */
  static final Duration MAX_SPREAD = Duration.ofMinutes(5);

  /**
   * Key in the cumulative store (and stream key within it) of the time this task's state began (its
   * {@code time}): a first point that started since then is counted in full. Series keys always
   * contain '/', so it cannot collide.
   */
  static final String SINCE_KEY = "!since";

  private final Duration window;
  private final long windowMs;
  private final long graceMs;
  private final long emitIntervalMs;
  private final ProcessorMetrics metrics;
  private ProcessorContext<String, Emitted> context;
  private KeyValueStore<String, SeriesState> cumulative;
  private KeyValueStore<String, WindowTotals> windows;
  private KeyValueStore<String, LiveSeries> live;

  /**
   * How often series with new data are checked for a due live signal. Points of one request (and of
   * one poll) arrive together: emitting on this tick rather than per point sends one live signal
   * with all of them, instead of one with the first point and the rest an emit interval later.
   */
  static final Duration LIVE_TICK = Duration.ofMillis(100);

  /** Keys of the live store, so punctuation visits them without a scan; rebuilt at init. */
  private final Set<String> liveKeys = new HashSet<>();

  /** Series with data not yet emitted live; task-local, rebuilt as all of them at init. */
  private final Set<String> pending = new LinkedHashSet<>();

  /**
   * A task that processed nothing for this long is caught up: its live windows end at the wall
   * clock. Until then they end at the newest data it has seen (see {@link #liveNow}).
   */
  static final Duration IDLE = Duration.ofSeconds(1);

  /** Newest point time this task has processed, epoch ms, never ahead of the wall clock. */
  private long newestPointMs;

  /** Wall-clock time of the last point processed, epoch ms. */
  private long lastPointAtMs;

  /** When this task's state began (epoch ns), read or set on the first point; 0 until then. */
  private long countFirstFromNanos;

  /** When this processor instance started, epoch ms. */
  private final long instanceStartedMs;

  SignalsProcessor(
      Duration window,
      Duration grace,
      Duration emitInterval,
      ProcessorMetrics m,
      Instant instanceStarted) {
    this.instanceStartedMs = instanceStarted.toEpochMilli();
    this.window = window;
    this.windowMs = window.toMillis();
    this.graceMs = grace.toMillis();
    this.emitIntervalMs = emitInterval.toMillis();
    this.metrics = m;
  }

  @Override
  public void init(ProcessorContext<String, Emitted> context) {
    this.context = context;
    this.cumulative = context.getStateStore(GoldenSignalsTopology.CUMULATIVE_STORE);
    this.windows = context.getStateStore(GoldenSignalsTopology.WINDOW_STORE);
    this.live = context.getStateStore(GoldenSignalsTopology.LIVE_STORE);
    try (KeyValueIterator<String, LiveSeries> it = live.all()) {
      it.forEachRemaining(entry -> liveKeys.add(entry.key));
    }
    pending.addAll(liveKeys);
    Duration liveTick = Duration.ofMillis(Math.min(emitIntervalMs, LIVE_TICK.toMillis()));
    context.schedule(liveTick, PunctuationType.WALL_CLOCK_TIME, this::emitPending);
    context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::tick);
    context.schedule(Duration.ofMinutes(1), PunctuationType.WALL_CLOCK_TIME, this::evictStale);
  }

  @Override
  public void process(Record<String, SeriesPoints> record) {
    long now = context.currentSystemTimeMs();
    lastPointAtMs = now;
    for (MetricPoint point : record.value().points()) {
      newestPointMs = Math.max(newestPointMs, Math.min(point.timeMillis(), now));
    }
    Batch batch = new Batch(liveWindowStart(now), DeltaSpreader.slotOf(liveNow(now)));
    SeriesState state = null;
    boolean stateChanged = false;
    for (MetricPoint point : record.value().points()) {
      MetricPoint delta = point;
      long fromMs;
      if (point.cumulative()) {
        if (state == null) {
          state = cumulative.get(record.key());
          if (state == null) {
            state = new SeriesState();
          }
        }
        StreamState previous = state.get(point.stateKey());
        DeltaCalculator.Step step = DeltaCalculator.next(previous, point, countFirstFrom());
        if (step.state() != null) {
          if (!state.put(point.stateKey(), step.state())) {
            metrics.dataPointSkipped("stream_limit");
            continue;
          }
          stateChanged = true;
        }
        if (step.skipReason() != null) {
          metrics.dataPointSkipped(step.skipReason());
        }
        delta = step.delta();
        if (delta == null) {
          continue;
        }
        fromMs = startMillis(delta);
        if (previous == null) {
          // A new stream's first counts happened since its first request, not since its start.
          fromMs = Math.max(fromMs, delta.timeMillis() - windowMs);
        }
      } else {
        fromMs = startMillis(delta);
      }
      batch.add(delta, fromMs);
    }
    if (stateChanged) {
      cumulative.put(record.key(), state);
    }
    apply(record.key(), batch, now);
  }

  /**
   * When this task's state began: the start of the instance that first ran it, kept in the store so
   * that it moves with the task. Read (or recorded) at the first punctuation or point.
   */
  private long countFirstFrom() {
    if (countFirstFromNanos == 0) {
      SeriesState since = cumulative.get(SINCE_KEY);
      if (since == null) {
        since = new SeriesState();
        since.put(SINCE_KEY, new StreamState(0, instanceStartedMs * 1_000_000L, 0, null, null));
        cumulative.put(SINCE_KEY, since);
      }
      countFirstFromNanos = since.get(SINCE_KEY).timeNanos();
    }
    return countFirstFromNanos;
  }

  private static long startMillis(MetricPoint delta) {
    long to = delta.timeMillis();
    if (delta.startNanos() <= 0) {
      return to;
    }
    long from = Math.floorDiv(delta.startNanos(), 1_000_000L);
    return Math.max(Math.min(from, to), to - MAX_SPREAD.toMillis());
  }

  /** What the points of one record add to their series' final windows and live slots. */
  private final class Batch {
    final Map<Long, SignalAccumulator> windows = new LinkedHashMap<>();
    final Map<Long, SignalAccumulator> liveSlots = new TreeMap<>();
    final long liveStart;
    final long currentSlot;
    MetricPoint identity;

    Batch(long liveStart, long currentSlot) {
      this.liveStart = liveStart;
      this.currentSlot = currentSlot;
    }

    /** Spreads {@code delta}, covering {@code [fromMs, its time]}, over windows and slots. */
    void add(MetricPoint delta, long fromMs) {
      identity = delta;
      List<DeltaSpreader.Slice> slices =
          DeltaSpreader.spread(fromMs, delta.timeMillis(), delta.count(), delta.bucketCounts());
      // A delta's max bounds every window it lies in, but is a window's own max only if the
      // delta lies in that window alone.
      Double max = null;
      if (!slices.isEmpty()) {
        long firstWindow = windowStartOf(slices.get(0).slotStartMs());
        long lastWindow = windowStartOf(slices.get(slices.size() - 1).slotStartMs());
        max = firstWindow == lastWindow ? delta.maxMs() : null;
      }
      for (DeltaSpreader.Slice slice : slices) {
        MetricPoint part =
            delta.asDelta(
                slice.slotStartMs() * 1_000_000L,
                slice.count(),
                slice.buckets(),
                delta.boundsMs(),
                max);
        windows
            .computeIfAbsent(windowStartOf(slice.slotStartMs()), w -> new SignalAccumulator())
            .add(part);
        if (slice.slotStartMs() >= liveStart) {
          long slot = Math.min(slice.slotStartMs(), currentSlot);
          liveSlots.computeIfAbsent(slot, w -> new SignalAccumulator()).add(part);
        }
      }
    }
  }

  private void apply(String series, Batch batch, long now) {
    for (Map.Entry<Long, SignalAccumulator> w : batch.windows.entrySet()) {
      addToWindow(series, w.getKey(), w.getValue(), now);
    }
    if (!batch.liveSlots.isEmpty()) {
      LiveSeries liveSeries = live.get(series);
      if (liveSeries == null) {
        MetricPoint id = batch.identity;
        liveSeries = new LiveSeries(id.cluster(), id.namespace(), id.service());
      }
      liveSeries.addAll(batch.liveSlots);
      live.put(series, liveSeries);
      liveKeys.add(series);
      pending.add(series);
    }
  }

  private void addToWindow(String series, long windowStart, SignalAccumulator part, long now) {
    String key = windowKey(windowStart, series);
    WindowTotals totals = windows.get(key);
    if (totals == null) {
      totals = new WindowTotals(windowStart + windowMs + graceMs <= now, part);
    } else {
      totals.totals().merge(part);
    }
    if (totals.late()) {
      metrics.lateRequests(part.requests());
    }
    windows.put(key, totals);
  }

  /** Runs every live tick: emits the series with new data whose emit interval has passed. */
  private void emitPending(long now) {
    countFirstFrom();
    long liveStart = liveWindowStart(now);
    Iterator<String> it = pending.iterator();
    while (it.hasNext()) {
      String series = it.next();
      LiveSeries s = live.get(series);
      if (s == null) {
        it.remove();
      } else if (s.due(now, liveStart, emitIntervalMs)) {
        emitLive(series, s, now);
        live.put(series, s);
        it.remove();
      }
    }
  }

  /**
   * Runs every second of wall clock: closes due windows; re-emits live series whose window slid
   * past data, and forgets those that have gone quiet and said so.
   */
  private void tick(long now) {
    closeWindows(now);
    long liveStart = liveWindowStart(now);
    for (String series : new ArrayList<>(liveKeys)) {
      if (pending.contains(series)) {
        continue;
      }
      LiveSeries s = live.get(series);
      if (s == null) {
        liveKeys.remove(series);
      } else if (s.due(now, liveStart, emitIntervalMs)) {
        emitLive(series, s, now);
        live.put(series, s);
      } else if (s.finished()) {
        live.delete(series);
        liveKeys.remove(series);
      }
    }
  }

  private void closeWindows(long now) {
    long lastDueStart = now - windowMs - graceMs;
    List<KeyValue<String, WindowTotals>> due = new ArrayList<>();
    // Keys sort by window start; the bare start after the last due one ends the range.
    try (KeyValueIterator<String, WindowTotals> it =
        windows.range(null, paddedStart(lastDueStart + 1))) {
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
      context.forward(new Record<>(series, new Emitted(false, signal), start + windowMs));
      windows.delete(entry.key);
    }
  }

  private void emitLive(String series, LiveSeries s, long now) {
    GoldenSignal signal = s.emit(liveWindowStart(now), window, now, liveNow(now));
    metrics.signalEmitted("live");
    context.forward(new Record<>(series, new Emitted(true, signal), now));
  }

  private long windowStartOf(long timeMs) {
    return timeMs - Math.floorMod(timeMs, windowMs);
  }

  /** The live window ends with the second holding {@link #liveNow}: its first slot. */
  private long liveWindowStart(long now) {
    return DeltaSpreader.slotOf(liveNow(now)) + DeltaSpreader.SLOT_MS - windowMs;
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

  private void evictStale(long now) {
    long staleBefore = (now - STALE_STREAM_TTL.toMillis()) * 1_000_000L;
    long markersBefore = (now - EVICTED_MARKER_TTL.toMillis()) * 1_000_000L;
    List<KeyValue<String, SeriesState>> changed = new ArrayList<>();
    try (KeyValueIterator<String, SeriesState> it = cumulative.all()) {
      while (it.hasNext()) {
        KeyValue<String, SeriesState> entry = it.next();
        if (!SINCE_KEY.equals(entry.key) && entry.value.evict(staleBefore, markersBefore)) {
          changed.add(entry);
        }
      }
    }
    for (KeyValue<String, SeriesState> entry : changed) {
      if (entry.value.isEmpty()) {
        cumulative.delete(entry.key);
      } else {
        cumulative.put(entry.key, entry.value);
      }
    }
  }

  /** Window start, zero-padded so that keys sort by time, then the series. */
  static String windowKey(long windowStartMs, String series) {
    return paddedStart(windowStartMs) + "|" + series;
  }

  private static String paddedStart(long startMs) {
    String digits = Long.toString(startMs);
    return "0".repeat(Math.max(0, 13 - digits.length())) + digits;
  }
}
