package io.vigil.collector.otlp;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.bench.BenchRequests;
import io.vigil.collector.ingress.IngressService;
import io.vigil.collector.ingress.ReceiverMetrics;
import io.vigil.collector.ingress.Rejection;
import io.vigil.collector.otlp.RequestDecoder.Encoding;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Times the step that turns a protobuf OTLP request into the batch a receiver stores, both ways:
 * the full parse ({@code RequestDecoder.decode} + {@code FutureTimes.batch}) and the wire-format
 * scan ({@code WireScan.batch}), on the collector harnesses' request, in this one JVM. Rounds of
 * {@code --seconds} per way, alternating; the first round of each warms up and is left out.
 *
 * <p>In the collector's package because both ways are package-private there.
 *
 * <pre>
 * ./mvnw -q -pl bench exec:java -Dbench.main=io.vigil.collector.otlp.ScanStepBench \
 *   -Dexec.args="--points 100 --rounds 6 --seconds 1"
 * </pre>
 */
public final class ScanStepBench {
  private static final long SKEW_NANOS = TimeUnit.MINUTES.toNanos(5);

  private ScanStepBench() {}

  /** A way through the step; returns the number of records stored, so nothing is optimised out. */
  private interface Step {
    int run(byte[] body) throws Rejection;
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchRequests.args(argv);
    int points = Integer.parseInt(args.getOrDefault("points", "100"));
    int rounds = Integer.parseInt(args.getOrDefault("rounds", "6"));
    long roundNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(args.getOrDefault("seconds", "1")));
    byte[] body = BenchRequests.histograms(points).toByteArray();
    ReceiverMetrics metrics =
        new ReceiverMetrics(new PrometheusRegistry(), List.of("metrics", "logs", "traces"));
    OtlpSignal signal = OtlpSignal.METRICS;

    Step full =
        b -> {
          IngressService.Batch batch =
              FutureTimes.batch(
                  signal,
                  RequestDecoder.decode(signal, Encoding.PROTOBUF, b),
                  b,
                  SKEW_NANOS,
                  metrics,
                  Encoding.PROTOBUF);
          return batch.records().size();
        };
    Step scan =
        b -> {
          IngressService.Batch batch =
              WireScan.batch(signal, b, System.currentTimeMillis() * 1_000_000L, SKEW_NANOS);
          if (batch == null) {
            throw new IllegalStateException("the bench request is not plain: the scan declined it");
          }
          return batch.records().size();
        };

    double[] fullMicros = new double[rounds];
    double[] scanMicros = new double[rounds];
    long sink = 0;
    for (int r = 0; r < rounds; r++) {
      long[] stored = new long[1];
      fullMicros[r] = microsPerRequest(full, body, roundNanos, stored);
      scanMicros[r] = microsPerRequest(scan, body, roundNanos, stored);
      sink += stored[0];
    }
    System.out.printf(
        "{\"points\": %d, \"request_bytes\": %d, \"rounds_counted\": %d, \"records_stored\": %d,%n"
            + " \"full_parse_us\": %s,%n \"wire_scan_us\": %s}%n",
        points,
        body.length,
        rounds - 1,
        sink,
        BenchRequests.summary(Arrays.copyOfRange(fullMicros, 1, rounds)),
        BenchRequests.summary(Arrays.copyOfRange(scanMicros, 1, rounds)));
  }

  private static double microsPerRequest(Step step, byte[] body, long roundNanos, long[] stored)
      throws Rejection {
    long start = System.nanoTime();
    long end = start + roundNanos;
    long requests = 0;
    long now;
    do {
      stored[0] += step.run(body);
      requests++;
      now = System.nanoTime();
    } while (now < end);
    return (now - start) / 1_000.0 / requests;
  }
}
