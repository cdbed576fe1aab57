package io.vigil.processor.signals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Compact binary encodings of the processor's internal records: the points on the repartition topic
 * and the state stores (cumulative state per series, open windows, live slots). JSON spent most of
 * the stream thread's time printing and parsing the bucket bounds of every point; here a batch's
 * bounds are written once per layout. Each encoding starts with a version byte, so a later format
 * can read this one; bytes that are not one of them raise {@link SerializationException} (the
 * repartition topic's handler sends them to the DLQ).
 */
final class BinarySerdes {
  /**
   * Points; V2 adds each point's operation, V3 the {@link #LATENCY_ONLY} flag (an older instance
   * must not read a latency-only point as requests, so it rejects V3 rather than ignore the flag),
   * V4 the {@link #FROM_SPANS} flag (likewise: an older instance would count span points beside the
   * same service's metrics), V5 a corrected clock's shift behind the {@link #CLOCK_SHIFTED} flag
   * (an older instance would count a corrected first point from the sender's start, or not at all),
   * V6 the {@link #EXPONENTIAL} flag and a span point's {@link LatencySketch} behind {@link
   * #SKETCH} (an older instance would interpolate exponential buckets linearly and miss spans'
   * latency), V7 each point's {@link MetricPoint#origin()} ({@link #writeOrigin}).
   */
  private static final byte POINTS_V1 = 1;

  private static final byte POINTS_V2 = 2;
  private static final byte POINTS_V3 = 3;
  private static final byte POINTS_V4 = 4;
  private static final byte POINTS_V5 = 5;
  private static final byte POINTS_V6 = 6;
  private static final byte POINTS_V7 = 7;

  /**
   * A series' state; V2 writes each bucket layout once, then an index per stream; V3 is compact: a
   * point's time after its start, its counts as varints; V4 keeps the streams in order, each named
   * by 16 bytes instead of a {@code <hash>@<start>} string, its start after the one before, and the
   * last metric point's time in a field of its own.
   */
  private static final byte STATE_V1 = 1;

  private static final byte STATE_V2 = 2;
  private static final byte STATE_V3 = 3;
  private static final byte STATE_V4 = 4;

  /**
   * Open windows; V2 adds the totals' operation, V3 their latency sketch, V4 the service's
   * operations in its entry (each: its name, then its totals without the series), V5 is compact:
   * counts as varints, each bucket layout once per entry.
   */
  private static final byte WINDOW_V1 = 1;

  private static final byte WINDOW_V2 = 2;
  private static final byte WINDOW_V3 = 3;
  private static final byte WINDOW_V4 = 4;
  private static final byte WINDOW_V5 = 5;

  /**
   * Live slots; V2 adds the series' operation, V3 the slots' latency sketches, V4 is compact: the
   * series named once, not per slot, each slot's start after the one before, counts as varints,
   * each bucket layout once per entry.
   */
  private static final byte LIVE_V1 = 1;

  private static final byte LIVE_V2 = 2;
  private static final byte LIVE_V3 = 3;
  private static final byte LIVE_V4 = 4;

  private static final int ERROR = 1;
  private static final int CUMULATIVE = 2;
  private static final int HAS_MAX = 4;
  private static final int LATENCY_ONLY = 8;
  private static final int FROM_SPANS = 16;
  private static final int CLOCK_SHIFTED = 32;
  private static final int EXPONENTIAL = 64;
  private static final int SKETCH = 128;

  private BinarySerdes() {}

  /** The serde of {@link SeriesPoints}. */
  static Serde<SeriesPoints> seriesPoints() {
    return Serdes.serdeFrom(
        (Serializer<SeriesPoints>) (topic, data) -> data == null ? null : write(data),
        (Deserializer<SeriesPoints>)
            (topic, bytes) -> bytes == null ? null : readPoints(topic, bytes));
  }

  /** The serde of {@link SeriesState}. */
  static Serde<SeriesState> seriesState() {
    return Serdes.serdeFrom(
        (Serializer<SeriesState>)
            (topic, data) -> data == null ? null : encode(STATE_V4, data::writeTo),
        (Deserializer<SeriesState>)
            (topic, bytes) ->
                bytes == null
                    ? null
                    : decode(
                        topic,
                        bytes,
                        STATE_V1,
                        STATE_V4,
                        "Vigil processor state",
                        (in, v) ->
                            SeriesState.readFrom(
                                in, bytes.length, v >= STATE_V2, v >= STATE_V3, v >= STATE_V4)));
  }

  /** The serde of {@link WindowTotals}. */
  static Serde<WindowTotals> windowTotals() {
    return Serdes.serdeFrom(
        (Serializer<WindowTotals>)
            (topic, data) ->
                data == null
                    ? null
                    : encode(
                        WINDOW_V5,
                        out -> {
                          out.writeBoolean(data.late());
                          List<double[]> layouts = new ArrayList<>(2);
                          data.totals().writeTo(out, layouts);
                          writeVarint(out, data.operations().size());
                          for (Map.Entry<String, SignalAccumulator> op :
                              data.operations().entrySet()) {
                            out.writeUTF(op.getKey());
                            op.getValue().writeCountsTo(out, layouts);
                          }
                        }),
        (Deserializer<WindowTotals>)
            (topic, bytes) ->
                bytes == null
                    ? null
                    : decode(
                        topic,
                        bytes,
                        WINDOW_V1,
                        WINDOW_V5,
                        "Vigil processor state",
                        (in, v) -> readWindow(in, bytes.length, v)));
  }

  private static WindowTotals readWindow(BinaryIn in, int limit, byte version) throws IOException {
    boolean late = in.readBoolean();
    // From V5 on, the entry's bucket layouts, in the order first written.
    List<double[]> layouts = version >= WINDOW_V5 ? new ArrayList<>(2) : null;
    SignalAccumulator totals =
        SignalAccumulator.readFrom(in, limit, version >= WINDOW_V2, version >= WINDOW_V3, layouts);
    WindowTotals window = new WindowTotals(late, totals);
    if (version >= WINDOW_V4) {
      int n = readCount(in, limit);
      for (int i = 0; i < n; i++) {
        String operation = in.readUTF();
        window
            .operations()
            .put(
                operation,
                SignalAccumulator.readCounts(
                    in,
                    limit,
                    true,
                    layouts,
                    totals.cluster(),
                    totals.namespace(),
                    totals.service(),
                    operation));
      }
    }
    return window;
  }

  /** The serde of {@link LiveSeries}. */
  static Serde<LiveSeries> liveSeries() {
    return Serdes.serdeFrom(
        (Serializer<LiveSeries>)
            (topic, data) -> data == null ? null : encode(LIVE_V4, data::writeTo),
        (Deserializer<LiveSeries>)
            (topic, bytes) ->
                bytes == null
                    ? null
                    : decode(
                        topic,
                        bytes,
                        LIVE_V1,
                        LIVE_V4,
                        "Vigil processor state",
                        (in, v) ->
                            LiveSeries.readFrom(
                                in, bytes.length, v >= LIVE_V2, v >= LIVE_V3, v >= LIVE_V4)));
  }

  /** Writes one value to a record's output. */
  interface Writer {
    void write(BinaryOut out) throws IOException;
  }

  /** Reads one value, of format {@code version}, from a record's input. */
  interface Reader<T> {
    T read(BinaryIn in, byte version) throws IOException;
  }

  /**
   * One output per thread, reused: encoding a window per record per operation made growing fresh
   * buffers a tenth of the stream thread's time.
   */
  private static final ThreadLocal<BinaryOut> OUTPUT =
      ThreadLocal.withInitial(() -> new BinaryOut(4096));

  private static byte[] encode(byte version, Writer writer) {
    BinaryOut out = OUTPUT.get();
    out.reset();
    try {
      out.writeByte(version);
      writer.write(out);
    } catch (IOException e) {
      throw new SerializationException("cannot write processor state", e);
    }
    byte[] result = out.toByteArray();
    if (out.capacity() > 1 << 20) {
      // One huge record must not pin its buffer for the thread's life.
      OUTPUT.remove();
    }
    return result;
  }

  /**
   * Reads what {@link #encode} wrote in a format from {@code oldest} to {@code newest}; anything
   * else (another version, truncated or corrupt bytes) raises {@link SerializationException} naming
   * {@code what} and the topic.
   */
  private static <T> T decode(
      String topic, byte[] bytes, byte oldest, byte newest, String what, Reader<T> reader) {
    try {
      BinaryIn in = new BinaryIn(bytes);
      byte found = in.readByte();
      if (found < oldest || found > newest) {
        throw new SerializationException(
            "not " + what + " on topic " + topic + ": unknown format " + found);
      }
      return reader.read(in, found);
    } catch (SerializationException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("not " + what + " on topic " + topic + ": " + e, e);
    }
  }

  static byte[] write(SeriesPoints batch) {
    return encode(POINTS_V7, out -> writePoints(out, batch.points()));
  }

  static SeriesPoints readPoints(String topic, byte[] bytes) {
    return decode(
        topic,
        bytes,
        POINTS_V1,
        POINTS_V7,
        "Vigil data points",
        (in, v) -> readPoints(in, topic, bytes.length, v));
  }

  private static void writePoints(BinaryOut out, List<MetricPoint> points) throws IOException {
    MetricPoint first = points.isEmpty() ? null : points.get(0);
    writeNullable(out, first == null ? null : first.cluster());
    writeNullable(out, first == null ? null : first.namespace());
    writeNullable(out, first == null ? null : first.service());
    writeVarint(out, points.size());
    List<double[]> layouts = new ArrayList<>();
    List<String> origins = new ArrayList<>(1);
    for (MetricPoint p : points) {
      out.writeUTF(p.stream());
      int flags =
          (p.error() ? ERROR : 0)
              | (p.cumulative() ? CUMULATIVE : 0)
              | (p.maxMs() != null ? HAS_MAX : 0)
              | (p.latencyOnly() ? LATENCY_ONLY : 0)
              | (p.fromSpans() ? FROM_SPANS : 0)
              | (p.clockShiftNanos() != 0 ? CLOCK_SHIFTED : 0)
              | (p.exponential() ? EXPONENTIAL : 0)
              | (p.sketch() != null ? SKETCH : 0);
      out.writeByte(flags);
      out.writeLong(p.startNanos());
      out.writeLong(p.timeNanos());
      out.writeLong(p.count());
      writeLayout(out, layouts, p.boundsMs());
      writeLongs(out, p.bucketCounts());
      if (p.maxMs() != null) {
        out.writeDouble(p.maxMs());
      }
      writeNullable(out, p.operation());
      if (p.clockShiftNanos() != 0) {
        out.writeLong(p.clockShiftNanos());
      }
      if (p.sketch() != null) {
        writeBytes(out, p.sketch().toBytes());
      }
      writeOrigin(out, origins, p.origin());
    }
  }

  /**
   * Writes {@code origin} as 0 when null, else as its place (from 1) among {@code origins}, written
   * before in the same record, or as the next place followed by the origin itself (then added): the
   * points of a record nearly always share one origin, a byte each.
   */
  private static void writeOrigin(BinaryOut out, List<String> origins, String origin)
      throws IOException {
    if (origin == null) {
      writeVarint(out, 0);
      return;
    }
    int at = origins.indexOf(origin);
    if (at >= 0) {
      writeVarint(out, at + 1);
      return;
    }
    origins.add(origin);
    writeVarint(out, origins.size());
    out.writeUTF(origin);
  }

  /** Reads an origin written by {@link #writeOrigin}; equal origins share one string. */
  private static String readOrigin(BinaryIn in, List<String> origins) throws IOException {
    int at = readVarint(in);
    if (at == 0) {
      return null;
    }
    if (at == origins.size() + 1) {
      origins.add(in.readUTF());
    } else if (at > origins.size()) {
      throw new IOException("bad origin index " + at + " after " + origins.size() + " origins");
    }
    return origins.get(at - 1);
  }

  private static SeriesPoints readPoints(BinaryIn in, String topic, int limit, byte version)
      throws IOException {
    boolean withOperation = version >= POINTS_V2;
    boolean withLatencyOnly = version >= POINTS_V3;
    boolean withFromSpans = version >= POINTS_V4;
    boolean withClockShift = version >= POINTS_V5;
    boolean withSketch = version >= POINTS_V6;
    boolean withOrigin = version >= POINTS_V7;
    String cluster = readNullable(in);
    String namespace = readNullable(in);
    String service = readNullable(in);
    int n = readCount(in, limit);
    List<double[]> layouts = new ArrayList<>();
    List<String> origins = new ArrayList<>(1);
    List<MetricPoint> points = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String stream = in.readUTF();
      int flags = in.readByte() & 0xFF;
      long start = in.readLong();
      long time = in.readLong();
      long count = in.readLong();
      double[] bounds = readLayout(in, layouts, limit);
      long[] buckets = readLongs(in, limit);
      Double max = (flags & HAS_MAX) != 0 ? in.readDouble() : null;
      String operation = withOperation ? readNullable(in) : null;
      long clockShift = withClockShift && (flags & CLOCK_SHIFTED) != 0 ? in.readLong() : 0;
      LatencySketch sketch = null;
      if (withSketch && (flags & SKETCH) != 0) {
        sketch = LatencySketch.fromBytes(readBytes(in, limit));
      }
      String origin = withOrigin ? readOrigin(in, origins) : null;
      points.add(
          new MetricPoint(
              stream,
              cluster,
              namespace,
              service,
              (flags & ERROR) != 0,
              (flags & CUMULATIVE) != 0,
              start,
              time,
              count,
              bounds,
              buckets,
              max,
              operation,
              withLatencyOnly && (flags & LATENCY_ONLY) != 0,
              withFromSpans && (flags & FROM_SPANS) != 0,
              clockShift,
              withSketch && (flags & EXPONENTIAL) != 0,
              sketch,
              origin));
    }
    return new SeriesPoints(points);
  }

  /**
   * Writes {@code bounds} as the index of an equal layout among {@code layouts}, written before in
   * the same record, or as the next index followed by the bounds themselves (then added).
   */
  static void writeLayout(BinaryOut out, List<double[]> layouts, double[] bounds)
      throws IOException {
    int layout = layouts.size();
    for (int i = 0; i < layouts.size(); i++) {
      if (Arrays.equals(layouts.get(i), bounds)) {
        layout = i;
        break;
      }
    }
    writeVarint(out, layout);
    if (layout == layouts.size()) {
      layouts.add(bounds);
      writeDoubles(out, bounds);
    }
  }

  /** Reads bounds written by {@link #writeLayout}; equal layouts share one array. */
  static double[] readLayout(BinaryIn in, List<double[]> layouts, int limit) throws IOException {
    int layout = readVarint(in);
    if (layout == layouts.size()) {
      layouts.add(readDoubles(in, limit));
    } else if (layout > layouts.size()) {
      throw new IOException("bad layout index " + layout + " after " + layouts.size() + " layouts");
    }
    return layouts.get(layout);
  }

  static void writeNullable(BinaryOut out, String s) throws IOException {
    out.writeBoolean(s != null);
    if (s != null) {
      out.writeUTF(s);
    }
  }

  static String readNullable(BinaryIn in) throws IOException {
    return in.readBoolean() ? in.readUTF() : null;
  }

  static void writeDoubles(BinaryOut out, double[] values) throws IOException {
    writeVarint(out, values.length);
    for (double v : values) {
      out.writeDouble(v);
    }
  }

  static double[] readDoubles(BinaryIn in, int limit) throws IOException {
    double[] values = new double[readCount(in, limit)];
    for (int i = 0; i < values.length; i++) {
      values[i] = in.readDouble();
    }
    return values;
  }

  static void writeLongs(BinaryOut out, long[] values) throws IOException {
    writeVarint(out, values.length);
    for (long v : values) {
      out.writeLong(v);
    }
  }

  static long[] readLongs(BinaryIn in, int limit) throws IOException {
    long[] values = new long[readCount(in, limit)];
    for (int i = 0; i < values.length; i++) {
      values[i] = in.readLong();
    }
    return values;
  }

  /**
   * Writes {@code values} behind their number, each as a zig-zag varint ({@link #writeVarlong}).
   */
  static void writeVarlongs(BinaryOut out, long[] values) throws IOException {
    writeVarint(out, values.length);
    for (long v : values) {
      writeVarlong(out, v);
    }
  }

  /** Reads what {@link #writeVarlongs} wrote; {@code limit} bounds the number. */
  static long[] readVarlongs(BinaryIn in, int limit) throws IOException {
    long[] values = new long[readCount(in, limit)];
    for (int i = 0; i < values.length; i++) {
      values[i] = readVarlong(in);
    }
    return values;
  }

  /**
   * Writes {@code value} as a zig-zag varint (protobuf's {@code sint64}): 1 byte below 64, 2 below
   * 8,192, 3 below a million, either sign; a bucket count that takes 8 bytes as a long.
   */
  static void writeVarlong(BinaryOut out, long value) throws IOException {
    long v = (value << 1) ^ (value >> 63);
    while ((v & ~0x7FL) != 0) {
      out.writeByte((int) (v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.writeByte((int) v);
  }

  /** Reads what {@link #writeVarlong} wrote. */
  static long readVarlong(BinaryIn in) throws IOException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = in.readByte();
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return (v >>> 1) ^ -(v & 1);
      }
    }
    throw new IOException("varint too long");
  }

  /** Writes {@code bytes} behind their length (a varint). */
  static void writeBytes(BinaryOut out, byte[] bytes) throws IOException {
    writeVarint(out, bytes.length);
    out.write(bytes);
  }

  /** Reads bytes written by {@link #writeBytes}; {@code limit} bounds their length. */
  static byte[] readBytes(BinaryIn in, int limit) throws IOException {
    byte[] bytes = new byte[readCount(in, limit)];
    in.readFully(bytes);
    return bytes;
  }

  /** A length that cannot exceed the bytes there are: garbage must not allocate gigabytes. */
  static int readCount(BinaryIn in, int limit) throws IOException {
    int n = readVarint(in);
    if (n < 0 || n > limit) {
      throw new IOException("length " + n + " exceeds the record's " + limit + " bytes");
    }
    return n;
  }

  static void writeVarint(BinaryOut out, int value) throws IOException {
    while ((value & ~0x7F) != 0) {
      out.writeByte((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out.writeByte(value);
  }

  private static int readVarint(BinaryIn in) throws IOException {
    int value = 0;
    for (int shift = 0; shift < 32; shift += 7) {
      int b = in.readByte();
      value |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new IOException("varint too long");
  }
}
