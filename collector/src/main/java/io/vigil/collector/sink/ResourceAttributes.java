package io.vigil.collector.sink;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.Topics;
import io.vigil.model.otlp.OtlpAttributes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Attributes every resource of an OTLP export request is to carry — the collector's {@code
 * resource} setting ({@code k8s.cluster.name}, {@code k8s.node.name}, {@code
 * deployment.environment}), or the identity of each resource's pod ({@link #perResource}) — added
 * where a resource does not have them yet: what the sender set stays, as with the OpenTelemetry
 * Collector's resource processor's {@code insert}.
 *
 * <p>Works on the request's wire format, without parsing it into objects: each {@code
 * resource_metrics} / {@code resource_logs} / {@code resource_spans} entry that misses some of the
 * attributes gets a second {@code resource} field holding just those, which every protobuf parser
 * merges into the first (a message field given twice is merged, its repeated {@code attributes}
 * appended). The three requests and their resource entries share these field numbers. Pure.
 */
public final class ResourceAttributes {
  private static final int ENTRY = (1 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int RESOURCE = ENTRY; // field 1 of the entry
  private static final int ATTRIBUTE = ENTRY; // field 1 of Resource
  private static final int KEY = ENTRY; // field 1 of KeyValue

  private static final Set<String> OTLP =
      Set.of(Topics.OTLP_METRICS, Topics.OTLP_LOGS, Topics.OTLP_SPANS);

  private static final int VALUE = (2 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED; // of KeyValue
  private static final int STRING_VALUE = ENTRY; // field 1 of AnyValue

  /** The attributes for all resources, or null when each resource's are looked up. */
  private final List<KeyValue> attributes;

  /** Attributes whose string values a per-resource lookup is given. */
  private final Set<String> identifying;

  private final Function<Map<String, String>, Map<String, String>> lookup;

  /** {@code attributes}: key → value, in the order they are to be added. */
  public ResourceAttributes(Map<String, String> attributes) {
    this.attributes = keyValues(attributes);
    this.identifying = Set.of();
    this.lookup = null;
  }

  private ResourceAttributes(
      Set<String> identifying, Function<Map<String, String>, Map<String, String>> lookup) {
    this.attributes = null;
    this.identifying = identifying;
    this.lookup = lookup;
  }

  /**
   * Attributes looked up for each resource by {@code lookup}, given the string values of those of
   * its attributes named in {@code identifying} that it has (e.g. {@code k8s.pod.uid} → the pod's
   * identity).
   */
  public static ResourceAttributes perResource(
      Set<String> identifying, Function<Map<String, String>, Map<String, String>> lookup) {
    return new ResourceAttributes(Set.copyOf(identifying), lookup);
  }

  private static List<KeyValue> keyValues(Map<String, String> attributes) {
    List<KeyValue> list = new ArrayList<>(attributes.size());
    attributes.forEach((k, v) -> list.add(OtlpAttributes.string(k, v)));
    return list;
  }

  /** Whether there is nothing to add. */
  boolean isEmpty() {
    return attributes != null && attributes.isEmpty();
  }

  /** {@code records} with the attributes added to those on OTLP topics; others as they are. */
  public List<SinkRecord> addTo(List<SinkRecord> records) {
    List<SinkRecord> out = new ArrayList<>(records.size());
    for (SinkRecord r : records) {
      out.add(OTLP.contains(r.topic()) ? new SinkRecord(r.topic(), r.key(), addTo(r.value())) : r);
    }
    return out;
  }

  /**
   * {@code request} (a protobuf {@code Export*ServiceRequest}) with the attributes its resources
   * miss; {@code request} itself when none misses any, or when it cannot be read (it is stored as
   * it came rather than lost).
   */
  byte[] addTo(byte[] request) {
    try {
      return add(request);
    } catch (IOException e) {
      return request;
    }
  }

  private byte[] add(byte[] request) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(request);
    ByteArrayOutputStream bytes = null;
    CodedOutputStream out = null;
    int copiedTo = 0;
    while (!in.isAtEnd()) {
      int start = in.getTotalBytesRead();
      int tag = in.readTag();
      if (tag != ENTRY) {
        in.skipField(tag);
        continue;
      }
      int length = in.readRawVarint32();
      int from = in.getTotalBytesRead();
      in.skipRawBytes(length);
      List<KeyValue> missing = missing(request, from, length);
      if (missing.isEmpty()) {
        continue;
      }
      if (out == null) {
        bytes = new ByteArrayOutputStream(request.length + 256);
        out = CodedOutputStream.newInstance(bytes);
      }
      Resource extra = Resource.newBuilder().addAllAttributes(missing).build();
      int extraField = CodedOutputStream.computeMessageSize(1, extra);
      out.writeRawBytes(request, copiedTo, start - copiedTo); // what came before, unchanged
      out.writeTag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      out.writeUInt32NoTag(length + extraField);
      out.writeRawBytes(request, from, length);
      out.writeMessage(1, extra);
      copiedTo = from + length;
    }
    if (out == null) {
      return request;
    }
    out.writeRawBytes(request, copiedTo, request.length - copiedTo);
    out.flush();
    return bytes.toByteArray();
  }

  /** The attributes the resource entry at {@code b[from, from + length)} does not have. */
  private List<KeyValue> missing(byte[] b, int from, int length) throws IOException {
    Set<String> present = new HashSet<>();
    Map<String, String> values = identifying.isEmpty() ? Map.of() : new HashMap<>(4);
    CodedInputStream entry = CodedInputStream.newInstance(b, from, length);
    while (!entry.isAtEnd()) {
      int tag = entry.readTag();
      if (tag != RESOURCE) {
        entry.skipField(tag);
        continue;
      }
      int resourceLength = entry.readRawVarint32();
      int limit = entry.pushLimit(resourceLength);
      while (!entry.isAtEnd()) {
        int resourceTag = entry.readTag();
        if (resourceTag != ATTRIBUTE) {
          entry.skipField(resourceTag);
          continue;
        }
        int attributeLength = entry.readRawVarint32();
        int attributeLimit = entry.pushLimit(attributeLength);
        String key = null;
        String value = null;
        while (!entry.isAtEnd()) {
          int attributeTag = entry.readTag();
          if (attributeTag == KEY) {
            key = entry.readStringRequireUtf8();
          } else if (attributeTag == VALUE && !identifying.isEmpty()) {
            value = stringValue(entry);
          } else {
            entry.skipField(attributeTag);
          }
        }
        entry.popLimit(attributeLimit);
        if (key != null) {
          present.add(key);
          if (value != null && identifying.contains(key)) {
            values.put(key, value);
          }
        }
      }
      entry.popLimit(limit);
    }
    List<KeyValue> missing = new ArrayList<>();
    List<KeyValue> wanted = attributes != null ? attributes : keyValues(lookup.apply(values));
    for (KeyValue attribute : wanted) {
      if (!present.contains(attribute.getKey())) {
        missing.add(attribute);
      }
    }
    return missing;
  }

  /** The string held by the {@code AnyValue} at {@code in}'s position; null for another kind. */
  private static String stringValue(CodedInputStream in) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    String value = null;
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      if (tag == STRING_VALUE) {
        value = in.readStringRequireUtf8();
      } else {
        in.skipField(tag);
      }
    }
    in.popLimit(limit);
    return value;
  }
}
