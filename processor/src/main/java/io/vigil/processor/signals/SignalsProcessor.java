package io.vigil.processor.signals;

import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The stateful heart of the signals topology, one instance per task, after the repartition by
 * series. Per point: cumulative → delta ({@link DeltaCalculator}), the delta spread over the
 * seconds it covers ({@link DeltaSpreader}), added to its final windows ({@link FinalWindows}) and
 * to the series' live slots ({@link LiveWindows}). On the wall clock (punctuation, whether or not
 * anything arrives): final windows close at end + grace and go to {@code vigil.signals}; live
 * signals over the trailing window go to {@code vigil.signals.live} at most once per {@code
 * emit_interval} per series (errors in a series whose last live signal had none at once), and once
 * more when the series falls quiet. Data for a window already emitted is never dropped: it goes out
 * as a late supplement.
 *
 * <p>A point that names its operation (route or RPC method) counts twice: in its service's series
 * and in the operation's own series ({@code cluster/namespace/service/operation}), both kept on the
 * task of the service, within the {@link OperationGuard}'s limit per service.
 *
 * <p>Points made of server spans ({@link MetricPoint#fromSpans()}) count only for a series that
 * sends no request metrics: the event time of the series' newest metric point is kept in its own
 * entry of {@link SeriesStates}, and a span point up to {@link #METRICS_PRECEDENCE} after it is
 * skipped ({@code superseded_by_metrics}), so no request is counted from both.
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

  /**
   * How long after a series' last request-metric point its span points are left out ({@code
   * superseded_by_metrics}): a service that sends both must not have its requests counted twice,
   * and metrics are exported at least every minute or so; a service that stops sending metrics gets
   * its spans counted again after this.
   */
  static final Duration METRICS_PRECEDENCE = Duration.ofMinutes(10);

  private final Duration window;
  private final Duration grace;
  private final Duration emitInterval;
  private final int maxOperations;
  private final long windowMs;
  private final ProcessorMetrics metrics;
  private ProcessorContext<String, Emitted> context;
  private KeyValueStore<String, SeriesState> cumulative;

  /**
   * The entries of {@link #cumulative}, decoded: decoding a state with every request took about a
   * twentieth of the stream thread (BENCHMARKS.md, "Series state kept decoded").
   */
  private SeriesStates states;

  private FinalWindows windows;
  private LiveWindows live;
  private OperationGuard operations;
  private Emit out;

  /** When this task's state began (epoch ns), read or set on the first point; 0 until then. */
  private long countFirstFromNanos;

  /** When this processor instance started, epoch ms. */
  private final long instanceStartedMs;

  SignalsProcessor(
      Duration window,
      Duration grace,
      Duration emitInterval,
      int maxOperations,
      ProcessorMetrics m,
      Instant instanceStarted) {
    this.instanceStartedMs = instanceStarted.toEpochMilli();
    this.maxOperations = maxOperations;
    this.window = window;
    this.grace = grace;
    this.emitInterval = emitInterval;
    this.windowMs = window.toMillis();
    this.metrics = m;
  }

  @Override
  public void init(ProcessorContext<String, Emitted> context) {
    this.context = context;
    this.cumulative = context.getStateStore(GoldenSignalsTopology.CUMULATIVE_STORE);
    this.states = new SeriesStates(cumulative, SINCE_KEY);
    this.windows =
        new FinalWindows(
            context.getStateStore(GoldenSignalsTopology.WINDOW_STORE), window, grace, metrics);
    this.live =
        new LiveWindows(
            context.getStateStore(GoldenSignalsTopology.LIVE_STORE), window, emitInterval, metrics);
    this.operations =
        new OperationGuard(
            context.getStateStore(GoldenSignalsTopology.OPERATIONS_STORE), maxOperations, metrics);
    this.out = Emit.to(context);
    context.schedule(
        live.tick(),
        PunctuationType.WALL_CLOCK_TIME,
        now -> {
          countFirstFrom();
          live.emitPending(now, out);
        });
    context.schedule(
        Duration.ofSeconds(1),
        PunctuationType.WALL_CLOCK_TIME,
        now -> {
          windows.close(now, out);
          live.slide(now, out);
        });
    context.schedule(Duration.ofMinutes(1), PunctuationType.WALL_CLOCK_TIME, this::evictStale);
  }

  @Override
  public void process(Record<String, SeriesPoints> record) {
    try {
      count(record);
    } catch (RuntimeException e) {
      states.revert();
      throw e;
    }
  }

  private void count(Record<String, SeriesPoints> record) {
    long now = context.currentSystemTimeMs();
    metrics.dataPointsWindowed(record.value().points().size());
    for (MetricPoint point : record.value().points()) {
      live.saw(point.timeMillis(), now);
    }
    RequestBatch batch =
        new RequestBatch(windows, maxOperations > 0, live.windowStart(now), live.currentSlot(now));
    states.begin(record.key());
    SeriesState series = null;
    long newestMetric = newestMetricNanos(record.value().points());
    if (newestMetric > 0) {
      series = states.series();
      if (series.sawMetrics(newestMetric)) {
        states.seriesChanged();
      }
    }
    for (MetricPoint point : record.value().points()) {
      if (point.fromSpans()) {
        series = series != null ? series : states.series();
        if (supersededByMetrics(series, point)) {
          metrics.dataPointSkipped("superseded_by_metrics");
          continue;
        }
      }
      MetricPoint delta = point;
      long fromMs;
      if (point.cumulative()) {
        StreamState previous = states.get(point.origin(), point.stream(), point.startNanos());
        DeltaCalculator.Step step = DeltaCalculator.next(previous, point, countFirstFrom());
        if (step.state() != null
            && !states.put(point.origin(), point.stream(), point.startNanos(), step.state())) {
          metrics.dataPointSkipped("stream_limit");
          continue;
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
    batch.admit((operation, points) -> operations.admit(record.key(), operation, points, now));
    operations.save(record.key());
    states.write();
    apply(record.key(), batch, now);
  }

  /** The event time (epoch ns) of the newest of {@code points} read from a metric, 0 if none. */
  private static long newestMetricNanos(List<MetricPoint> points) {
    long newest = 0;
    for (MetricPoint point : points) {
      if (!point.fromSpans()) {
        newest = Math.max(newest, point.timeNanos());
      }
    }
    return newest;
  }

  /**
   * Whether span point {@code point} is left out because its series sent a request-metric point at
   * most {@link #METRICS_PRECEDENCE} before it (or at any time after it): the metrics count those
   * requests.
   */
  private static boolean supersededByMetrics(SeriesState state, MetricPoint point) {
    long seen = state.metricsSeenNanos();
    return seen > 0 && point.timeNanos() <= seen + METRICS_PRECEDENCE.toNanos();
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
        since.put(SINCE_KEY, 0, new StreamState(0, instanceStartedMs * 1_000_000L, 0, null, null));
        cumulative.put(SINCE_KEY, since);
      }
      countFirstFromNanos = since.get(SINCE_KEY, 0).timeNanos();
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

  private void apply(String series, RequestBatch batch, long now) {
    TotalsByStart byWindow = batch.byWindow;
    for (int i = 0; i < byWindow.size(); i++) {
      long start = byWindow.start(i);
      windows.add(
          series,
          start,
          byWindow.totals(i),
          batch.windowOperations.getOrDefault(start, Map.of()),
          now);
    }
    MetricPoint id = batch.identity;
    if (!batch.liveSlots.isEmpty()) {
      live.add(series, batch.liveSlots, id, now, out);
    }
    live.addOperations(series, batch.operationSlots, id, now, out);
  }

  private void evictStale(long now) {
    operations.evict(now - STALE_STREAM_TTL.toMillis());
    states.evict(
        (now - STALE_STREAM_TTL.toMillis()) * 1_000_000L,
        (now - EVICTED_MARKER_TTL.toMillis()) * 1_000_000L);
  }
}
