package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The live windows of one task: each series' one-second slots, and when their live signals are due.
 * "Now" for a live window is the wall clock once the task is caught up, else the newest data it has
 * seen ({@link LiveClock}).
 *
 * <p>The slots live on the heap and are written to the {@code signals-live} store (and its
 * changelog) when the series is emitted, not with every record: a record that touches a hundred
 * operation series would otherwise encode and decode each of them, which made the stream thread the
 * bottleneck (BENCHMARKS.md). The price: a task that moves after a crash starts from each series'
 * last emission, so its first live signals there miss what came in since (at most one emit
 * interval, five seconds for an operation's series). Final windows are kept apart and lose nothing.
 */
final class LiveWindows {
  private final KeyValueStore<String, LiveSeries> store;
  private final Duration window;
  private final long emitIntervalMs;
  private final ProcessorMetrics metrics;

  /**
   * Every series of the task, read from the store at start; the store is behind by what came in
   * since each series' last emission.
   */
  private final Map<String, LiveSeries> series = new HashMap<>();

  /**
   * Each service's operation series, filled as records reach them: a record with fifty operations
   * finds their series from its service's entry instead of building fifty series keys and looking
   * each up among every series of the task (a lookup waiting for memory: BENCHMARKS.md, "Operation
   * series reached from their service").
   */
  private final Map<String, Operations> operationsOf = new HashMap<>();

  /** A series and its key. */
  private record Named(String key, LiveSeries series) {}

  /**
   * One service's operation series by the operation's name, and in the order its last record named
   * them: an exporter names them in the same order with every export (the same string instances,
   * from the decoder's cache), so each is first compared by identity with the one at its place
   * there, and looked up by name only when that differs (BENCHMARKS.md, "Operations asked once per
   * record, found in order").
   */
  private static final class Operations {
    final Map<String, Named> byName = new HashMap<>();
    String[] order = new String[0];
    Named[] inOrder = new Named[0];
  }

  /** The shortest time between two live signals of one operation's series. */
  static final Duration OPERATION_EMIT_INTERVAL = Duration.ofSeconds(5);

  /**
   * Series with new data, by the earliest time each may be emitted again ({@link
   * LiveSeries#pendingAt()}): a tick looks only at those whose time has come, not at every series
   * with new data (tens of thousands of operation series wait out their five seconds). An entry
   * whose series is no longer pending at that time (emitted at once since) is stale and skipped.
   */
  private final PriorityQueue<Due> pending = new PriorityQueue<>(Comparator.comparingLong(Due::at));

  /** A series that may be emitted at {@code at} (epoch ms). */
  private record Due(long at, String key, LiveSeries series) {}

  private final LiveClock clock;

  LiveWindows(
      KeyValueStore<String, LiveSeries> store,
      Duration window,
      Duration emitInterval,
      ProcessorMetrics metrics) {
    this.store = store;
    this.window = window;
    this.emitIntervalMs = emitInterval.toMillis();
    this.metrics = metrics;
    this.clock = new LiveClock(window);
    FinalWindows.readAll(store, series);
    series.forEach((key, s) -> queue(key, s, 0));
  }

  /**
   * The shortest time between two live signals of {@code s}: the emit interval for a service's
   * series, at least {@link #OPERATION_EMIT_INTERVAL} for an operation's. A service with a hundred
   * routes would otherwise put a hundred times its own live records on the topic (and through the
   * alert engine) every interval; rules on an operation ask for minutes ({@code for: 1m}), not
   * half-seconds, and the service's own series still moves at the emit interval.
   */
  private long intervalOf(LiveSeries s) {
    return s.hasOperation()
        ? Math.max(emitIntervalMs, OPERATION_EMIT_INTERVAL.toMillis())
        : emitIntervalMs;
  }

  /** How often {@link #emitPending} should run. */
  Duration tick() {
    return LiveClock.tick(Duration.ofMillis(emitIntervalMs));
  }

  /** Records that points up to {@code pointMs} were processed at {@code now}. */
  void saw(long pointMs, long now) {
    clock.saw(pointMs, now);
  }

  /** How many one-second slots the task's live series hold: what their heap grows with. */
  int slotsHeld() {
    int n = 0;
    for (LiveSeries s : series.values()) {
      n += s.slotCount();
    }
    return n;
  }

  /** The first slot of the live window at {@code now}. */
  long windowStart(long now) {
    return clock.windowStart(now);
  }

  /** The slot that data ahead of "now" is counted in. */
  long currentSlot(long now) {
    return clock.currentSlot(now);
  }

  /**
   * Adds per-slot totals to the series of service {@code key} (as a whole), named after {@code
   * identity}'s service when new, at wall-clock {@code now}. A series whose emit interval has
   * passed goes out at once (the leading edge: a new series, or one whose errors just began after a
   * quiet spell, does not wait for the next tick); otherwise the tick emits it once its interval
   * has passed.
   */
  void add(String key, TotalsByStart slots, MetricPoint identity, long now, Emit out) {
    addTo(key, seriesOf(key, identity, null), slots, now, out);
  }

  /**
   * Adds per-slot totals to the series of each operation ({@code slotsByOperation}: operation → its
   * totals by slot) of the service whose series key is {@code serviceKey}, as {@link #add} does for
   * the service.
   */
  void addOperations(
      String serviceKey,
      Map<String, TotalsByStart> slotsByOperation,
      MetricPoint identity,
      long now,
      Emit out) {
    if (slotsByOperation.isEmpty()) {
      return;
    }
    Operations operations = operationsOf.computeIfAbsent(serviceKey, k -> new Operations());
    int n = slotsByOperation.size();
    // This record's order, made only once it differs from the last (up to there, the same).
    String[] order = null;
    Named[] inOrder = null;
    boolean same = n == operations.order.length;
    int i = 0;
    for (Map.Entry<String, TotalsByStart> op : slotsByOperation.entrySet()) {
      String operation = op.getKey();
      Named named = same && operations.order[i] == operation ? operations.inOrder[i] : null;
      if (named == null || named.series().forgotten()) {
        if (order == null) {
          order = Arrays.copyOf(operations.order, n);
          inOrder = Arrays.copyOf(operations.inOrder, n);
        }
        same = false;
        named = operations.byName.get(operation);
        if (named == null || named.series().forgotten()) {
          String key =
              GoldenSignal.seriesKey(
                  identity.cluster(), identity.namespace(), identity.service(), operation);
          named = new Named(key, seriesOf(key, identity, operation));
          operations.byName.put(operation, named);
        }
      }
      if (order != null) {
        order[i] = operation;
        inOrder[i] = named;
      }
      i++;
      addTo(named.key(), named.series(), op.getValue(), now, out);
    }
    if (order != null) {
      operations.order = order;
      operations.inOrder = inOrder;
    }
  }

  private LiveSeries seriesOf(String key, MetricPoint identity, String operation) {
    return series.computeIfAbsent(
        key,
        k ->
            new LiveSeries(
                identity.cluster(), identity.namespace(), identity.service(), operation));
  }

  private void addTo(String key, LiveSeries s, TotalsByStart slots, long now, Emit out) {
    long start = windowStart(now);
    s.addAll(slots, start);
    if (s.due(now, start, intervalOf(s))) {
      emit(key, s, now, out);
    } else {
      queue(key, s, s.emittedAt() + intervalOf(s));
    }
  }

  /** Marks {@code s} pending from {@code at}, unless it already is from then. */
  private void queue(String key, LiveSeries s, long at) {
    if (!s.isPending() || s.pendingAt() != at) {
      s.pendingAt(at);
      pending.add(new Due(at, key, s));
    }
  }

  /** Emits the series with new data whose emit interval has passed. */
  void emitPending(long now, Emit out) {
    long start = windowStart(now);
    while (!pending.isEmpty() && pending.peek().at() <= now) {
      Due next = pending.poll();
      LiveSeries s = next.series();
      if (!s.isPending() || s.pendingAt() != next.at()) {
        continue; // stale: emitted since, or pending from a later time
      }
      if (s.due(now, start, intervalOf(s))) {
        emit(next.key(), s, now, out);
      } else {
        queue(next.key(), s, now + 1); // looked at again at the next tick
      }
    }
  }

  /** Re-emits series whose window slid past data; forgets those gone quiet that said so. */
  void slide(long now, Emit out) {
    long start = windowStart(now);
    Iterator<Map.Entry<String, LiveSeries>> it = series.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, LiveSeries> next = it.next();
      LiveSeries s = next.getValue();
      if (s.isPending()) {
        continue;
      }
      if (s.due(now, start, intervalOf(s))) {
        emit(next.getKey(), s, now, out);
      } else if (s.finished()) {
        FinalWindows.forget(store, next.getKey());
        it.remove();
        s.forget();
        if (s.hasOperation()) {
          forgetOperation(s);
        }
      }
    }
  }

  /** Drops operation series {@code s} from its service's entry. */
  private void forgetOperation(LiveSeries s) {
    String serviceKey = s.serviceKey();
    Operations operations = operationsOf.get(serviceKey);
    if (operations == null) {
      return;
    }
    Named named = operations.byName.get(s.operation());
    if (named != null && named.series() == s) {
      operations.byName.remove(s.operation());
    }
    if (operations.byName.isEmpty()) {
      operationsOf.remove(serviceKey);
    }
  }

  /**
   * Emits {@code s} and writes it to the store: what a task that takes over starts from. It is no
   * longer pending.
   */
  private void emit(String key, LiveSeries s, long now, Emit out) {
    s.clearPending();
    GoldenSignal signal = s.emit(windowStart(now), window, now, clock.now(now));
    metrics.signalEmitted("live");
    out.emit(key, new Emitted(true, signal), now);
    store.put(key, s);
  }
}
