package io.vigil.processor.signals;

import io.vigil.processor.signals.OtlpMetricsDecoder.PointLabels;
import io.vigil.processor.signals.OtlpMetricsDecoder.Stream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What a histogram point's attributes say ({@link PointLabels}: its stream identity, errors or not,
 * its operation), remembered by the attributes' bytes within each stream (metric of a resource). An
 * exporter sends the same attribute sets with every export, and parsing them with protobuf,
 * printing them in canonical order and hashing that took about a sixth of the stream thread
 * (BENCHMARKS.md, "Point attributes remembered by their bytes").
 *
 * <p>One per task (one thread), holding at most {@link #MAX_ENTRIES} by default: past that it
 * starts afresh, so a task with more live streams than that parses their attributes again, as
 * before.
 */
final class PointLabelsCache {
  /** Attribute sets remembered at most (about 100 bytes of heap each, BENCHMARKS.md). */
  static final int MAX_ENTRIES = 100_000;

  private final Map<Key, PointLabels> known = new HashMap<>();
  private final int maxEntries;

  /** The key looked up, refilled for each lookup: a lookup allocates nothing. */
  private final Key probe = new Key();

  PointLabelsCache() {
    this(MAX_ENTRIES);
  }

  /** A cache of at most {@code maxEntries}. */
  PointLabelsCache(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  /**
   * What the attribute fields {@code bytes[from, to)} say in {@code stream}, or null if unknown.
   */
  PointLabels get(Stream stream, byte[] bytes, int from, int to) {
    probe.set(stream, bytes, from, to);
    return known.get(probe);
  }

  /**
   * Remembers that the attribute fields {@code bytes[from, to)} say {@code labels} in {@code
   * stream}.
   */
  void put(Stream stream, byte[] bytes, int from, int to, PointLabels labels) {
    if (known.size() >= maxEntries) {
      known.clear();
    }
    Key key = new Key();
    key.set(stream, Arrays.copyOfRange(bytes, from, to), 0, to - from);
    known.put(key, labels);
  }

  int size() {
    return known.size();
  }

  /** A stream's prefix and labels, and attribute bytes: {@code bytes[from, to)}. */
  private static final class Key {
    private String prefix;
    private RequestLabels labels;
    private byte[] bytes;
    private int from;
    private int to;
    private int hash;

    void set(Stream stream, byte[] bytes, int from, int to) {
      this.prefix = stream.prefix();
      this.labels = stream.labels();
      this.bytes = bytes;
      this.from = from;
      this.to = to;
      int h = 31 * prefix.hashCode() + labels.hashCode();
      for (int i = from; i < to; i++) {
        h = 31 * h + bytes[i];
      }
      this.hash = h;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k
          && hash == k.hash
          && labels == k.labels
          && Arrays.equals(bytes, from, to, k.bytes, k.from, k.to)
          && prefix.equals(k.prefix);
    }
  }
}
