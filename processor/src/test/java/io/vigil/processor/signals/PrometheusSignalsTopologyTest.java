package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.Topics;
import io.vigil.model.otlp.OtlpAttributes;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.OtlpRequests;
import io.vigil.processor.ProcessorMetrics;
import io.vigil.processor.PromText;
import io.vigil.processor.SignalsDriver;
import io.vigil.processor.TopologyTests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prometheus-style request metrics through the whole signals topology, scraped as the collector
 * does ({@link PromText}: the first scrape of a counter stamped with its own time as start, a reset
 * stamped just before the scrape that saw it): each final window holds what Prometheus' {@code
 * increase()} and {@code histogram_quantile()} give over the scrapes, computed here from the
 * scraped values.
 */
class PrometheusSignalsTopologyTest {
  /** Aligned to the 10 s windows; the wall clock (and so the processor's state) starts here. */
  private static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");

  private static final String PROMETHEUS =
      PromText.resource("/fixtures/prometheus/prometheus-server-selfscrape-237mfs.prom.txt");
  private static final String MICROMETER =
      PromText.resource(
          "/fixtures/prometheus/micrometer-spring-boot-histogram.handwritten.prom.txt");
  private static final String GRPC =
      PromText.resource("/fixtures/prometheus/go-grpc-prometheus.handwritten.prom.txt");

  @TempDir Path stateDir;

  private final ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private SignalsDriver topology;

  @BeforeEach
  void startDriver() {
    topology =
        new SignalsDriver(
            SignalsDriver.config(stateDir),
            metrics,
            TopologyTests.dlqProducer(),
            c -> GoldenSignalsTopology.build(c, metrics, signal -> {}, T0),
            Topics.OTLP_METRICS,
            T0);
  }

  @AfterEach
  void closeDriver() {
    topology.close();
  }

  private static Instant t(double seconds) {
    return T0.plusMillis(Math.round(seconds * 1000));
  }

  /** A scrape target as the collector's scraper describes it. */
  private static Resource target(String job, String instance) {
    return OtlpRequests.resource(job, "monitoring", "c1").toBuilder()
        .addAttributes(OtlpAttributes.string("service.instance.id", instance))
        .build();
  }

  /** One scrape of {@code page} at {@code at}, its series started at {@code start}. */
  private static List<Metric> scrape(
      String page, Instant start, Instant at, PromText.Values values) {
    return PromText.metrics(page, OtlpRequests.nanos(start), OtlpRequests.nanos(at), values);
  }

  private void send(Resource resource, List<Metric> scrape, Instant at) {
    topology.clockTo(at);
    ExportMetricsServiceRequest request =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                ResourceMetrics.newBuilder()
                    .setResource(resource)
                    .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(scrape)))
            .build();
    topology.input.pipeInput(
        new TestRecord<>("k".getBytes(StandardCharsets.UTF_8), request.toByteArray(), at));
  }

  /** The final record of window [T0, T0 + 10 s) of {@code operation} (null: the service). */
  private GoldenSignal firstWindow(List<GoldenSignal> out, String operation) {
    return out.stream()
        .filter(s -> s.window().start().equals(T0))
        .filter(s -> operation == null ? s.operation() == null : operation.equals(s.operation()))
        .findFirst()
        .orElseThrow();
  }

  private static String label(List<KeyValue> attributes, String key) {
    return OtlpAttributes.get(attributes, key);
  }

  /**
   * Prometheus' {@code increase()} of counter {@code name} over {@code scrapes}, summed over its
   * series whose labels pass {@code which}: each step's rise, or the new value after a reset.
   */
  private static long increase(
      List<List<Metric>> scrapes, String name, Predicate<List<KeyValue>> which) {
    Map<List<KeyValue>, Double> last = new HashMap<>();
    double total = 0;
    for (List<Metric> scrape : scrapes) {
      for (NumberDataPoint dp : metric(scrape, name).getSum().getDataPointsList()) {
        if (!which.test(dp.getAttributesList())) {
          continue;
        }
        Double before = last.put(dp.getAttributesList(), dp.getAsDouble());
        if (before != null) {
          total += dp.getAsDouble() >= before ? dp.getAsDouble() - before : dp.getAsDouble();
        }
      }
    }
    return Math.round(total);
  }

  /**
   * The increase of every bucket of histogram {@code name} over {@code scrapes}, summed over its
   * series whose labels pass {@code which} (as {@code sum by (le) (increase(..._bucket))}), per
   * bucket (not cumulative); the bounds are the histogram's.
   */
  private static double[] bucketIncreases(
      List<List<Metric>> scrapes, String name, Predicate<List<KeyValue>> which) {
    Map<List<KeyValue>, List<Long>> last = new HashMap<>();
    double[] total = null;
    for (List<Metric> scrape : scrapes) {
      for (HistogramDataPoint dp : metric(scrape, name).getHistogram().getDataPointsList()) {
        if (!which.test(dp.getAttributesList())) {
          continue;
        }
        if (total == null) {
          total = new double[dp.getBucketCountsCount()];
        }
        List<Long> before = last.put(dp.getAttributesList(), dp.getBucketCountsList());
        if (before == null) {
          continue;
        }
        boolean reset = dp.getCount() < before.stream().mapToLong(Long::longValue).sum();
        for (int i = 0; i < total.length; i++) {
          total[i] += reset ? dp.getBucketCounts(i) : dp.getBucketCounts(i) - before.get(i);
        }
      }
    }
    return total;
  }

  private static double[] bounds(List<Metric> scrape, String name) {
    return metric(scrape, name).getHistogram().getDataPoints(0).getExplicitBoundsList().stream()
        .mapToDouble(Double::doubleValue)
        .toArray();
  }

  private static Metric metric(List<Metric> scrape, String name) {
    return scrape.stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
  }

  /**
   * Prometheus' {@code histogram_quantile} in milliseconds, of buckets with upper bounds {@code
   * boundsS} (seconds) and counts {@code counts} (the last one the +Inf bucket): the bucket where
   * the cumulative count reaches the rank, interpolated linearly from its lower bound (0 for the
   * first).
   */
  private static double histogramQuantile(double q, double[] boundsS, double[] counts) {
    double total = 0;
    for (double c : counts) {
      total += c;
    }
    double rank = q * total;
    double cumulative = 0;
    for (int i = 0; i < boundsS.length; i++) {
      double before = cumulative;
      cumulative += counts[i];
      if (cumulative >= rank && counts[i] > 0) {
        double lower = i == 0 ? 0 : boundsS[i - 1];
        return 1000 * (lower + (boundsS[i] - lower) * (rank - before) / counts[i]);
      }
    }
    return 1000 * boundsS[boundsS.length - 1];
  }

  /** Adds {@code rise} to the sample {@code name} of series {@code labelValue}, else nothing. */
  private static double rise(
      Map<String, String> labels, String key, String labelValue, double rise) {
    return labelValue.equals(labels.get(key)) ? rise : 0;
  }

  @Test
  void countsPrometheusRequestsFromItsCounterAndLatencyFromItsHistogramOnce() {
    Resource prometheus = target("prometheus", "10.0.0.5:9090");
    // In the 5 s between two scrapes: /api/v1/query answered 40 times 200 and 3 times 503,
    // /metrics 5 times; the histogram (no status) saw the same 48 requests.
    Map<String, Double> queryBuckets =
        Map.of("0.1", 30.0, "0.2", 38.0, "0.4", 41.0, "1", 43.0, "3", 43.0, "8", 43.0);
    PromText.Values later =
        (name, labels, value) -> {
          double rise = 0;
          if (name.equals("prometheus_http_requests_total")) {
            String handler = labels.get("handler");
            String code = labels.get("code");
            if (handler.equals("/api/v1/query")) {
              rise = code.equals("200") ? 40 : code.equals("503") ? 3 : 0;
            } else if (handler.equals("/metrics") && code.equals("200")) {
              rise = 5;
            }
          } else if (name.startsWith("prometheus_http_request_duration_seconds_")) {
            String le = labels.getOrDefault("le", "+Inf");
            if (name.endsWith("_sum")) {
              rise = 0;
            } else if (labels.get("handler").equals("/api/v1/query")) {
              rise = queryBuckets.getOrDefault(le, 43.0);
            } else {
              rise = rise(labels, "handler", "/metrics", 5);
            }
          }
          return value + rise;
        };
    List<Metric> first = scrape(PROMETHEUS, t(1), t(1), (n, l, v) -> v);
    List<Metric> second = scrape(PROMETHEUS, t(1), t(6), later);
    send(prometheus, first, t(1)); // the first scrape: everything before it is history
    send(prometheus, second, t(6));
    topology.clockTo(t(15));

    List<GoldenSignal> out = topology.signals.readValuesToList();
    List<List<Metric>> scrapes = List.of(first, second);
    String counter = "prometheus_http_requests_total";
    String histogram = "prometheus_http_request_duration_seconds";
    double[] bounds = bounds(first, histogram);

    GoldenSignal service = firstWindow(out, null);
    assertThat(service.traffic().requests())
        .isEqualTo(increase(scrapes, counter, a -> true))
        .isEqualTo(48);
    assertThat(service.errors().count())
        .isEqualTo(increase(scrapes, counter, a -> label(a, "code").startsWith("5")))
        .isEqualTo(3);
    double[] all = bucketIncreases(scrapes, histogram, a -> true);
    assertThat(service.latencyMs().p50())
        .isCloseTo(histogramQuantile(0.5, bounds, all), within(1e-9));
    assertThat(service.latencyMs().p99())
        .isCloseTo(histogramQuantile(0.99, bounds, all), within(1e-9));

    Predicate<List<KeyValue>> query = a -> label(a, "handler").equals("/api/v1/query");
    GoldenSignal operation = firstWindow(out, "/api/v1/query");
    assertThat(operation.traffic().requests()).isEqualTo(increase(scrapes, counter, query));
    assertThat(operation.errors().count()).isEqualTo(3);
    double[] ofQuery = bucketIncreases(scrapes, histogram, query);
    assertThat(operation.latencyMs().p50())
        .isCloseTo(histogramQuantile(0.5, bounds, ofQuery), within(1e-9));
    assertThat(operation.latencyMs().p99())
        .isCloseTo(histogramQuantile(0.99, bounds, ofQuery), within(1e-9));
    assertThat(operation.latencyMs().p99()).isGreaterThan(400).isLessThan(1000);
  }

  @Test
  void countsAMicrometerHistogramWithStatusAlone() {
    Resource orders = target("orders", "10.0.0.7:8080");
    // 6 s later: GET /api/orders/{id} answered 100 more (90 under 50 ms, 10 under 100 ms),
    // POST /api/orders failed 4 more times (all between 200 ms and 500 ms).
    PromText.Values later =
        (name, labels, value) -> {
          if (name.endsWith("_sum") || !name.startsWith("http_server_requests_seconds_")) {
            return value;
          }
          String le = labels.getOrDefault("le", "+Inf");
          if ("200".equals(labels.get("status"))) {
            return value + (le.equals("0.05") ? 90 : 100);
          }
          if ("500".equals(labels.get("status"))) {
            return value + (le.equals("0.5") || le.equals("1.0") || le.equals("+Inf") ? 4 : 0);
          }
          return value;
        };
    List<Metric> first = scrape(MICROMETER, t(1), t(1), (n, l, v) -> v);
    List<Metric> second = scrape(MICROMETER, t(1), t(7), later);
    send(orders, first, t(1));
    send(orders, second, t(7));
    topology.clockTo(t(15));

    List<List<Metric>> scrapes = List.of(first, second);
    String histogram = "http_server_requests_seconds";
    double[] all = bucketIncreases(scrapes, histogram, a -> true);
    double[] failed = bucketIncreases(scrapes, histogram, a -> label(a, "status").equals("500"));
    double[] bounds = bounds(first, histogram);
    GoldenSignal service = firstWindow(topology.signals.readValuesToList(), null);
    assertThat((double) service.traffic().requests())
        .isEqualTo(java.util.Arrays.stream(all).sum())
        .isEqualTo(104);
    assertThat((double) service.errors().count())
        .isEqualTo(java.util.Arrays.stream(failed).sum())
        .isEqualTo(4);
    assertThat(service.latencyMs().p50())
        .isCloseTo(histogramQuantile(0.5, bounds, all), within(1e-9));
    assertThat(service.latencyMs().p99())
        .isCloseTo(histogramQuantile(0.99, bounds, all), within(1e-9));
  }

  @Test
  void aRestartedServerCountsWhatItAnsweredSinceAndNothingTwice() {
    Resource routeGuide = target("routeguide", "10.0.0.9:50051");
    String counter = "grpc_server_handled_total";
    String histogram = "grpc_server_handling_seconds";
    // Every series 10 more after 3 s; then the server restarts: its counters begin again, each
    // at 2 (the histogram's buckets: 2 calls in the fastest bucket that has any).
    PromText.Values later = (name, labels, value) -> name.endsWith("_sum") ? value : value + 10;
    PromText.Values restarted =
        (name, labels, value) -> {
          if (name.endsWith("_sum")) {
            return 0.03;
          }
          if (name.equals(histogram + "_bucket")) {
            return Double.parseDouble(labels.get("le").replace("Inf", "Infinity")) >= 0.025 ? 2 : 0;
          }
          return 2;
        };
    List<Metric> first = scrape(GRPC, t(1), t(1), (n, l, v) -> v);
    List<Metric> second = scrape(GRPC, t(1), t(4), later);
    // The scraper saw the counters go down: a new start, just before this scrape.
    List<Metric> third = scrape(GRPC, t(7).minusNanos(1), t(7), restarted);
    send(routeGuide, first, t(1));
    send(routeGuide, second, t(4));
    send(routeGuide, third, t(7));
    topology.clockTo(t(15));

    List<List<Metric>> scrapes = List.of(first, second, third);
    GoldenSignal service = firstWindow(topology.signals.readValuesToList(), null);
    // 6 series: +10 each, then 2 each since the restart — not the 1,122 counted before it.
    assertThat(service.traffic().requests())
        .isEqualTo(increase(scrapes, counter, a -> true))
        .isEqualTo(6 * 10 + 6 * 2);
    assertThat(service.errors().count())
        .isEqualTo(
            increase(
                scrapes,
                counter,
                a ->
                    List.of("Internal", "Unavailable", "DeadlineExceeded")
                        .contains(label(a, "grpc_code"))))
        .isEqualTo(3 * 12);
    double[] bounds = bounds(first, histogram);
    double[] all = bucketIncreases(scrapes, histogram, a -> true);
    assertThat(service.latencyMs().p50())
        .isCloseTo(histogramQuantile(0.5, bounds, all), within(1e-9));
    assertThat(service.latencyMs().p99())
        .isCloseTo(histogramQuantile(0.99, bounds, all), within(1e-9));
  }

  @Test
  void skipsAnUnreadableSampleAndSendsARecordThatIsNotOtlpToTheDeadLetterTopic() {
    Resource prometheus = target("prometheus", "10.0.0.5:9090");
    PromText.Values later =
        (name, labels, value) -> {
          if (!name.equals("prometheus_http_requests_total") || !"200".equals(labels.get("code"))) {
            return value;
          }
          return switch (labels.get("handler")) {
            case "/api/v1/query" -> value + 10;
            case "/-/healthy" -> value + 0.5; // no whole number of requests
            default -> value;
          };
        };
    send(prometheus, scrape(PROMETHEUS, t(1), t(1), (n, l, v) -> v), t(1));
    topology.input.pipeInput(
        new TestRecord<>(
            "k".getBytes(StandardCharsets.UTF_8),
            "prometheus_http_requests_total 1".getBytes(StandardCharsets.UTF_8),
            t(2)));
    send(prometheus, scrape(PROMETHEUS, t(1), t(6), later), t(6));
    topology.clockTo(t(15));

    assertThat(metrics.dataPointsSkipped("invalid_count")).isEqualTo(1);
    assertThat(topology.dlq.readRecordsToList()).hasSize(1);
    GoldenSignal service = firstWindow(topology.signals.readValuesToList(), null);
    assertThat(service.traffic().requests()).isEqualTo(10);
    assertThat(service.errors().count()).isZero();
  }
}
