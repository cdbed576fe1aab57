package io.vigil.processor.signals;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
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
   * Turns streams whose last point is older than {@code staleBeforeNanos} into eviction markers and
   * drops markers older than {@code markersBeforeNanos}; true when anything changed.
   */
  boolean evict(long staleBeforeNanos, long markersBeforeNanos) {
    boolean changed = false;
    var it = streams.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, StreamState> entry = it.next();
      StreamState state = entry.getValue();
      if (state.evicted() && state.timeNanos() < markersBeforeNanos) {
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

  /** Writes this state in the processor's binary state format ({@link BinarySerdes}). */
  void writeTo(DataOutputStream out) throws IOException {
    BinarySerdes.writeVarint(out, streams.size());
    for (Map.Entry<String, StreamState> entry : streams.entrySet()) {
      out.writeUTF(entry.getKey());
      StreamState s = entry.getValue();
      out.writeLong(s.startNanos());
      out.writeLong(s.timeNanos());
      out.writeLong(s.count());
      BinarySerdes.writeDoubles(out, s.boundsMs());
      BinarySerdes.writeLongs(out, s.bucketCounts());
    }
  }

  /** Reads a state written by {@link #writeTo}; {@code limit} bounds every length read. */
  static SeriesState readFrom(DataInputStream in, int limit) throws IOException {
    int n = BinarySerdes.readCount(in, limit);
    Map<String, StreamState> streams = new HashMap<>(Math.max(16, n * 2));
    for (int i = 0; i < n; i++) {
      String key = in.readUTF();
      streams.put(
          key,
          new StreamState(
              in.readLong(),
              in.readLong(),
              in.readLong(),
              BinarySerdes.readDoubles(in, limit),
              BinarySerdes.readLongs(in, limit)));
    }
    return new SeriesState(streams);
  }
}
