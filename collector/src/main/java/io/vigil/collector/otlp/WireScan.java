package io.vigil.collector.otlp;

import com.google.protobuf.CodedOutputStream;
import io.vigil.collector.ingress.IngressService;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.otlp.OtlpAttributes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads an OTLP protobuf export request in its wire format, without building it, for what the
 * collector needs from the common request: that it is well-formed (every field as protobuf's parser
 * accepts it, strings valid UTF-8), where each resource's bytes are and its {@code service.name},
 * and how many data points, log records or spans it holds. A request that is anything but plain — a
 * time past the clock-skew limit or a malformed trace or span id (which change the request), a
 * field given twice where protobuf would merge or choose, a service name that is not one string, an
 * encoding this scan does not follow, a record over the size limit — gets {@code null}: the full
 * parse then decides, as it did for every request before. So this never refuses anything, and what
 * it accepts the full parse accepts with the same records and counts ({@code WireScanTest} checks
 * both on generated and mutated requests).
 *
 * <p>It walks the message types as {@link WireSchema} lays them out, so every field of the schema
 * is checked for its wire type; fields it does not know are skipped after checking that they are
 * well-formed, as protobuf keeps them. Profiled on 100-point histogram requests, building the
 * request was most of the parse thread's time (BENCHMARKS.md).
 */
final class WireScan {
  private static final int MAX_DEPTH = 32;

  /** Thrown inside the scan when the request is not plain; never leaves this class. */
  private static final class Unusual extends Exception {
    private static final Unusual INSTANCE = new Unusual();

    private Unusual() {
      super(null, null, false, false);
    }
  }

  private static final byte[] SERVICE_NAME = "service.name".getBytes(StandardCharsets.UTF_8);

  private final byte[] b;
  private final long timeLimit;
  private final List<int[]> resources = new ArrayList<>();
  private final List<String> services = new ArrayList<>();
  private long items;

  private WireScan(byte[] body, long timeLimit) {
    this.b = body;
    this.timeLimit = timeLimit;
  }

  /**
   * The batch a receiver stores for protobuf {@code body}, a {@code signal} export request, when it
   * is plain (see the class comment), else null. Times past {@code nowNanos + maxSkewNanos} are not
   * plain.
   */
  static IngressService.Batch batch(
      OtlpSignal signal, byte[] body, long nowNanos, long maxSkewNanos) {
    WireScan scan = new WireScan(body, nowNanos + maxSkewNanos);
    try {
      scan.message(WireSchema.of(signal), 0, body.length, 0);
    } catch (Unusual e) {
      return null;
    }
    List<SinkRecord> records = new ArrayList<>(scan.resources.size());
    String topic = signal.topic();
    for (int i = 0; i < scan.resources.size(); i++) {
      int[] at = scan.resources.get(i);
      byte[] value = scan.resources.size() == 1 ? body : alone(body, at[0], at[1]);
      if (value.length > ResourceSplitter.MAX_RECORD_BYTES) {
        return null; // to be halved: the full parse does that
      }
      records.add(
          new SinkRecord(topic, scan.services.get(i).getBytes(StandardCharsets.UTF_8), value));
    }
    return new IngressService.Batch(
        records, scan.items, new FutureTimes.Accepted(RequestDecoder.Encoding.PROTOBUF, 0, null));
  }

  /** A request holding only the resource entry at {@code b[from, from + length)}: field 1. */
  private static byte[] alone(byte[] b, int from, int length) {
    byte[] out =
        new byte
            [CodedOutputStream.computeTagSize(1)
                + CodedOutputStream.computeUInt32SizeNoTag(length)
                + length];
    CodedOutputStream writer = CodedOutputStream.newInstance(out);
    try {
      writer.writeByteArray(1, b, from, length);
      writer.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("sized wrongly", e); // cannot happen: sized above
    }
    return out;
  }

  /** Walks the message of type {@code plan} at {@code b[from, to)}. */
  private void message(WireSchema.Plan plan, int from, int to, int depth) throws Unusual {
    if (depth > MAX_DEPTH) {
      throw Unusual.INSTANCE;
    }
    long seenSingular = 0;
    int oneofsSeen = 0;
    int pos = from;
    while (pos < to) {
      long tag = varint(pos, to);
      pos = next;
      int number = (int) (tag >>> 3);
      int wireType = (int) (tag & 7);
      if (tag > Integer.MAX_VALUE || number == 0) {
        throw Unusual.INSTANCE;
      }
      WireSchema.Field field = number < plan.byNumber.length ? plan.byNumber[number] : null;
      if (field == null) {
        pos = skip(wireType, pos, to);
        continue;
      }
      if (field.oneof >= 0) {
        int bit = 1 << field.oneof;
        if ((oneofsSeen & bit) != 0) {
          throw Unusual.INSTANCE; // protobuf keeps the last: leave that to it
        }
        oneofsSeen |= bit;
      }
      if (wireType != field.wireType) {
        if (wireType != WireSchema.LEN
            || !field.repeated
            || field.wireType == WireSchema.LEN
            || field.wireType < 0) {
          throw Unusual.INSTANCE; // protobuf would keep it as an unknown field
        }
        pos = packed(field, pos, to);
        continue;
      }
      switch (wireType) {
        case WireSchema.VARINT -> {
          varint(pos, to);
          pos = next;
        }
        case WireSchema.I64 -> {
          if (to - pos < 8) {
            throw Unusual.INSTANCE;
          }
          if (field.role == WireSchema.Role.TIME
              && Long.compareUnsigned(fixed64(pos), timeLimit) > 0) {
            throw Unusual.INSTANCE; // to be brought back by FutureTimes
          }
          pos += 8;
        }
        case WireSchema.I32 -> {
          if (to - pos < 4) {
            throw Unusual.INSTANCE;
          }
          pos += 4;
        }
        default -> { // WireSchema.LEN
          int length = length(pos, to);
          pos = next;
          int end = pos + length;
          if (field.child != null) {
            if (!field.repeated) {
              if (number >= 64 || (seenSingular & (1L << number)) != 0) {
                throw Unusual.INSTANCE; // protobuf would merge the two
              }
              seenSingular |= 1L << number;
            }
            if (field.role == WireSchema.Role.RESOURCE_ENTRY) {
              resources.add(new int[] {pos, length});
              services.add(OtlpAttributes.UNKNOWN_SERVICE); // until its resource says otherwise
            }
            message(field.child, pos, end, depth + 1);
            if (field.role == WireSchema.Role.RESOURCE) {
              services.set(services.size() - 1, serviceName(pos, end));
            } else if (field.role == WireSchema.Role.ITEM) {
              items++;
            }
          } else if (field.string) {
            if (!validUtf8(b, pos, end)) {
              throw Unusual.INSTANCE;
            }
          } else if ((field.role == WireSchema.Role.TRACE_ID && length != 0 && length != 16)
              || (field.role == WireSchema.Role.SPAN_ID && length != 0 && length != 8)) {
            throw Unusual.INSTANCE; // to be left out by OtlpIds
          }
          pos = end;
        }
      }
    }
    if (pos != to) {
      throw Unusual.INSTANCE;
    }
  }

  /**
   * The packed elements of repeated scalar {@code field} at {@code pos}; returns where they end.
   */
  private int packed(WireSchema.Field field, int pos, int to) throws Unusual {
    int length = length(pos, to);
    pos = next;
    int end = pos + length;
    switch (field.wireType) {
      case WireSchema.VARINT -> {
        while (pos < end) {
          varint(pos, end);
          pos = next;
        }
      }
      case WireSchema.I64 -> {
        if (length % 8 != 0) {
          throw Unusual.INSTANCE;
        }
      }
      default -> { // WireSchema.I32
        if (length % 4 != 0) {
          throw Unusual.INSTANCE;
        }
      }
    }
    return end;
  }

  /**
   * The {@code service.name} of the Resource at {@code b[from, to)}, already walked: its one
   * attribute of that key with one string value, {@value OtlpAttributes#UNKNOWN_SERVICE} when it
   * has none or an empty one.
   */
  private String serviceName(int from, int to) throws Unusual {
    String name = null;
    boolean found = false;
    for (int pos = from; pos < to; ) {
      long tag = varint(pos, to);
      pos = next;
      if (tag != ((1 << 3) | WireSchema.LEN)) {
        pos = skip((int) (tag & 7), pos, to);
        continue;
      }
      int length = length(pos, to);
      pos = next;
      int end = pos + length;
      boolean service = false;
      int valueFrom = -1;
      int valueTo = -1;
      for (int p = pos; p < end; ) {
        long t = varint(p, end);
        p = next;
        if (t == ((1 << 3) | WireSchema.LEN)) {
          int l = length(p, end);
          service = Arrays.equals(b, next, next + l, SERVICE_NAME, 0, SERVICE_NAME.length);
          p = next + l;
        } else if (t == ((2 << 3) | WireSchema.LEN)) {
          int l = length(p, end);
          valueFrom = next;
          valueTo = next + l;
          p = valueTo;
        } else {
          p = skip((int) (t & 7), p, end);
        }
      }
      pos = end;
      if (!service) {
        continue;
      }
      if (found) {
        throw Unusual.INSTANCE;
      }
      found = true;
      name = stringValue(valueFrom, valueTo);
    }
    return name == null || name.isEmpty() ? OtlpAttributes.UNKNOWN_SERVICE : name;
  }

  /**
   * The AnyValue at {@code b[from, to)} when it is exactly one {@code string_value}; else unusual.
   */
  private String stringValue(int from, int to) throws Unusual {
    if (from < 0) {
      throw Unusual.INSTANCE;
    }
    String value = null;
    for (int p = from; p < to; ) {
      long t = varint(p, to);
      p = next;
      if (t != ((1 << 3) | WireSchema.LEN) || value != null) {
        throw Unusual.INSTANCE;
      }
      int l = length(p, to);
      value = new String(b, next, l, StandardCharsets.UTF_8);
      p = next + l;
    }
    if (value == null) {
      throw Unusual.INSTANCE;
    }
    return value;
  }

  /**
   * Whether {@code b[from, to)} is well-formed UTF-8, as protobuf requires of a string: no stray
   * continuation bytes, overlong forms, surrogates or code points past U+10FFFF. (Bytes compare
   * signed: 0x80–0xBF, the continuation bytes, are the values up to {@code (byte) 0xBF}.) Our own:
   * protobuf's check for a range of an array ({@code Utf8}) is not public, and wrapping each string
   * in a {@code ByteString} to reach it would allocate per field.
   */
  static boolean validUtf8(byte[] b, int from, int to) {
    int i = from;
    while (i < to) {
      byte c = b[i];
      if (c >= 0) {
        i++;
      } else if (c < (byte) 0xC2) {
        return false; // a continuation byte, or C0/C1 (overlong)
      } else if (c < (byte) 0xE0) {
        if (to - i < 2 || b[i + 1] > (byte) 0xBF) {
          return false;
        }
        i += 2;
      } else if (c < (byte) 0xF0) {
        if (to - i < 3) {
          return false;
        }
        byte c1 = b[i + 1];
        if (c1 > (byte) 0xBF
            || (c == (byte) 0xE0 && c1 < (byte) 0xA0) // overlong
            || (c == (byte) 0xED && c1 >= (byte) 0xA0) // a surrogate
            || b[i + 2] > (byte) 0xBF) {
          return false;
        }
        i += 3;
      } else {
        if (c > (byte) 0xF4 || to - i < 4) {
          return false;
        }
        byte c1 = b[i + 1];
        if (c1 > (byte) 0xBF
            || (c == (byte) 0xF0 && c1 < (byte) 0x90) // overlong
            || (c == (byte) 0xF4 && c1 > (byte) 0x8F) // past U+10FFFF
            || b[i + 2] > (byte) 0xBF
            || b[i + 3] > (byte) 0xBF) {
          return false;
        }
        i += 4;
      }
    }
    return true;
  }

  /** Skips a field of an unknown number; returns where it ends. */
  private int skip(int wireType, int pos, int to) throws Unusual {
    switch (wireType) {
      case WireSchema.VARINT -> {
        varint(pos, to);
        return next;
      }
      case WireSchema.I64 -> {
        if (to - pos < 8) {
          throw Unusual.INSTANCE;
        }
        return pos + 8;
      }
      case WireSchema.I32 -> {
        if (to - pos < 4) {
          throw Unusual.INSTANCE;
        }
        return pos + 4;
      }
      case WireSchema.LEN -> {
        int length = length(pos, to);
        return next + length;
      }
      default -> throw Unusual.INSTANCE; // groups, and wire types 6 and 7
    }
  }

  /** Where the last {@link #varint} or {@link #length} ended. */
  private int next;

  /** A varint of at most 10 bytes starting at {@code pos} before {@code to}; sets {@link #next}. */
  private long varint(int pos, int to) throws Unusual {
    long value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos >= to) {
        throw Unusual.INSTANCE;
      }
      byte x = b[pos++];
      value |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        next = pos;
        return value;
      }
    }
    throw Unusual.INSTANCE;
  }

  /** A length of at most 5 bytes that fits before {@code to}; sets {@link #next} after it. */
  private int length(int pos, int to) throws Unusual {
    long length = varint(pos, to);
    if (next - pos > 5 || length > to - next) {
      throw Unusual.INSTANCE;
    }
    return (int) length;
  }

  private long fixed64(int pos) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[pos + i] & 0xFF);
    }
    return v;
  }
}
