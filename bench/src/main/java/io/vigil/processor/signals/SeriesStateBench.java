package io.vigil.processor.signals;

import io.vigil.bench.BenchRequests;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Times what the signals step does with a series' cumulative state on every request of that series:
 * encode it for the store (and its changelog) and decode it again, in this one JVM, on one series
 * of {@code --streams} (default 100) streams of {@code --buckets} (default 15) buckets; {@code
 * --rounds} (default 5) of one second, the first left out as warm-up. Prints the bytes of one write
 * and µs per encode + decode, median and range.
 *
 * <p>In the processor's package because the state and its serde are package-private there.
 *
 * <pre>
 * ./mvnw -q -pl bench exec:java -Dbench.main=io.vigil.processor.signals.SeriesStateBench
 * </pre>
 */
public final class SeriesStateBench {
  private SeriesStateBench() {}

  public static void main(String[] argv) {
    Map<String, String> args = BenchRequests.args(argv);
    int streams = Integer.parseInt(args.getOrDefault("streams", "100"));
    int buckets = Integer.parseInt(args.getOrDefault("buckets", "15"));
    int rounds = Integer.parseInt(args.getOrDefault("rounds", "5"));
    double[] bounds = new double[buckets - 1];
    for (int i = 0; i < bounds.length; i++) {
      bounds[i] = 5.0 * (i + 1);
    }
    long start = 1_733_300_000_000_000_000L;
    SeriesState state = new SeriesState();
    for (int i = 0; i < streams; i++) {
      long[] counts = new long[buckets];
      Arrays.fill(counts, 1000 + i);
      state.put(
          OtlpMetricsDecoder.hash("route" + i),
          start,
          new StreamState(start, start + 60_000_000_000L, 1000L * buckets, bounds.clone(), counts));
    }
    Serializer<SeriesState> encoder = BinarySerdes.seriesState().serializer();
    Deserializer<SeriesState> decoder = BinarySerdes.seriesState().deserializer();
    int bytes = encoder.serialize("bench", state).length;

    double[] micros = new double[rounds];
    long sink = 0;
    for (int r = 0; r < rounds; r++) {
      long began = System.nanoTime();
      long end = began + TimeUnit.SECONDS.toNanos(1);
      long n = 0;
      long now;
      do {
        sink += decoder.deserialize("bench", encoder.serialize("bench", state)).isEmpty() ? 0 : 1;
        n++;
        now = System.nanoTime();
      } while (now < end);
      micros[r] = (now - began) / 1_000.0 / n;
    }
    System.out.printf(
        "{\"streams\": %d, \"buckets\": %d, \"bytes_per_write\": %d, \"decoded\": %d,%n"
            + " \"encode_decode_us\": %s}%n",
        streams,
        buckets,
        bytes,
        sink,
        BenchRequests.summary(Arrays.copyOfRange(micros, 1, rounds)));
  }
}
