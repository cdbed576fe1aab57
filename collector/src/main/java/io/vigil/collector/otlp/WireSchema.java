package io.vigil.collector.otlp;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The OTLP export requests' message types as {@link WireScan} walks them, built once from their
 * protobuf descriptors: per type, its fields by number with their wire type, whether they repeat or
 * belong to a oneof, their message type, and the role a few of them play for the collector (a
 * resource entry, a resource, a counted item, a time checked against the clock-skew limit, a trace
 * or span id).
 */
final class WireSchema {
  static final int VARINT = 0;
  static final int I64 = 1;
  static final int LEN = 2;
  static final int I32 = 5;

  /** What a field is to the collector, beyond its place in the schema. */
  enum Role {
    NONE,
    RESOURCE_ENTRY,
    RESOURCE,
    ITEM,
    TIME,
    TRACE_ID,
    SPAN_ID
  }

  /** One field of a message type, as the scan treats it. */
  static final class Field {
    int wireType;
    boolean string;
    boolean repeated;
    int oneof = -1;
    Role role = Role.NONE;
    Plan child;
  }

  /** A message type: its fields by number. */
  static final class Plan {
    Field[] byNumber;
  }

  private static final Set<String> ITEMS =
      Set.of(
          "opentelemetry.proto.metrics.v1.Gauge.data_points",
          "opentelemetry.proto.metrics.v1.Sum.data_points",
          "opentelemetry.proto.metrics.v1.Histogram.data_points",
          "opentelemetry.proto.metrics.v1.ExponentialHistogram.data_points",
          "opentelemetry.proto.metrics.v1.Summary.data_points",
          "opentelemetry.proto.logs.v1.ScopeLogs.log_records",
          "opentelemetry.proto.trace.v1.ScopeSpans.spans");
  private static final Set<String> TIMES =
      Set.of(
          "opentelemetry.proto.metrics.v1.NumberDataPoint.time_unix_nano",
          "opentelemetry.proto.metrics.v1.HistogramDataPoint.time_unix_nano",
          "opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.time_unix_nano",
          "opentelemetry.proto.metrics.v1.SummaryDataPoint.time_unix_nano",
          "opentelemetry.proto.logs.v1.LogRecord.time_unix_nano",
          "opentelemetry.proto.trace.v1.Span.end_time_unix_nano");

  private static final Map<OtlpSignal, Plan> PLANS = new HashMap<>();

  static {
    Map<Descriptor, Plan> built = new HashMap<>();
    for (OtlpSignal signal : OtlpSignal.values()) {
      PLANS.put(signal, plan(signal.newRequestBuilder().getDescriptorForType(), built));
    }
    long items = 0;
    long times = 0;
    for (Plan p : built.values()) {
      for (Field f : p.byNumber) {
        items += f != null && f.role == Role.ITEM ? 1 : 0;
        times += f != null && f.role == Role.TIME ? 1 : 0;
      }
    }
    if (items != ITEMS.size() || times != TIMES.size()) {
      throw new IllegalStateException("the OTLP schema no longer has the fields WireScan reads");
    }
  }

  private WireSchema() {}

  /** The layout of {@code signal}'s export request. */
  static Plan of(OtlpSignal signal) {
    return PLANS.get(signal);
  }

  private static Plan plan(Descriptor type, Map<Descriptor, Plan> built) {
    Plan plan = built.get(type);
    if (plan != null) {
      return plan;
    }
    plan = new Plan();
    built.put(type, plan);
    int max = 0;
    for (FieldDescriptor f : type.getFields()) {
      max = Math.max(max, f.getNumber());
    }
    plan.byNumber = new Field[max + 1];
    for (FieldDescriptor f : type.getFields()) {
      Field field = new Field();
      field.repeated = f.isRepeated();
      field.oneof = f.getRealContainingOneof() == null ? -1 : f.getRealContainingOneof().getIndex();
      field.wireType =
          switch (f.getType()) {
            case DOUBLE, FIXED64, SFIXED64 -> I64;
            case FLOAT, FIXED32, SFIXED32 -> I32;
            case INT32, INT64, UINT32, UINT64, SINT32, SINT64, BOOL, ENUM -> VARINT;
            case STRING, BYTES, MESSAGE -> LEN;
            case GROUP -> -1; // not in OTLP; met, it is unusual
          };
      field.string = f.getType() == FieldDescriptor.Type.STRING;
      if (f.getType() == FieldDescriptor.Type.MESSAGE) {
        field.child = plan(f.getMessageType(), built);
      }
      field.role = role(f);
      plan.byNumber[f.getNumber()] = field;
    }
    return plan;
  }

  private static Role role(FieldDescriptor f) {
    String name = f.getFullName();
    if (f.getContainingType().getName().startsWith("Export")
        && f.getContainingType().getName().endsWith("ServiceRequest")
        && f.getNumber() == 1) {
      return Role.RESOURCE_ENTRY;
    }
    if (f.getName().equals("resource")
        && f.getContainingType().getName().startsWith("Resource")
        && f.getMessageType().getFullName().equals("opentelemetry.proto.resource.v1.Resource")) {
      return Role.RESOURCE;
    }
    if (ITEMS.contains(name)) {
      return Role.ITEM;
    }
    if (TIMES.contains(name)) {
      return Role.TIME;
    }
    if (f.getType() == FieldDescriptor.Type.BYTES) {
      if (f.getName().equals("trace_id")) {
        return Role.TRACE_ID;
      }
      if (f.getName().equals("span_id") || f.getName().equals("parent_span_id")) {
        return Role.SPAN_ID;
      }
    }
    return Role.NONE;
  }
}
