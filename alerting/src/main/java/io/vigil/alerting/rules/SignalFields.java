package io.vigil.alerting.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.signal.GoldenSignal;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The numeric fields of a {@link GoldenSignal} as rules address them: their JSON paths, e.g. {@code
 * errors.ratio}, {@code latency_ms.p99}. Discovered from the record's components and their {@link
 * JsonProperty} names, so a field added to the record is addressable without touching this class.
 */
final class SignalFields {
  private static final Map<String, List<Method>> NUMERIC = discover();

  private SignalFields() {}

  /** The numeric fields' paths. */
  static Set<String> names() {
    return NUMERIC.keySet();
  }

  /**
   * Every numeric field present in {@code signal}, by path; a field is absent when a section on the
   * way (e.g. {@code latency_ms}) or the value itself is null.
   */
  static Map<String, Double> values(GoldenSignal signal) {
    Map<String, Double> values = new HashMap<>();
    NUMERIC.forEach(
        (path, chain) -> {
          Object current = signal;
          try {
            for (Method accessor : chain) {
              current = accessor.invoke(current);
              if (current == null) {
                return;
              }
            }
          } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + path, e);
          }
          values.put(path, ((Number) current).doubleValue());
        });
    return values;
  }

  private static Map<String, List<Method>> discover() {
    Map<String, List<Method>> found = new TreeMap<>();
    walk(GoldenSignal.class, "", new ArrayList<>(), found);
    return Collections.unmodifiableMap(found);
  }

  private static void walk(
      Class<?> type, String prefix, List<Method> chain, Map<String, List<Method>> found) {
    for (RecordComponent component : type.getRecordComponents()) {
      JsonProperty property = component.getAccessor().getAnnotation(JsonProperty.class);
      if (property == null) {
        property = component.getAnnotation(JsonProperty.class);
      }
      String name = property != null ? property.value() : component.getName();
      Class<?> fieldType = component.getType();
      List<Method> next = new ArrayList<>(chain);
      next.add(component.getAccessor());
      if (isNumber(fieldType)) {
        found.put(prefix + name, List.copyOf(next));
      } else if (fieldType.isRecord()) {
        walk(fieldType, prefix + name + ".", next, found);
      }
    }
  }

  private static boolean isNumber(Class<?> type) {
    return type == double.class
        || type == long.class
        || type == int.class
        || type == float.class
        || Number.class.isAssignableFrom(type);
  }
}
