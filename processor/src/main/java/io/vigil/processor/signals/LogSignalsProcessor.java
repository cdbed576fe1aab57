package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The log-volume step, one instance per task, after the repartition by service: counts each
 * service's log records, and those of severity ERROR or worse, as the request signals count
 * requests. A live record over the trailing window goes to {@code vigil.signals.live} when records
 * arrive (at most once per emit interval) and again as they slide out of the window, down to one
 * record with zero counts once the service stopped logging — so a rule on {@code
 * logs.error_rate_per_s} fires within the emit interval and resolves by itself. Final windows
 * ({@code vigil.signals}) close on the wall clock at end + grace; records for a window already
 * emitted go out as a late supplement.
 *
 * <p>Live windows end where the task's {@link LiveClock} says, as the request series' do: a backlog
 * after a restart shows each service as it was at that point of the backlog. A record older than
 * the live window counts in its final window only.
 */
final class LogSignalsProcessor implements Processor<String, LogCounts, String, Emitted> {
  private final Duration window;
  private final long windowMs;
  private final long graceMs;
  private final long emitIntervalMs;
  private final ProcessorMetrics metrics;
  private ProcessorContext<String, Emitted> context;
  private KeyValueStore<String, LogSeries> live;
  private KeyValueStore<String, LogWindow> windows;

  /** Keys of the live store, so punctuation visits them without a scan; rebuilt at start. */
  private final Set<String> keys = new HashSet<>();

  /** Series with records not yet emitted; task-local, rebuilt as all of them at start. */
  private final Set<String> pending = new LinkedHashSet<>();

  private final LiveClock clock;

  /**
   * A log window being filled, in the {@code signals-logs-windows} store until the wall clock
   * passes its end plus grace. Stored as JSON.
   *
   * @param identity the service
   * @param late whether the window had been emitted already when these records arrived
   * @param records log records
   * @param errors those of severity ERROR or worse
   */
  record LogWindow(LogCounts identity, boolean late, long records, long errors)
      implements FinalWindows.Closable {}

  LogSignalsProcessor(
      Duration window, Duration grace, Duration emitInterval, ProcessorMetrics metrics) {
    this.window = window;
    this.windowMs = window.toMillis();
    this.graceMs = grace.toMillis();
    this.emitIntervalMs = emitInterval.toMillis();
    this.metrics = metrics;
    this.clock = new LiveClock(window);
  }

  @Override
  public void init(ProcessorContext<String, Emitted> context) {
    this.context = context;
    this.live = context.getStateStore(GoldenSignalsTopology.LOGS_STORE);
    this.windows = context.getStateStore(GoldenSignalsTopology.LOGS_WINDOW_STORE);
    try (KeyValueIterator<String, LogSeries> it = live.all()) {
      it.forEachRemaining(entry -> keys.add(entry.key));
    }
    pending.addAll(keys);
    context.schedule(
        LiveClock.tick(Duration.ofMillis(emitIntervalMs)),
        PunctuationType.WALL_CLOCK_TIME,
        this::emitPending);
    context.schedule(
        Duration.ofSeconds(1),
        PunctuationType.WALL_CLOCK_TIME,
        now -> {
          slide(now);
          close(now);
        });
  }

  @Override
  public void process(Record<String, LogCounts> record) {
    LogCounts counts = record.value();
    if (counts.slots().isEmpty()) {
      return;
    }
    long now = context.currentSystemTimeMs();
    long latestSlot = DeltaSpreader.slotOf(now);
    LogSeries series = live.get(record.key());
    if (series == null) {
      series = LogSeries.of(counts);
    }
    for (LogCounts.Slot slot : counts.slots()) {
      series = series.plus(slot, latestSlot);
      addToWindow(record.key(), series.identity(), slot, now);
      clock.saw(slot.startMs(), now);
    }
    live.put(record.key(), series);
    keys.add(record.key());
    pending.add(record.key());
  }

  private void addToWindow(String key, LogCounts identity, LogCounts.Slot slot, long now) {
    long start = slot.startMs() - Math.floorMod(slot.startMs(), windowMs);
    String windowKey = FinalWindows.key(start, key);
    LogWindow w = windows.get(windowKey);
    if (w == null) {
      w = new LogWindow(identity, start + windowMs + graceMs <= now, 0, 0);
    }
    windows.put(
        windowKey,
        new LogWindow(
            identity, w.late(), w.records() + slot.records(), w.errors() + slot.errors()));
  }

  /** Emits the series with new records whose emit interval has passed. */
  private void emitPending(long now) {
    long start = clock.windowStart(now);
    Iterator<String> it = pending.iterator();
    while (it.hasNext()) {
      String key = it.next();
      LogSeries series = live.get(key);
      if (series == null) {
        it.remove();
      } else if (series.due(now, start, emitIntervalMs)) {
        emit(key, series, now);
        it.remove();
      }
    }
  }

  /** Re-emits series whose window slid past records; forgets those gone quiet that said so. */
  private void slide(long now) {
    long start = clock.windowStart(now);
    for (String key : new ArrayList<>(keys)) {
      if (pending.contains(key)) {
        continue;
      }
      LogSeries series = live.get(key);
      if (series == null) {
        keys.remove(key);
      } else if (series.due(now, start, emitIntervalMs)) {
        emit(key, series, now);
      } else if (series.finished()) {
        live.delete(key);
        keys.remove(key);
      }
    }
  }

  private void emit(String key, LogSeries series, long now) {
    long start = clock.windowStart(now);
    LogSeries emitted = series.emitted(start, now);
    live.put(key, emitted);
    metrics.signalEmitted("live");
    GoldenSignal signal =
        signal(
            emitted.identity(), start, emitted.records(), emitted.errors(), clock.now(now), null);
    context.forward(new Record<>(key, new Emitted(true, signal), now));
  }

  /** Emits and forgets every window whose end + grace the wall clock has passed. */
  private void close(long now) {
    FinalWindows.closeDue(
        windows,
        now - windowMs - graceMs,
        windowMs,
        now,
        metrics,
        (start, w, revision) ->
            signal(w.identity(), start, w.records(), w.errors(), null, revision),
        Emit.to(context));
  }

  private GoldenSignal signal(
      LogCounts id, long startMs, long records, long errors, Long timestampMs, Long revision) {
    double seconds = windowMs / 1000.0;
    Instant start = Instant.ofEpochMilli(startMs);
    return GoldenSignal.logs(
        timestampMs == null ? null : Instant.ofEpochMilli(timestampMs),
        new GoldenSignal.Window(start, start.plus(window), window.toSeconds()),
        id.cluster(),
        id.namespace(),
        id.service(),
        new GoldenSignal.Logs(records, errors, records / seconds, errors / seconds),
        revision);
  }
}
