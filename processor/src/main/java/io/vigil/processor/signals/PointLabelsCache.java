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
 * <p>An exporter also sends them in the same order: each stream keeps its attribute sets in the
 * order of its last export, their bytes one after the other ({@link Order}), and a point is first
 * compared with the one at its place there ({@link InOrder}); it is looked up by its bytes only
 * when that differs. A lookup per point in a map of every stream's attribute sets took about a
 * sixth of the thread, and comparisons with attribute sets each in its own array a tenth, both
 * waiting for memory (BENCHMARKS.md, "Point attributes compared in export order").
 *
 * <p>One per task (one thread), holding at most {@link #MAX_ENTRIES} by default: past that it
 * starts afresh, so a task with more live streams than that parses their attributes again, as
 * before.
 */
final class PointLabelsCache {
  /** Attribute sets remembered at most (about 100 bytes of heap each, BENCHMARKS.md). */
  static final int MAX_ENTRIES = 100_000;

  private final Map<Key, PointLabels> known = new HashMap<>();

  /** Each stream's attribute sets in the order of its last export. */
  private final Map<Key, Order> orders = new HashMap<>();

  /**
   * One instance of each operation name remembered: the points of a route (one per status code)
   * then name it with the same string, and the signals step compares them by identity first.
   */
  private final Map<String, String> operations = new HashMap<>();

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
   * A stream's points in the order of an export: the attribute bytes of each, one after the other
   * in {@code bytes} (the {@code i}-th from {@code ends[i - 1]}, or 0, to {@code ends[i]}), and
   * what they say (null where not remembered: attributes split by another field). One array of
   * bytes, so that comparing an export's points with it reads memory in order.
   */
  private record Order(byte[] bytes, int[] ends, PointLabels[] labels) {
    static final Order NONE = new Order(new byte[0], new int[0], new PointLabels[0]);

    /**
     * What the {@code index}-th point said, if its attribute bytes were {@code other[from, to)}.
     */
    PointLabels at(int index, byte[] other, int from, int to) {
      if (index >= labels.length || labels[index] == null) {
        return null;
      }
      int start = index == 0 ? 0 : ends[index - 1];
      return Arrays.equals(bytes, start, ends[index], other, from, to) ? labels[index] : null;
    }
  }

  /** The cache as the points of one export of {@code stream} see it, in their order. */
  InOrder inOrder(Stream stream) {
    probe.set(stream, null, 0, 0);
    Order order = orders.get(probe);
    return new InOrder(stream, order != null ? order : Order.NONE);
  }

  /**
   * The points of one export of a stream, looked up in the order they come: each is compared with
   * the point at the same place in the stream's last export. {@link #done} keeps this export's
   * order for the next when it differs.
   */
  final class InOrder {
    private final Stream stream;
    private final Order last;

    /** This export's points so far: where each one's attributes lie in the request, and labels. */
    private int[] spans = new int[32];

    private PointLabels[] labels = new PointLabels[16];
    private int count;
    private boolean changed;

    private InOrder(Stream stream, Order last) {
      this.stream = stream;
      this.last = last;
    }

    /**
     * What the attribute fields {@code bytes[from, to)} of the {@code index}-th point say, or null
     * if unknown: the point at that place last time if its bytes are the same, else any point of
     * the stream with the same bytes.
     */
    PointLabels get(int index, byte[] bytes, int from, int to) {
      PointLabels found = last.at(index, bytes, from, to);
      if (found == null) {
        probe.set(stream, bytes, from, to);
        found = known.get(probe);
        if (found == null) {
          return null;
        }
        changed = true;
      }
      note(index, from, to, found);
      return found;
    }

    /**
     * Remembers that the attribute fields {@code bytes[from, to)} of the {@code index}-th point say
     * {@code labels}; returns what is remembered, with the instance of its operation's name that
     * other points have.
     */
    PointLabels put(int index, byte[] bytes, int from, int to, PointLabels labels) {
      if (known.size() >= maxEntries) {
        known.clear();
        orders.clear();
        operations.clear();
      }
      if (labels.operation() != null) {
        String operation = operations.computeIfAbsent(labels.operation(), o -> o);
        labels = new PointLabels(labels.stream(), labels.error(), operation);
      }
      Key key = new Key();
      key.set(stream, Arrays.copyOfRange(bytes, from, to), 0, to - from);
      known.put(key, labels);
      changed = true;
      note(index, from, to, labels);
      return labels;
    }

    private void note(int index, int from, int to, PointLabels found) {
      if (index >= maxEntries) {
        return;
      }
      if (index >= labels.length) {
        labels = Arrays.copyOf(labels, Math.max(index + 1, labels.length * 2));
        spans = Arrays.copyOf(spans, labels.length * 2);
      }
      spans[2 * index] = from;
      spans[2 * index + 1] = to;
      labels[index] = found;
      count = Math.max(count, index + 1);
    }

    /**
     * After the export's last point: keeps its order as the stream's if it differs from the last.
     */
    void done(byte[] bytes) {
      if (!changed && count == last.labels.length) {
        return;
      }
      int length = 0;
      for (int i = 0; i < count; i++) {
        length += labels[i] == null ? 0 : spans[2 * i + 1] - spans[2 * i];
      }
      byte[] all = new byte[length];
      int[] ends = new int[count];
      int at = 0;
      for (int i = 0; i < count; i++) {
        if (labels[i] != null) {
          int n = spans[2 * i + 1] - spans[2 * i];
          System.arraycopy(bytes, spans[2 * i], all, at, n);
          at += n;
        }
        ends[i] = at;
      }
      Key key = new Key();
      key.set(stream, null, 0, 0);
      orders.put(key, new Order(all, ends, Arrays.copyOf(labels, count)));
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
