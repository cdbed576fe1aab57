package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorMetrics;
import io.vigil.processor.signals.SaturationState.Counter;
import io.vigil.processor.signals.SaturationState.Reading;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The saturation step, one instance per task, after the repartition by node or pod series. Each
 * reading becomes a utilization (a counter's increase over its capacity's, or the ratio as read)
 * and goes out at once as a live record of its series with the latest CPU and memory ({@code
 * vigil.signals.live}); the final windows ({@code vigil.signals}) carry the mean of the readings
 * measured in them and close on the wall clock at end + grace, like the request windows, a reading
 * for a window already emitted going out as a late supplement. A reading not renewed for {@link
 * #STALE} (the series' target went away) is dropped with one more live record without it, so that
 * an alert on it resolves, as Prometheus stops returning a series after its lookback.
 */
final class SaturationProcessor implements Processor<String, SaturationPoints, String, Emitted> {
  /** How long a reading stands for its series without a newer one: Prometheus' lookback. */
  static final Duration STALE = Duration.ofMinutes(5);

  /** How often the series are checked for stale readings. */
  static final Duration STALE_CHECK = Duration.ofSeconds(10);

  private final Duration window;
  private final long windowMs;
  private final long graceMs;
  private final ProcessorMetrics metrics;
  private ProcessorContext<String, Emitted> context;
  private KeyValueStore<String, SaturationState> series;
  private KeyValueStore<String, SaturationWindow> windows;

  SaturationProcessor(Duration window, Duration grace, ProcessorMetrics metrics) {
    this.window = window;
    this.windowMs = window.toMillis();
    this.graceMs = grace.toMillis();
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, Emitted> context) {
    this.context = context;
    this.series = context.getStateStore(GoldenSignalsTopology.SATURATION_STORE);
    this.windows = context.getStateStore(GoldenSignalsTopology.SATURATION_WINDOW_STORE);
    context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::close);
    context.schedule(STALE_CHECK, PunctuationType.WALL_CLOCK_TIME, this::dropStale);
  }

  @Override
  public void process(Record<String, SaturationPoints> record) {
    List<SaturationPoint> points = record.value().points();
    if (points.isEmpty()) {
      return;
    }
    long now = context.currentSystemTimeMs();
    SaturationState state = series.get(record.key());
    if (state == null) {
      state = new SaturationState(points.get(0), Map.of(), null, null);
    }
    Map<String, Counter> counters = new HashMap<>(state.counters());
    boolean updated = false;
    for (SaturationPoint point : points) {
      Double ratio = point.ratio();
      if (ratio == null) {
        Counter previous = counters.get(point.stream());
        if (previous != null && point.timeNanos() <= previous.timeNanos()) {
          metrics.dataPointSkipped("out_of_order");
          continue;
        }
        counters.put(
            point.stream(), new Counter(point.used(), point.capacity(), point.timeNanos()));
        if (previous == null) {
          continue; // the first reading of a counter only seeds it
        }
        double used = point.used() - previous.used();
        double capacity = point.capacity() - previous.capacity();
        if (used < 0 || capacity <= 0) {
          metrics.dataPointSkipped("counter_reset");
          continue;
        }
        ratio = utilization(used, capacity);
      }
      metrics.dataPointAccepted();
      addToWindow(record.key(), state.identity(), point, ratio, now);
      Reading current = state.reading(point.resource());
      if (current == null || point.timeMillis() >= current.timeMs()) {
        state = state.with(point.resource(), new Reading(ratio, point.timeMillis(), now));
        updated = true;
      }
    }
    state = state.withCounters(counters);
    series.put(record.key(), state);
    if (updated) {
      emitLive(record.key(), state, now);
    }
  }

  /**
   * {@code used / capacity}, where a share of its own total (a node's busy seconds of all its
   * seconds) that exceeds 1 only by the rounding of the sums (by 1e-9 of it at most) is 1: a fully
   * busy node read 1.000000000001828 once. A real excess (a container's CPU over its limit, between
   * scrapes that do not line up) stays.
   */
  static double utilization(double used, double capacity) {
    double ratio = used / capacity;
    return ratio > 1 && used - capacity <= 1e-9 * capacity ? 1.0 : ratio;
  }

  private void addToWindow(
      String key, SaturationPoint identity, SaturationPoint point, double ratio, long now) {
    long start = point.timeMillis() - Math.floorMod(point.timeMillis(), windowMs);
    String windowKey = FinalWindows.key(start, key);
    SaturationWindow w = windows.get(windowKey);
    if (w == null) {
      boolean late = start + windowMs + graceMs <= now;
      w = new SaturationWindow(identity, late, 0, 0, 0, 0);
    }
    windows.put(windowKey, w.plus(point.resource(), ratio));
  }

  /** The live record of a series: its latest readings, each if not stale against the newest. */
  private void emitLive(String key, SaturationState state, long now) {
    long end = 0;
    for (Reading r : new Reading[] {state.cpu(), state.memory()}) {
      end = r == null ? end : Math.max(end, r.timeMs());
    }
    end = end == 0 ? now : end;
    Double cpu = fresh(state.cpu(), end);
    Double memory = fresh(state.memory(), end);
    GoldenSignal.Saturation saturation =
        cpu == null && memory == null ? null : new GoldenSignal.Saturation(cpu, memory);
    metrics.signalEmitted("live");
    context.forward(
        new Record<>(key, new Emitted(true, signal(state.identity(), end, saturation, null)), now));
  }

  private static Double fresh(Reading r, long endMs) {
    return r == null || r.timeMs() < endMs - STALE.toMillis() ? null : r.value();
  }

  private GoldenSignal signal(
      SaturationPoint id, long endMs, GoldenSignal.Saturation saturation, Long revision) {
    return GoldenSignal.saturation(
        Instant.ofEpochMilli(endMs),
        new GoldenSignal.Window(
            Instant.ofEpochMilli(endMs - windowMs),
            Instant.ofEpochMilli(endMs),
            window.toSeconds()),
        id.cluster(),
        id.namespace(),
        id.service(),
        id.node(),
        id.pod(),
        saturation,
        revision);
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
            signal(
                w.identity(),
                start + windowMs,
                new GoldenSignal.Saturation(w.cpu(), w.memory()),
                revision),
        Emit.to(context));
  }

  /**
   * Drops readings not renewed for {@link #STALE}, telling the rules once with a live record
   * without them; forgets a series with no reading left whose counters stopped too.
   */
  private void dropStale(long now) {
    long staleBefore = now - STALE.toMillis();
    List<KeyValue<String, SaturationState>> stale = new ArrayList<>();
    List<String> gone = new ArrayList<>();
    try (KeyValueIterator<String, SaturationState> it = series.all()) {
      while (it.hasNext()) {
        KeyValue<String, SaturationState> entry = it.next();
        SaturationState s = entry.value;
        boolean cpuStale = s.cpu() != null && s.cpu().seenAtMs() < staleBefore;
        boolean memoryStale = s.memory() != null && s.memory().seenAtMs() < staleBefore;
        if (cpuStale || memoryStale) {
          s = cpuStale ? s.with(SaturationPoint.CPU, null) : s;
          s = memoryStale ? s.with(SaturationPoint.MEMORY, null) : s;
          stale.add(KeyValue.pair(entry.key, s));
        } else if (s.cpu() == null
            && s.memory() == null
            && s.counters().values().stream()
                .allMatch(c -> c.timeNanos() / 1_000_000L < staleBefore)) {
          gone.add(entry.key);
        }
      }
    }
    for (KeyValue<String, SaturationState> entry : stale) {
      emitLiveWithout(entry.key, entry.value, now);
      series.put(entry.key, entry.value);
    }
    gone.forEach(series::delete);
  }

  private void emitLiveWithout(String key, SaturationState s, long now) {
    Double cpu = s.cpu() == null ? null : s.cpu().value();
    Double memory = s.memory() == null ? null : s.memory().value();
    GoldenSignal.Saturation saturation =
        cpu == null && memory == null ? null : new GoldenSignal.Saturation(cpu, memory);
    metrics.signalEmitted("live");
    context.forward(
        new Record<>(key, new Emitted(true, signal(s.identity(), now, saturation, null)), now));
  }
}
