package io.vigil.processor.signals;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.vigil.processor.signals.OtlpMetricsDecoder.PointLabels;
import io.vigil.processor.signals.OtlpMetricsDecoder.Stream;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the data points of an explicit-bucket histogram ({@code HistogramDataPoint}) straight from
 * the request's bytes, where {@link HistogramWire} found them: times, count, bounds and buckets
 * (packed or not) into arrays, exemplars parsed by protobuf. What the attributes say ({@link
 * PointLabels}) is looked up by their bytes in a {@link PointLabelsCache}; only attributes not seen
 * before in the point's stream are parsed by protobuf.
 */
final class HistogramPoints {
  private static final int ATTRIBUTES = 9 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private static final VarHandle FIXED64 =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle DOUBLE =
      MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long[] NO_BUCKETS = new long[0];
  private static final double[] NO_BOUNDS = new double[0];

  private HistogramPoints() {}

  /**
   * One histogram data point as sent, read here or built by protobuf ({@link #of}), with what its
   * attributes say; {@code bounds} in the metric's unit, {@code max} NaN when the point has none.
   */
  record Point(
      PointLabels labels,
      long startNanos,
      long timeNanos,
      long count,
      double[] bounds,
      long[] buckets,
      int flags,
      double max) {
    /** Point {@code dp} of {@code stream} as protobuf built it. */
    static Point of(HistogramDataPoint dp, Stream stream) {
      double[] bounds = new double[dp.getExplicitBoundsCount()];
      for (int i = 0; i < bounds.length; i++) {
        bounds[i] = dp.getExplicitBounds(i);
      }
      long[] buckets = new long[dp.getBucketCountsCount()];
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] = dp.getBucketCounts(i);
      }
      return new Point(
          PointLabels.of(stream, dp.getAttributesList()),
          dp.getStartTimeUnixNano(),
          dp.getTimeUnixNano(),
          dp.getCount(),
          bounds,
          buckets,
          dp.getFlags(),
          dp.hasMax() ? dp.getMax() : Double.NaN);
    }
  }

  /** The points of {@code histogram}, of {@code stream}, read from {@code bytes}. */
  static List<Point> read(
      byte[] bytes, HistogramWire.Histogram histogram, Stream stream, PointLabelsCache cache)
      throws InvalidProtocolBufferException {
    int[] at = histogram.points();
    List<Point> points = new ArrayList<>(at.length / 2);
    if (at.length == 0) {
      return points;
    }
    // One reader over all of them (they lie in order), a limit pushed for each message in it.
    int from = at[0];
    CodedInputStream in =
        CodedInputStream.newInstance(bytes, from, at[at.length - 2] + at[at.length - 1] - from);
    PointLabelsCache.InOrder known = cache.inOrder(stream);
    double[] previousBounds = NO_BOUNDS;
    try {
      for (int i = 0; i < at.length; i += 2) {
        in.skipRawBytes(at[i] - from - HistogramWire.at(in));
        int limit = in.pushLimit(at[i + 1]);
        Point point = point(in, bytes, from, stream, known, i / 2, previousBounds);
        previousBounds = point.bounds();
        points.add(point);
        in.popLimit(limit);
      }
      known.done(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (IOException e) {
      throw new InvalidProtocolBufferException(e);
    }
    return points;
  }

  /**
   * The point {@code in} holds up to its limit, the {@code index}-th of its histogram, with the
   * bounds of the point before it ({@code previousBounds}) when its own are the same.
   */
  private static Point point(
      CodedInputStream in,
      byte[] bytes,
      int base,
      Stream stream,
      PointLabelsCache.InOrder known,
      int index,
      double[] previousBounds)
      throws IOException {
    // Where in bytes the attribute fields begin and end, and whether another field lies between.
    int attributesFrom = -1;
    int attributesTo = -1;
    boolean apart = false;
    long start = 0;
    long time = 0;
    long count = 0;
    long[] buckets = NO_BUCKETS;
    int bucketCount = 0;
    double[] bounds = NO_BOUNDS;
    int boundCount = 0;
    int flags = 0;
    double max = Double.NaN;
    for (int fieldAt = base + HistogramWire.at(in), tag = in.readTag();
        tag != 0;
        fieldAt = base + HistogramWire.at(in), tag = in.readTag()) {
      switch (tag) {
        case ATTRIBUTES -> {
          apart |= attributesTo >= 0 && attributesTo != fieldAt;
          attributesFrom = attributesFrom < 0 ? fieldAt : attributesFrom;
          in.skipRawBytes(in.readRawVarint32()); // read below, unless known
          attributesTo = base + HistogramWire.at(in);
        }
        case 2 << 3 | WireFormat.WIRETYPE_FIXED64 -> start = in.readFixed64();
        case 3 << 3 | WireFormat.WIRETYPE_FIXED64 -> time = in.readFixed64();
        case 4 << 3 | WireFormat.WIRETYPE_FIXED64 -> count = in.readFixed64();
        case 6 << 3 | WireFormat.WIRETYPE_FIXED64 -> {
          buckets = room(buckets, bucketCount + 1);
          buckets[bucketCount++] = in.readFixed64();
        }
        case 6 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          int size = in.readRawVarint32();
          if (whole(in, size)) {
            buckets = room(buckets, bucketCount + size / 8);
            for (int at = base + HistogramWire.at(in), end = at + size; at < end; at += 8) {
              buckets[bucketCount++] = (long) FIXED64.get(bytes, at);
            }
            in.skipRawBytes(size);
          } else {
            int limit = in.pushLimit(size);
            while (in.getBytesUntilLimit() > 0) {
              buckets = room(buckets, bucketCount + 1);
              buckets[bucketCount++] = in.readFixed64();
            }
            in.popLimit(limit);
          }
        }
        case 7 << 3 | WireFormat.WIRETYPE_FIXED64 -> {
          bounds = room(bounds, boundCount + 1);
          bounds[boundCount++] = in.readDouble();
        }
        case 7 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          int size = in.readRawVarint32();
          if (whole(in, size)) {
            int from = base + HistogramWire.at(in);
            if (boundCount == 0 && same(bytes, from, size, previousBounds)) {
              bounds = previousBounds;
              boundCount = previousBounds.length;
            } else {
              bounds = room(bounds, boundCount + size / 8);
              for (int at = from, end = at + size; at < end; at += 8) {
                bounds[boundCount++] = (double) DOUBLE.get(bytes, at);
              }
            }
            in.skipRawBytes(size);
          } else {
            int limit = in.pushLimit(size);
            while (in.getBytesUntilLimit() > 0) {
              bounds = room(bounds, boundCount + 1);
              bounds[boundCount++] = in.readDouble();
            }
            in.popLimit(limit);
          }
        }
        case 8 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          int limit = in.pushLimit(in.readRawVarint32());
          Exemplar.parseFrom(in); // checked as protobuf would, not used
          in.checkLastTagWas(0);
          in.popLimit(limit);
        }
        case 10 << 3 | WireFormat.WIRETYPE_VARINT -> flags = in.readUInt32();
        case 12 << 3 | WireFormat.WIRETYPE_FIXED64 -> max = in.readDouble();
        default -> HistogramWire.skip(in, tag);
      }
    }
    return new Point(
        attributesFrom < 0
            ? labels(bytes, 0, 0, false, stream, known, index)
            : labels(bytes, attributesFrom, attributesTo, apart, stream, known, index),
        start,
        time,
        count,
        shared(exact(bounds, boundCount), previousBounds),
        exact(buckets, bucketCount),
        flags,
        max);
  }

  /**
   * Whether a packed run of {@code size} bytes lies whole within {@code in}'s limit as 8-byte
   * values, so that it can be read straight from the bytes; otherwise it is read value by value,
   * failing as protobuf would.
   */
  private static boolean whole(CodedInputStream in, int size) {
    return size >= 0 && size % 8 == 0 && size <= in.getBytesUntilLimit();
  }

  /**
   * {@code bounds}, or {@code previous} when equal: the points of a histogram nearly always share
   * their bounds, and every step after this one compares bounds first by identity.
   */
  private static double[] shared(double[] bounds, double[] previous) {
    return Arrays.equals(bounds, previous) ? previous : bounds;
  }

  /**
   * Whether the {@code size} bytes at {@code from} hold {@code previous} as packed doubles (equal
   * as {@link Arrays#equals(double[], double[])} has them): then the point takes the bounds of the
   * one before it without reading its own into an array first.
   */
  private static boolean same(byte[] bytes, int from, int size, double[] previous) {
    if (previous == null || size != previous.length * 8) {
      return false;
    }
    for (int i = 0; i < previous.length; i++) {
      double bound = (double) DOUBLE.get(bytes, from + i * 8);
      if (Double.doubleToLongBits(bound) != Double.doubleToLongBits(previous[i])) {
        return false;
      }
    }
    return true;
  }

  private static long[] exact(long[] a, int length) {
    return a.length == length ? a : Arrays.copyOf(a, length);
  }

  private static double[] exact(double[] a, int length) {
    return a.length == length ? a : Arrays.copyOf(a, length);
  }

  /**
   * What the attribute fields in {@code bytes[from, to)} of the {@code index}-th point say: known
   * from the same bytes in the same stream, or parsed as protobuf would (refusing what it refuses)
   * and then remembered. Attributes with {@code apart} other fields between them are parsed and not
   * remembered.
   */
  private static PointLabels labels(
      byte[] bytes,
      int from,
      int to,
      boolean apart,
      Stream stream,
      PointLabelsCache.InOrder known,
      int index)
      throws IOException {
    PointLabels seen = apart ? null : known.get(index, bytes, from, to);
    if (seen != null) {
      return seen;
    }
    List<KeyValue> attributes = new ArrayList<>();
    CodedInputStream in = CodedInputStream.newInstance(bytes, from, to - from);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == ATTRIBUTES) {
        int limit = in.pushLimit(in.readRawVarint32());
        attributes.add(KeyValue.parseFrom(in));
        in.checkLastTagWas(0);
        in.popLimit(limit);
      } else {
        HistogramWire.skip(in, tag); // read above
      }
    }
    PointLabels labels = PointLabels.of(stream, attributes);
    return apart ? labels : known.put(index, bytes, from, to, labels);
  }

  private static long[] room(long[] a, int needed) {
    return needed <= a.length ? a : Arrays.copyOf(a, Math.max(needed, a.length * 2));
  }

  private static double[] room(double[] a, int needed) {
    return needed <= a.length ? a : Arrays.copyOf(a, Math.max(needed, a.length * 2));
  }
}
