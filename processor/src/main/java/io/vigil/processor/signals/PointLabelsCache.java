package io.vigil.processor.signals;

import io.vigil.processor.signals.OtlpMetricsDecoder.PointLabels;
import io.vigil.processor.signals.OtlpMetricsDecoder.Stream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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
 * <p>An exporter also sends them in the same order: each stream's points are first compared with
 * the point at the same place in its last export ({@link InOrder}), one comparison of bytes, and
 * looked up by their bytes only when that differs. A lookup per point in a map of every stream's
 * attribute sets took about a sixth of the thread, waiting for memory (BENCHMARKS.md, "Point
 * attributes compared in export order").
 *
 * <p>One per task (one thread), holding at most {@link #MAX_ENTRIES} by default: past that it
 * starts afresh, so a task with more live streams than that parses their attributes again, as
 * before.
 */
final class PointLabelsCache {
  /** Attribute sets remembered at most (about 100 bytes of heap each, BENCHMARKS.md). */
  static final int MAX_ENTRIES = 100_000;

  private final Map<Key, Known> known = new HashMap<>();

  /** Each stream's attribute sets in the order of its last export. */
  private final Map<Key, Known[]> orders = new HashMap<>();

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

  /** Attribute bytes (a copy) and what they say. */
  private record Known(byte[] attributes, PointLabels labels) {}

  /** The cache as the points of one export of {@code stream} see it, in their order. */
  InOrder inOrder(Stream stream) {
    probe.set(stream, null, 0, 0);
    Known[] order = orders.get(probe);
    return new InOrder(stream, order != null ? order : new Known[0]);
  }

  /** The points of one export of a stream, looked up in the order they come. */
  final class InOrder {
    private final Stream stream;
    private Known[] order;

    private InOrder(Stream stream, Known[] order) {
      this.stream = stream;
      this.order = order;
    }

    /**
     * What the attribute fields {@code bytes[from, to)} of the {@code index}-th point say, or null
     * if unknown: the point at that place last time if its bytes are the same, else any point of
     * the stream with the same bytes.
     */
    PointLabels get(int index, byte[] bytes, int from, int to) {
      if (index < order.length) {
        Known there = order[index];
        if (there != null
            && Arrays.equals(there.attributes, 0, there.attributes.length, bytes, from, to)) {
          return there.labels;
        }
      }
      probe.set(stream, bytes, from, to);
      Known found = known.get(probe);
      if (found == null) {
        return null;
      }
      place(index, found);
      return found.labels;
    }

    /**
     * Remembers that the attribute fields {@code bytes[from, to)} of the {@code index}-th point say
     * {@code labels}.
     */
    void put(int index, byte[] bytes, int from, int to, PointLabels labels) {
      if (known.size() >= maxEntries) {
        known.clear();
        orders.clear();
        order = new Known[0];
      }
      byte[] copy = Arrays.copyOfRange(bytes, from, to);
      Key key = new Key();
      key.set(stream, copy, 0, copy.length);
      Known entry = new Known(copy, labels);
      known.put(key, entry);
      place(index, entry);
    }

    /** Keeps {@code entry} as the {@code index}-th point's, within the cache's limit. */
    private void place(int index, Known entry) {
      if (index >= maxEntries) {
        return;
      }
      if (index >= order.length) {
        order = Arrays.copyOf(order, Math.min(maxEntries, Math.max(index + 1, order.length * 2)));
        Key key = new Key();
        key.set(stream, null, 0, 0);
        orders.put(key, order);
      }
      order[index] = entry;
    }
  }

  int size() {
    return known.size();
  }

  /**
   * A stream's prefix and labels, and attribute bytes: {@code bytes[from, to)} (none for a stream's
   * order).
   */
  private static final class Key {
    private static final VarHandle LONGS =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private String prefix;
    private RequestLabels labels;
    private byte[] bytes;
    private int from;
    private int to;
    private int hash;

    /**
     * Fills the key and hashes it, the bytes eight at a time: an attribute set is tens of bytes,
     * and a byte at a time made the hash a chain of that many multiplications.
     */
    void set(Stream stream, byte[] bytes, int from, int to) {
      this.prefix = stream.prefix();
      this.labels = stream.labels();
      this.bytes = bytes;
      this.from = from;
      this.to = to;
      long h = 31L * prefix.hashCode() + labels.hashCode();
      int i = from;
      for (; i + Long.BYTES <= to; i += Long.BYTES) {
        h = (h ^ (long) LONGS.get(bytes, i)) * 0x9E3779B97F4A7C15L;
      }
      for (; i < to; i++) {
        h = (h ^ bytes[i]) * 0x9E3779B97F4A7C15L;
      }
      this.hash = (int) (h ^ (h >>> 32));
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
          && (bytes == null
              ? k.bytes == null
              : k.bytes != null && Arrays.equals(bytes, from, to, k.bytes, k.from, k.to))
          && prefix.equals(k.prefix);
    }
  }
}
