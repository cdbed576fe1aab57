package io.vigil.alerting.rules;

import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Where rules keep what they learn from their series' history ({@link Learned} entries by key): a
 * Kafka Streams store backed by a changelog in the service, a map in tests and {@code vigil rules
 * test}. Keys start with the rule's state key ({@link AlertEvaluator#key}), so the entries of one
 * (rule, series) share a prefix.
 */
public interface Memory {
  /** Fails on use: for evaluations whose rules learn nothing. */
  Memory NONE = of(key -> unused(), (key, value) -> unused(), key -> unused(), prefix -> unused());

  /** The entry under {@code key}, or null. */
  Learned get(String key);

  /** Stores {@code value} under {@code key}. */
  void put(String key, Learned value);

  /** Removes the entry under {@code key}. */
  void delete(String key);

  /** The entries whose key starts with {@code prefix}, in no particular order. */
  List<Map.Entry<String, Learned>> withPrefix(String prefix);

  /** A memory kept by four functions, e.g. a store's {@code get}, {@code put}, … */
  static Memory of(
      Function<String, Learned> get,
      BiConsumer<String, Learned> put,
      Consumer<String> delete,
      Function<String, List<Map.Entry<String, Learned>>> withPrefix) {
    return new Memory() {
      @Override
      public Learned get(String key) {
        return get.apply(key);
      }

      @Override
      public void put(String key, Learned value) {
        put.accept(key, value);
      }

      @Override
      public void delete(String key) {
        delete.accept(key);
      }

      @Override
      public List<Map.Entry<String, Learned>> withPrefix(String prefix) {
        return withPrefix.apply(prefix);
      }
    };
  }

  /** A memory in {@code map}. */
  static Memory of(NavigableMap<String, Learned> map) {
    return of(
        map::get,
        map::put,
        map::remove,
        prefix ->
            List.copyOf(map.subMap(prefix, true, prefix + Character.MAX_VALUE, false).entrySet()));
  }

  private static <T> T unused() {
    throw new IllegalStateException("a rule learns from history: evaluate it with a Memory");
  }
}
