package io.vigil.bench;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.otlp.OtlpAttributes;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/** What the harnesses share: their arguments and the OTLP request shapes they send. */
public final class BenchRequests {
  private static final List<Double> BOUNDS = List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0);

  private BenchRequests() {}

  /**
   * The collector harnesses' request: service {@code bench}, {@code points} cumulative histogram
   * points (started a minute ago) of 3 requests per bucket, every tenth a 500.
   */
  public static ExportMetricsServiceRequest histograms(int points) {
    long now = System.currentTimeMillis() * 1_000_000L;
    return durations(
        Resource.newBuilder().addAttributes(attr("service.name", "bench")),
        points(
            AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
            now - 60_000_000_000L,
            now,
            3,
            points,
            p -> p % 10 == 0));
  }

  /**
   * {@code points} histogram points over {@code [startNanos, timeNanos]} of 9 buckets holding
   * {@code perBucket} requests each, point {@code p} with {@code http.route} {@code /r<p>} and
   * status 500 where {@code error} holds for {@code p}, else 200.
   */
  static Histogram.Builder points(
      AggregationTemporality temporality,
      long startNanos,
      long timeNanos,
      long perBucket,
      int points,
      IntPredicate error) {
    Histogram.Builder histogram = Histogram.newBuilder().setAggregationTemporality(temporality);
    for (int p = 0; p < points; p++) {
      long[] counts = new long[BOUNDS.size() + 1];
      Arrays.fill(counts, perBucket);
      histogram.addDataPoints(
          HistogramDataPoint.newBuilder()
              .setStartTimeUnixNano(startNanos)
              .setTimeUnixNano(timeNanos)
              .setCount(counts.length * perBucket)
              .setSum(1.0)
              .addAllExplicitBounds(BOUNDS)
              .addAllBucketCounts(Arrays.stream(counts).boxed().toList())
              .addAttributes(attr("http.route", "/r" + p))
              .addAttributes(status(error.test(p) ? 500 : 200)));
    }
    return histogram;
  }

  /**
   * One request of {@code resource} with {@code histogram} as {@code http.server.request.duration}
   * in s.
   */
  static ExportMetricsServiceRequest durations(
      Resource.Builder resource, Histogram.Builder histogram) {
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .setResource(resource)
                .addScopeMetrics(
                    ScopeMetrics.newBuilder()
                        .addMetrics(
                            Metric.newBuilder()
                                .setName("http.server.request.duration")
                                .setUnit("s")
                                .setHistogram(histogram))))
        .build();
  }

  /** {@code --name value} pairs of a harness's command line, by name. */
  public static java.util.Map<String, String> args(String[] argv) {
    java.util.Map<String, String> args = new java.util.HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    }
    return args;
  }

  /**
   * A service's {@code kafka:} section for {@code bootstrap}, with Kafka Streams settings from
   * {@code overrides} ({@code k=v,k=v}; null for none).
   */
  static String kafkaYaml(String bootstrap, String overrides) {
    java.util.List<String> streams = new java.util.ArrayList<>();
    pairs(overrides).forEach((k, v) -> streams.add("%s: '%s'".formatted(k, v)));
    return streams.isEmpty()
        ? "kafka: {bootstrap_servers: '%s'}\n".formatted(bootstrap)
        : "kafka: {bootstrap_servers: '%s', streams: {%s}}\n"
            .formatted(bootstrap, String.join(", ", streams));
  }

  /** The settings {@code k=v,k=v} (null: none), in their order. */
  static java.util.Map<String, String> pairs(String settings) {
    java.util.Map<String, String> pairs = new java.util.LinkedHashMap<>();
    if (settings != null) {
      for (String pair : settings.split(",")) {
        String[] kv = pair.split("=", 2);
        pairs.put(kv[0].strip(), kv[1].strip());
      }
    }
    return pairs;
  }

  /**
   * Records, for each trial in {@code startedAt} (name → epoch ms) that {@code post} names, the ms
   * from its start to the post, unless an earlier post already did.
   */
  static void recordLatency(
      io.vigil.embedded.slack.SlackPost post,
      java.util.Map<String, Long> startedAt,
      java.util.Map<String, Long> latencies) {
    for (java.util.Map.Entry<String, Long> trial : startedAt.entrySet()) {
      if (post.body().contains(trial.getKey())) {
        latencies.putIfAbsent(trial.getKey(), post.receivedAt().toEpochMilli() - trial.getValue());
      }
    }
  }

  /** {@code {"median": m, "min": a, "max": b}} of {@code values}, to one decimal. */
  public static String summary(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double median =
        sorted.length % 2 == 1
            ? sorted[sorted.length / 2]
            : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    return String.format(
        "{\"median\": %.1f, \"min\": %.1f, \"max\": %.1f}",
        median, sorted[0], sorted[sorted.length - 1]);
  }

  /** The {@code q} quantile of {@code sorted} (nearest rank: the ⌈q·n⌉-th value). */
  static long percentile(long[] sorted, double q) {
    int index = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  /** A string attribute. */
  static KeyValue attr(String key, String value) {
    return OtlpAttributes.string(key, value);
  }

  /** {@code http.response.status_code}. */
  static KeyValue status(int code) {
    return OtlpAttributes.integer("http.response.status_code", code);
  }
}
