package io.vigil.collector.otlp;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
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
 * well-formed, as protobuf keeps them. Tags, varints, lengths and unknown fields are read by
 * protobuf's own {@link CodedInputStream}, so its limits are the parser's; what it does not check
 * (UTF-8 without building a string, ids' lengths, times, fields given twice) is checked here.
 * Profiled on 100-point histogram requests, building the request was most of the parse thread's
 * time; the scan takes about a third of it ({@code ScanStepBench}, BENCHMARKS.md).
 */
final class WireScan {
  private static final int MAX_DEPTH = 32;

  /**
   * Thrown inside the scan when the request is not plain; never leaves this class. An {@code
   * IOException}, as protobuf's reader throws for what it refuses: either way, the full parse
   * decides.
   */
  private static final class Unusual extends IOException {
    private static final Unusual INSTANCE = new Unusual();

    private Unusual() {}

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this; // thrown for control flow: no stack
    }
  }

  private static final byte[] SERVICE_NAME = "service.name".getBytes(StandardCharsets.UTF_8);

  private final byte[] b;
  private final CodedInputStream in;
  private final long timeLimit;
  private final List<int[]> resources = new ArrayList<>();
  private final List<String> services = new ArrayList<>();
  private long items;

  private WireScan(byte[] body, long timeLimit) {
    this.b = body;
    this.in = CodedInputStream.newInstance(body);
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
      scan.message(WireSchema.of(signal), 0); // the whole body: no limit is pushed at the top
    } catch (IOException e) {
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

  /**
   * Walks the message of type {@code plan} that {@link #in} holds up to its current limit; leaves
   * {@link #in} there.
   */
  private void message(WireSchema.Plan plan, int depth) throws IOException {
    if (depth > MAX_DEPTH) {
      throw Unusual.INSTANCE;
    }
    long seenSingular = 0;
    int oneofsSeen = 0;
    while (!in.isAtEnd()) {
      int tag = in.readTag(); // refuses tag 0, as protobuf's parser does
      int number = WireFormat.getTagFieldNumber(tag);
      int wireType = WireFormat.getTagWireType(tag);
      WireSchema.Field field = number < plan.byNumber.length ? plan.byNumber[number] : null;
      if (field == null) {
        if (wireType == WireFormat.WIRETYPE_START_GROUP
            || wireType == WireFormat.WIRETYPE_END_GROUP) {
          throw Unusual.INSTANCE; // groups: left to the full parse
        }
        in.skipField(tag); // kept as an unknown field by protobuf
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
        packed(field);
        continue;
      }
      switch (wireType) {
        case WireSchema.VARINT -> in.readRawVarint64();
        case WireSchema.I64 -> {
          long value = in.readRawLittleEndian64();
          if (field.role == WireSchema.Role.TIME && Long.compareUnsigned(value, timeLimit) > 0) {
            throw Unusual.INSTANCE; // to be brought back by FutureTimes
          }
        }
        case WireSchema.I32 -> in.readRawLittleEndian32();
        default -> { // WireSchema.LEN
          int length = in.readRawVarint32();
          int from = in.getTotalBytesRead();
          if (field.child != null) {
            if (!field.repeated) {
              if (number >= 64 || (seenSingular & (1L << number)) != 0) {
                throw Unusual.INSTANCE; // protobuf would merge the two
              }
              seenSingular |= 1L << number;
            }
            if (field.role == WireSchema.Role.RESOURCE_ENTRY) {
              resources.add(new int[] {from, length});
              services.add(OtlpAttributes.UNKNOWN_SERVICE); // until its resource says otherwise
            }
            int outer = in.pushLimit(length); // refuses a negative length or one past the limit
            message(field.child, depth + 1);
            in.popLimit(outer);
            if (field.role == WireSchema.Role.RESOURCE) {
              services.set(services.size() - 1, serviceName(from, length));
            } else if (field.role == WireSchema.Role.ITEM) {
              items++;
            }
          } else {
            if (length < 0 || length > b.length - from) {
              throw Unusual.INSTANCE; // past the body; past the message, skipRawBytes refuses
            }
            if (field.string && !validUtf8(b, from, from + length)) {
              throw Unusual.INSTANCE;
            }
            if ((field.role == WireSchema.Role.TRACE_ID && length != 0 && length != 16)
                || (field.role == WireSchema.Role.SPAN_ID && length != 0 && length != 8)) {
              throw Unusual.INSTANCE; // to be left out by OtlpIds
            }
            in.skipRawBytes(length);
          }
        }
      }
    }
  }

  /** The packed elements of repeated scalar {@code field}, after their tag. */
  private void packed(WireSchema.Field field) throws IOException {
    int length = in.readRawVarint32();
    int width =
        switch (field.wireType) {
          case WireSchema.I64 -> 8;
          case WireSchema.I32 -> 4;
          default -> 0; // WireSchema.VARINT
        };
    if (width == 0) {
      int outer = in.pushLimit(length);
      while (!in.isAtEnd()) {
        in.readRawVarint64();
      }
      in.popLimit(outer);
    } else if (length % width != 0) {
      throw Unusual.INSTANCE;
    } else {
      in.skipRawBytes(length); // refuses a negative length or one past the limit
    }
  }

  /**
   * Field 1 of a message, length-delimited: Resource.attributes, KeyValue.key,
   * AnyValue.string_value.
   */
  private static final int FIRST_LEN = (1 << 3) | WireSchema.LEN;

  /** KeyValue.value. */
  private static final int VALUE = (2 << 3) | WireSchema.LEN;

  /**
   * The {@code service.name} of the Resource at {@code b[from, from + length)}, already walked: its
   * one attribute of that key with one string value, {@value OtlpAttributes#UNKNOWN_SERVICE} when
   * it has none or an empty one.
   */
  private String serviceName(int from, int length) throws IOException {
    CodedInputStream resource = CodedInputStream.newInstance(b, from, length);
    String name = null;
    boolean found = false;
    while (!resource.isAtEnd()) {
      int tag = resource.readTag();
      if (tag != FIRST_LEN) {
        resource.skipField(tag);
        continue;
      }
      int outer = resource.pushLimit(resource.readRawVarint32());
      boolean service = false;
      int valueFrom = -1;
      int valueLength = 0;
      while (!resource.isAtEnd()) {
        int t = resource.readTag();
        if (t == FIRST_LEN) {
          int l = resource.readRawVarint32();
          int at = from + resource.getTotalBytesRead();
          service = Arrays.equals(b, at, at + l, SERVICE_NAME, 0, SERVICE_NAME.length);
          resource.skipRawBytes(l);
        } else if (t == VALUE) {
          valueLength = resource.readRawVarint32();
          valueFrom = from + resource.getTotalBytesRead();
          resource.skipRawBytes(valueLength);
        } else {
          resource.skipField(t);
        }
      }
      resource.popLimit(outer);
      if (!service) {
        continue;
      }
      if (found) {
        throw Unusual.INSTANCE;
      }
      found = true;
      name = stringValue(valueFrom, valueLength);
    }
    return name == null || name.isEmpty() ? OtlpAttributes.UNKNOWN_SERVICE : name;
  }

  /**
   * The AnyValue at {@code b[from, from + length)} when it is exactly one {@code string_value};
   * else unusual.
   */
  private String stringValue(int from, int length) throws IOException {
    if (from < 0) {
      throw Unusual.INSTANCE;
    }
    CodedInputStream any = CodedInputStream.newInstance(b, from, length);
    String value = null;
    while (!any.isAtEnd()) {
      if (any.readTag() != FIRST_LEN || value != null) {
        throw Unusual.INSTANCE;
      }
      value = any.readStringRequireUtf8();
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
}
