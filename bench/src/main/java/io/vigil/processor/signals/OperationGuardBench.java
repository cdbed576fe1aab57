package io.vigil.processor.signals;

import io.vigil.bench.BenchRequests;
import io.vigil.model.kafka.JsonSerde;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;

/**
 * Times the cardinality guard's work of one minute on the stream thread, for {@code --services}
 * (default 10,000) services of {@code --operations} (default 50) operations each, as it was and as
 * it is ({@link OperationGuard}): the eviction that decoded every entry of the store (JSON) against
 * one that walks the entries kept on the heap, and the refresh that wrote a service's entry once
 * per operation against once per request. The store's own work (bytes into its map, the changelog
 * record) comes on top of the encodes in both. {@code --rounds} (default 6), the first left out as
 * warm-up; prints ms per minute, median and range.
 *
 * <p>In the processor's package because the guard's entry ({@link OperationGuard.Known}) is
 * package-private there.
 *
 * <pre>
 * ./mvnw -q -pl bench exec:java -Dbench.main=io.vigil.processor.signals.OperationGuardBench
 * </pre>
 */
public final class OperationGuardBench {
  private OperationGuardBench() {}

  public static void main(String[] argv) {
    Map<String, String> args = BenchRequests.args(argv);
    int services = Integer.parseInt(args.getOrDefault("services", "10000"));
    int operations = Integer.parseInt(args.getOrDefault("operations", "50"));
    int rounds = Integer.parseInt(args.getOrDefault("rounds", "6"));
    Serde<OperationGuard.Known> json = JsonSerde.of(OperationGuard.Known.class);
    long now = 1_800_000_000_000L;
    Map<String, Map<String, Long>> heap = new HashMap<>();
    List<byte[]> stored = new ArrayList<>();
    for (int s = 0; s < services; s++) {
      Map<String, Long> seen = new HashMap<>();
      for (int o = 0; o < operations; o++) {
        seen.put("GET /service" + s + "/route" + o, now);
      }
      heap.put("c1/shop/service" + s + "/", seen);
      stored.add(json.serializer().serialize("t", new OperationGuard.Known(seen)));
    }
    long before = now - 1; // nothing is stale: the common minute

    double[][] ms = new double[4][rounds];
    long sink = 0;
    for (int r = 0; r < rounds; r++) {
      long t = System.nanoTime();
      for (byte[] entry : stored) {
        Map<String, Long> kept =
            new HashMap<>(json.deserializer().deserialize("t", entry).lastSeen());
        sink += kept.values().removeIf(seen -> seen < before) ? 1 : 0;
      }
      ms[0][r] = (System.nanoTime() - t) / 1e6;

      t = System.nanoTime();
      for (Map<String, Long> seen : heap.values()) {
        sink += seen.values().removeIf(v -> v < before) ? 1 : 0;
      }
      ms[1][r] = (System.nanoTime() - t) / 1e6;

      t = System.nanoTime();
      for (Map<String, Long> seen : heap.values()) {
        for (int o = 0; o < operations; o++) {
          sink += json.serializer().serialize("t", new OperationGuard.Known(seen)).length;
        }
      }
      ms[2][r] = (System.nanoTime() - t) / 1e6;

      t = System.nanoTime();
      for (Map<String, Long> seen : heap.values()) {
        sink += json.serializer().serialize("t", new OperationGuard.Known(seen)).length;
      }
      ms[3][r] = (System.nanoTime() - t) / 1e6;
    }
    String[] names = {
      "evict_decoding_the_store_ms", "evict_on_the_heap_ms",
      "refresh_one_write_per_operation_ms", "refresh_one_write_per_request_ms"
    };
    StringBuilder out = new StringBuilder("{\n");
    out.append(
        String.format("  \"services\" : %d,%n  \"operations\" : %d,%n", services, operations));
    for (int i = 0; i < names.length; i++) {
      double[] measured = Arrays.copyOfRange(ms[i], 1, rounds);
      Arrays.sort(measured);
      out.append(
          String.format(
              "  \"%s\" : \"%.1f [%.1f - %.1f]\",%n",
              names[i], measured[measured.length / 2], measured[0], measured[measured.length - 1]));
    }
    out.append(String.format("  \"sink\" : %d%n}", sink % 10));
    System.out.println(out);
  }
}
