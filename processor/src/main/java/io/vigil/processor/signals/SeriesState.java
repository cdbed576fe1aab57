package io.vigil.processor.signals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The cumulative state of every stream of one series (stream and start time → last point), one
 * entry of the {@code signals-series-state} store: the points of a request are applied with one
 * read and one write of their series instead of one per point. Mutable, read-modify-written.
 *
 * <p>The streams are kept in the order they came in, and written in that order. An exporter sends a
 * series' points in the same order with every export, so a point is first compared with the stream
 * after the one found last; only when that is another stream is it looked up in an index, built
 * then. Read and written with every request, the state built a string key per point and a hash map
 * per record: together about a sixth of the stream thread (BENCHMARKS.md, "Series state in export
 * order").
 */
final class SeriesState {
  /**
   * Streams one series may have (attribute sets × start times). A new stream beyond this is left
   * out and counted ({@code stream_limit}), so an unbounded attribute cannot grow one entry without
   * limit.
   */
  static final int MAX_STREAMS = 10_000;

  /**
   * How much later a metric point must be than the time kept by {@link #sawMetrics} to be written:
   * a service exporting delta metrics every second would otherwise rewrite its state (and a
   * changelog record) with every request, for a rule that looks ten minutes back.
   */
  static final long METRICS_SEEN_RESOLUTION_NANOS = 60_000_000_000L;

  /**
   * Stream key under which formats before the fourth kept the event time of the series' newest
   * point read from a request metric; stream keys were {@code <stream>@<start>}.
   */
  private static final String METRICS_KEY = "!metrics";

  /** A stream and its start time, as the index knows them. */
  private record Key(String stream, long start) {}

  private String[] streams;
  private long[] starts;
  private StreamState[] states;
  private int size;

  /** Event time (epoch ns) of the series' newest request-metric point, to the minute; 0: none. */
  private long metricsSeenNanos;

  /** Each stream's place, built at the first lookup that the order does not answer; else null. */
  private Map<Key, Integer> index;

  /** Where a lookup looks first: after the stream found last. */
  private int next;

  /** The place of the stream found last, for the write that follows; -1 when none. */
  private int found = -1;

  /** The order the streams were looked up or added in since this state was read or settled. */
  private final LookupOrder lookups;

  SeriesState() {
    this(8);
  }

  private SeriesState(int capacity) {
    streams = new String[capacity];
    starts = new long[capacity];
    states = new StreamState[capacity];
    lookups = new LookupOrder(capacity);
  }

  /** The state of {@code stream} started at {@code startNanos}, or null. */
  StreamState get(String stream, long startNanos) {
    int at = next < size && holds(next, stream, startNanos) ? next : -1;
    if (at < 0) {
      Integer indexed = index().get(new Key(stream, startNanos));
      at = indexed == null ? -1 : indexed;
    }
    found = at;
    if (at < 0) {
      return null;
    }
    lookups.visit(at, at == next);
    next = at + 1;
    return states[at];
  }

  /**
   * Whether place {@code at} holds {@code stream} started at {@code startNanos}. A name found equal
   * is replaced by the caller's: the decoder hands out the same name instances with every export,
   * so while this state stays on the heap the next request's names compare by identity, without
   * reading two strings from memory.
   */
  private boolean holds(int at, String stream, long startNanos) {
    if (starts[at] != startNanos) {
      return false;
    }
    String name = streams[at];
    if (name == stream) {
      return true;
    }
    if (!name.equals(stream)) {
      return false;
    }
    streams[at] = stream;
    return true;
  }

  /**
   * Makes this state what {@link #writeTo} and a read back would make it: the streams in the order
   * they were looked up (when that differed from theirs), the next lookup from the first. The
   * signals step keeps a series' state decoded between its requests and settles it before each.
   */
  void settle() {
    if (lookups.reordered()) {
      int[] order = lookups.of(size);
      String[] names = new String[streams.length];
      long[] startsInOrder = new long[starts.length];
      StreamState[] statesInOrder = new StreamState[states.length];
      for (int k = 0; k < size; k++) {
        names[k] = streams[order[k]];
        startsInOrder[k] = starts[order[k]];
        statesInOrder[k] = states[order[k]];
      }
      streams = names;
      starts = startsInOrder;
      states = statesInOrder;
      index = null;
    }
    lookups.reset();
    next = 0;
    found = -1;
  }

  /**
   * Records {@code state} for {@code stream} started at {@code startNanos}; false when it is new
   * and the series is full.
   */
  boolean put(String stream, long startNanos, StreamState state) {
    int at = found;
    if (at < 0 || !holds(at, stream, startNanos)) {
      Integer indexed = index().get(new Key(stream, startNanos));
      at = indexed == null ? -1 : indexed;
    }
    if (at >= 0) {
      states[at] = state;
      return true;
    }
    if (size >= MAX_STREAMS) {
      return false;
    }
    add(stream, startNanos, state);
    index.put(new Key(stream, startNanos), size - 1);
    lookups.visit(size - 1, true);
    found = size - 1;
    next = size;
    return true;
  }

  /**
   * Takes {@code stream} started at {@code startNanos} out of this state: its state, or null when
   * it has none. The last stream takes its place: an entry that gives its streams up one by one, as
   * the series' own entry does to its senders' at an upgrade, costs a step each, not a shift and an
   * index built again (BENCHMARKS.md, "An older entry given up a step per stream"). The next lookup
   * starts from the first stream.
   */
  StreamState remove(String stream, long startNanos) {
    settle();
    Key key = new Key(stream, startNanos);
    Integer indexed = index().remove(key);
    if (indexed == null) {
      return null;
    }
    int at = indexed;
    StreamState state = states[at];
    int last = size - 1;
    if (at != last) {
      streams[at] = streams[last];
      starts[at] = starts[last];
      states[at] = states[last];
      index.put(new Key(streams[at], starts[at]), at);
    }
    size = last;
    streams[last] = null;
    states[last] = null;
    return state;
  }

  /** How many streams (and eviction markers) this state holds. */
  int size() {
    return size;
  }

  private void add(String stream, long startNanos, StreamState state) {
    if (size == streams.length) {
      int capacity = size * 2;
      streams = Arrays.copyOf(streams, capacity);
      starts = Arrays.copyOf(starts, capacity);
      states = Arrays.copyOf(states, capacity);
    }
    streams[size] = stream;
    starts[size] = startNanos;
    states[size] = state;
    size++;
  }

  private Map<Key, Integer> index() {
    if (index == null) {
      index = new HashMap<>(Math.max(16, size * 2));
      for (int i = 0; i < size; i++) {
        index.put(new Key(streams[i], starts[i]), i);
      }
    }
    return index;
  }

  /**
   * The event time (epoch ns) of the series' newest request-metric point, to the minute; 0 if none.
   */
  long metricsSeenNanos() {
    return metricsSeenNanos;
  }

  /**
   * Records that the series sent a request-metric point at {@code timeNanos}; true when the state
   * changed (the time is at least {@link #METRICS_SEEN_RESOLUTION_NANOS} past the one kept). Never
   * refused by the stream limit.
   */
  boolean sawMetrics(long timeNanos) {
    if (metricsSeenNanos != 0 && timeNanos - metricsSeenNanos < METRICS_SEEN_RESOLUTION_NANOS) {
      return false;
    }
    metricsSeenNanos = timeNanos;
    return true;
  }

  /**
   * Turns streams whose last point is older than {@code staleBeforeNanos} into eviction markers and
   * drops markers older than {@code markersBeforeNanos}; true when anything changed. The time of
   * the last metric point is dropped outright once stale: it needs no marker, as it only matters
   * for ten minutes.
   */
  boolean evict(long staleBeforeNanos, long markersBeforeNanos) {
    boolean changed = false;
    if (metricsSeenNanos != 0 && metricsSeenNanos < staleBeforeNanos) {
      metricsSeenNanos = 0;
      changed = true;
    }
    int kept = 0;
    for (int i = 0; i < size; i++) {
      StreamState state = states[i];
      if (state.evicted() && state.timeNanos() < markersBeforeNanos) {
        changed = true;
        continue;
      }
      if (!state.evicted() && state.timeNanos() < staleBeforeNanos) {
        state = StreamState.evictedAt(state.timeNanos());
        changed = true;
      }
      streams[kept] = streams[i];
      starts[kept] = starts[i];
      states[kept] = state;
      kept++;
    }
    Arrays.fill(streams, kept, size, null);
    Arrays.fill(states, kept, size, null);
    size = kept;
    index = null;
    next = 0;
    found = -1;
    lookups.reset();
    return changed;
  }

  boolean isEmpty() {
    return size == 0 && metricsSeenNanos == 0;
  }

  /**
   * Writes this state in the processor's binary state format ({@link BinarySerdes}): the time of
   * the last metric point, then each stream in order: its name ({@link StreamNames}), its start
   * after the one before, its last point's start after that (they differ in an eviction marker),
   * its time after its start, its counts as varints, and each bucket layout once (a series' streams
   * nearly always share one). The entry is rewritten, and sent to its changelog, with every request
   * of the series.
   */
  void writeTo(BinaryOut out) throws IOException {
    BinarySerdes.writeVarint(out, size);
    BinarySerdes.writeVarlong(out, metricsSeenNanos);
    List<double[]> layouts = new ArrayList<>(2);
    long previousStart = 0;
    int[] order = lookups.reordered() ? lookups.of(size) : null;
    for (int k = 0; k < size; k++) {
      int i = order == null ? k : order[k];
      StreamNames.write(out, streams[i]);
      BinarySerdes.writeVarlong(out, starts[i] - previousStart);
      previousStart = starts[i];
      StreamState s = states[i];
      BinarySerdes.writeVarlong(out, s.startNanos() - starts[i]);
      BinarySerdes.writeVarlong(out, s.timeNanos() - s.startNanos());
      BinarySerdes.writeVarlong(out, s.count());
      BinarySerdes.writeLayout(out, layouts, s.boundsMs());
      BinarySerdes.writeVarlongs(out, s.bucketCounts());
    }
  }

  /**
   * Reads a state written by {@link #writeTo} ({@code ordered}), or by an earlier format: streams
   * keyed {@code <stream>@<start>}, the last metric point's time under {@code !metrics}; numbers as
   * 8 bytes each unless {@code compact}; with {@code sharedLayouts} false (the first format) the
   * bounds written with every stream. {@code limit} bounds every length read.
   */
  static SeriesState readFrom(
      BinaryIn in, int limit, boolean sharedLayouts, boolean compact, boolean ordered)
      throws IOException {
    int n = BinarySerdes.readCount(in, limit);
    SeriesState state = new SeriesState(Math.max(8, n));
    if (ordered) {
      state.metricsSeenNanos = BinarySerdes.readVarlong(in);
    }
    List<double[]> layouts = new ArrayList<>(2);
    long start = 0;
    for (int i = 0; i < n; i++) {
      String stream;
      if (ordered) {
        stream = StreamNames.read(in);
        start += BinarySerdes.readVarlong(in);
      } else {
        String key = in.readUTF();
        int at = key.lastIndexOf('@');
        stream = at < 0 ? key : key.substring(0, at);
        start = at < 0 ? 0 : parseStart(key.substring(at + 1));
      }
      long pointStart = ordered ? start + BinarySerdes.readVarlong(in) : in.readLong();
      long time = compact ? pointStart + BinarySerdes.readVarlong(in) : in.readLong();
      long count = compact ? BinarySerdes.readVarlong(in) : in.readLong();
      double[] bounds =
          sharedLayouts
              ? BinarySerdes.readLayout(in, layouts, limit)
              : BinarySerdes.readDoubles(in, limit);
      long[] counts =
          compact ? BinarySerdes.readVarlongs(in, limit) : BinarySerdes.readLongs(in, limit);
      if (!ordered && METRICS_KEY.equals(stream)) {
        state.metricsSeenNanos = time;
      } else {
        state.add(stream, start, new StreamState(pointStart, time, count, bounds, counts));
      }
    }
    return state;
  }

  private static long parseStart(String digits) throws IOException {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw new IOException("bad start time in stream key: " + digits, e);
    }
  }
}
