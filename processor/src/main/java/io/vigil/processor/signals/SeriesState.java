package io.vigil.processor.signals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The cumulative state of every stream of one series (stream and start time → last point), one
 * entry of the {@code signals-series-state} store: the points of a request are applied with one
 * read and one write of their series instead of one per point. Mutable, read-modify-written.
 */
final class SeriesState {
  /**
   * Streams one series may have (attribute sets × start times). A new stream beyond this is left
   * out and counted ({@code stream_limit}), so an unbounded attribute cannot grow one entry without
   * limit.
   */
  static final int MAX_STREAMS = 10_000;

  /**
   * Stream key under which the series keeps the event time of its newest point read from a request
   * metric (not made of spans), for {@link SignalsProcessor}'s rule that metrics win over spans.
   * Stream keys are {@code <hash>@<start>}, so it cannot collide with one.
   */
  static final String METRICS_KEY = "!metrics";

  /**
   * How much later a metric point must be than the time kept under {@link #METRICS_KEY} to be
   * written: a service exporting delta metrics every second would otherwise rewrite its state (and
   * a changelog record) with every request, for a rule that looks ten minutes back.
   */
  static final long METRICS_SEEN_RESOLUTION_NANOS = 60_000_000_000L;

  private final Map<String, StreamState> streams;

  SeriesState() {
    this(new HashMap<>());
  }

  private SeriesState(Map<String, StreamState> streams) {
    this.streams = streams;
  }

  /** The state of stream {@code key}, or null. */
  StreamState get(String key) {
    return streams.get(key);
  }

  /** Records {@code state} for stream {@code key}; false when it is new and the series is full. */
  boolean put(String key, StreamState state) {
    if (streams.size() >= MAX_STREAMS && !streams.containsKey(key)) {
      return false;
    }
    streams.put(key, state);
    return true;
  }

  /**
   * The event time (epoch ns) of the series' newest request-metric point, to the minute; 0 if none.
   */
  long metricsSeenNanos() {
    StreamState seen = streams.get(METRICS_KEY);
    return seen == null ? 0 : seen.timeNanos();
  }

  /**
   * Records that the series sent a request-metric point at {@code timeNanos}; true when the state
   * changed (the time is at least {@link #METRICS_SEEN_RESOLUTION_NANOS} past the one kept). Never
   * refused by the stream limit.
   */
  boolean sawMetrics(long timeNanos) {
    long seen = metricsSeenNanos();
    if (seen != 0 && timeNanos - seen < METRICS_SEEN_RESOLUTION_NANOS) {
      return false;
    }
    streams.put(METRICS_KEY, new StreamState(0, timeNanos, 0, null, null));
    return true;
  }

  /**
   * Turns streams whose last point is older than {@code staleBeforeNanos} into eviction markers and
   * drops markers older than {@code markersBeforeNanos}; true when anything changed. The time of
   * the last metric point ({@link #METRICS_KEY}) is dropped outright once stale: it needs no
   * marker, as it only matters for ten minutes.
   */
  boolean evict(long staleBeforeNanos, long markersBeforeNanos) {
    boolean changed = false;
    var it = streams.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, StreamState> entry = it.next();
      StreamState state = entry.getValue();
      if (METRICS_KEY.equals(entry.getKey())) {
        if (state.timeNanos() < staleBeforeNanos) {
          it.remove();
          changed = true;
        }
      } else if (state.evicted() && state.timeNanos() < markersBeforeNanos) {
        it.remove();
        changed = true;
      } else if (!state.evicted() && state.timeNanos() < staleBeforeNanos) {
        entry.setValue(StreamState.evictedAt(state.timeNanos()));
        changed = true;
      }
    }
    return changed;
  }

  boolean isEmpty() {
    return streams.isEmpty();
  }

  /**
   * Writes this state in the processor's binary state format ({@link BinarySerdes}): each bucket
   * layout once (a series' streams nearly always share one), a point's time after its start, and
   * its counts as varints. The entry is rewritten, and sent to its changelog, with every request of
   * the series.
   */
  void writeTo(BinaryOut out) throws IOException {
    BinarySerdes.writeVarint(out, streams.size());
    List<double[]> layouts = new ArrayList<>(2);
    for (Map.Entry<String, StreamState> entry : streams.entrySet()) {
      out.writeUTF(entry.getKey());
      StreamState s = entry.getValue();
      out.writeLong(s.startNanos());
      BinarySerdes.writeVarlong(out, s.timeNanos() - s.startNanos());
      BinarySerdes.writeVarlong(out, s.count());
      BinarySerdes.writeLayout(out, layouts, s.boundsMs());
      BinarySerdes.writeVarlongs(out, s.bucketCounts());
    }
  }

  /**
   * Reads a state written by {@link #writeTo} ({@code compact}), or by an earlier format: numbers
   * as 8 bytes each, and with {@code sharedLayouts} false (the first format) the bounds written
   * with every stream. {@code limit} bounds every length read.
   */
  static SeriesState readFrom(BinaryIn in, int limit, boolean sharedLayouts, boolean compact)
      throws IOException {
    int n = BinarySerdes.readCount(in, limit);
    Map<String, StreamState> streams = new HashMap<>(Math.max(16, n * 2));
    List<double[]> layouts = new ArrayList<>(2);
    for (int i = 0; i < n; i++) {
      String key = in.readUTF();
      long start = in.readLong();
      long time = compact ? start + BinarySerdes.readVarlong(in) : in.readLong();
      long count = compact ? BinarySerdes.readVarlong(in) : in.readLong();
      double[] bounds =
          sharedLayouts
              ? BinarySerdes.readLayout(in, layouts, limit)
              : BinarySerdes.readDoubles(in, limit);
      long[] counts =
          compact ? BinarySerdes.readVarlongs(in, limit) : BinarySerdes.readLongs(in, limit);
      streams.put(key, new StreamState(start, time, count, bounds, counts));
    }
    return new SeriesState(streams);
  }
}
