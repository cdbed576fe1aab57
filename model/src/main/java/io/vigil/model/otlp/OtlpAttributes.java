package io.vigil.model.otlp;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.List;

/** Reads and writes OTLP attribute lists the way the semantic conventions use them. */
public final class OtlpAttributes {
  /** Resource attribute naming the service. */
  public static final String SERVICE_NAME = "service.name";

  /** Resource attribute naming the service's namespace when not on Kubernetes. */
  public static final String SERVICE_NAMESPACE = "service.namespace";

  /** Resource attribute naming the Kubernetes namespace. */
  public static final String K8S_NAMESPACE = "k8s.namespace.name";

  /** Resource attribute naming the Kubernetes cluster. */
  public static final String K8S_CLUSTER = "k8s.cluster.name";

  /** The SDK's fallback when a service sets no name. */
  public static final String UNKNOWN_SERVICE = "unknown_service";

  private OtlpAttributes() {}

  /** A string attribute. */
  public static KeyValue string(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  /** An integer attribute. */
  public static KeyValue integer(String key, long value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setIntValue(value))
        .build();
  }

  /** The attribute's value as a string, or null if absent. */
  public static String get(List<KeyValue> attributes, String key) {
    for (KeyValue kv : attributes) {
      if (kv.getKey().equals(key)) {
        return asString(kv.getValue());
      }
    }
    return null;
  }

  /** {@code service.name} of the resource, or {@value #UNKNOWN_SERVICE} as the SDKs do. */
  public static String serviceName(Resource resource) {
    String name = get(resource.getAttributesList(), SERVICE_NAME);
    return name == null || name.isEmpty() ? UNKNOWN_SERVICE : name;
  }

  /** The namespace: {@code k8s.namespace.name}, else {@code service.namespace}, else null. */
  public static String namespace(Resource resource) {
    String ns = get(resource.getAttributesList(), K8S_NAMESPACE);
    return ns != null ? ns : get(resource.getAttributesList(), SERVICE_NAMESPACE);
  }

  /** A scalar attribute value as text; arrays and maps in their proto text form. */
  public static String asString(AnyValue value) {
    return switch (value.getValueCase()) {
      case STRING_VALUE -> value.getStringValue();
      case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
      case INT_VALUE -> Long.toString(value.getIntValue());
      case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
      case BYTES_VALUE -> java.util.HexFormat.of().formatHex(value.getBytesValue().toByteArray());
      case VALUE_NOT_SET -> null;
      default -> value.toString().strip();
    };
  }

  /** An attribute's value as a long if it is an int or a numeric string, else null. */
  public static Long getLong(List<KeyValue> attributes, String key) {
    for (KeyValue kv : attributes) {
      if (kv.getKey().equals(key)) {
        AnyValue v = kv.getValue();
        if (v.getValueCase() == AnyValue.ValueCase.INT_VALUE) {
          return v.getIntValue();
        }
        if (v.getValueCase() == AnyValue.ValueCase.STRING_VALUE) {
          try {
            return Long.parseLong(v.getStringValue().trim());
          } catch (NumberFormatException e) {
            return null;
          }
        }
        if (v.getValueCase() == AnyValue.ValueCase.DOUBLE_VALUE) {
          return (long) v.getDoubleValue();
        }
        return null;
      }
    }
    return null;
  }
}
