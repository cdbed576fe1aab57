package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.processor.OtlpRequests;
import io.vigil.processor.PromText;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Prometheus-style request metrics as the collector's scraper sends them ({@link PromText}): the
 * real Prometheus self-scrape pages and hand-written Micrometer and go-grpc-prometheus pages.
 */
class PrometheusRequestDecoderTest {
  private static final Instant T = Instant.parse("2025-03-01T12:00:00Z");
  private static final long TIME = OtlpRequests.nanos(T);
  private static final long START = OtlpRequests.nanos(T.minusSeconds(3600));
  private static final Resource TARGET = OtlpRequests.resource("prometheus", "monitoring", "c1");

  private static final String PROMETHEUS =
      PromText.resource("/fixtures/prometheus/prometheus-server-selfscrape-237mfs.prom.txt");
  private static final String PROMETHEUS_V1 =
      PromText.resource("/fixtures/prometheus/prometheus-v1-selfscrape-common-testdata.prom.txt");
  private static final String MICROMETER_HISTOGRAM =
      PromText.resource(
          "/fixtures/prometheus/micrometer-spring-boot-histogram.handwritten.prom.txt");
  private static final String MICROMETER_SUMMARY =
      PromText.resource("/fixtures/prometheus/micrometer-spring-boot-summary.handwritten.prom.txt");
  private static final String GRPC =
      PromText.resource("/fixtures/prometheus/go-grpc-prometheus.handwritten.prom.txt");

  private final List<MetricPoint> points = new ArrayList<>();
  private final List<String> skipped = new ArrayList<>();

  private void decode(List<Metric> metrics) {
    OtlpMetricsDecoder.decode(
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                ResourceMetrics.newBuilder()
                    .setResource(TARGET)
                    .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(metrics)))
            .build(),
        PointSink.into(points, skipped::add));
  }

  private void decodePage(String page) {
    decode(PromText.metrics(page, START, TIME, (name, labels, value) -> value));
  }

  /** The values of the samples of {@code page} whose line starts with {@code prefix}. */
  private static double sumOf(String page, String prefix) {
    return page.lines()
        .filter(line -> line.startsWith(prefix))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  private Stream<MetricPoint> requestPoints() {
    return points.stream().filter(p -> !p.latencyOnly());
  }

  private static long countOf(Stream<MetricPoint> of) {
    return of.mapToLong(MetricPoint::count).sum();
  }

  @Test
  void prometheusCountsRequestsFromItsCounterAndLatencyFromItsHistogramWithoutStatus() {
    decodePage(PROMETHEUS);

    assertThat(skipped).isEmpty();
    // Requests and errors: prometheus_http_requests_total{code,handler}, every series once.
    List<MetricPoint> requests = requestPoints().toList();
    assertThat(requests).allSatisfy(p -> assertThat(p.hasBuckets()).isFalse());
    assertThat(countOf(requests.stream()))
        .isEqualTo((long) sumOf(PROMETHEUS, "prometheus_http_requests_total{"));
    assertThat(countOf(requests.stream().filter(MetricPoint::error)))
        .isEqualTo((long) sumOf(PROMETHEUS, "prometheus_http_requests_total{code=\"5"))
        .isEqualTo(12);
    // Latency: the histogram per handler, its buckets in ms, never counted as requests.
    List<MetricPoint> latency = points.stream().filter(MetricPoint::latencyOnly).toList();
    assertThat(latency).isNotEmpty().allSatisfy(p -> assertThat(p.error()).isFalse());
    assertThat(countOf(latency.stream()))
        .isEqualTo((long) sumOf(PROMETHEUS, "prometheus_http_request_duration_seconds_count{"));
    assertThat(latency.get(0).boundsMs())
        .containsExactly(100.0, 200.0, 400.0, 1000.0, 3000.0, 8000.0, 20000.0, 60000.0, 120000.0);
    // The counter's and the histogram's series of one handler meet in one operation.
    assertThat(requests)
        .filteredOn(p -> p.error())
        .extracting(MetricPoint::operation)
        .containsOnly("/api/v1/query", "/api/v1/query_range", "/api/v1/status/config");
    assertThat(latency).extracting(MetricPoint::operation).contains("/api/v1/query");
    assertThat(points)
        .allSatisfy(
            p -> {
              assertThat(p.seriesKey()).isEqualTo("c1/monitoring/prometheus/");
              assertThat(p.cumulative()).isTrue();
              assertThat(p.startNanos()).isEqualTo(START);
            });
  }

  @Test
  void readsTheOldPrometheusCounterWithItsMethodAndLeavesItsMicrosecondSummaryAlone() {
    decodePage(PROMETHEUS_V1);

    assertThat(skipped).isEmpty();
    assertThat(points).hasSize(1);
    MetricPoint p = points.get(0);
    assertThat(p.count()).isEqualTo(119);
    assertThat(p.operation()).isEqualTo("GET prometheus");
    assertThat(p.error()).isFalse();
    assertThat(p.latencyOnly()).isFalse();
  }

  @Test
  void micrometerHistogramWithStatusGivesRequestsErrorsAndLatencyAlone() {
    decodePage(MICROMETER_HISTOGRAM);

    assertThat(skipped).isEmpty();
    assertThat(points).noneMatch(MetricPoint::latencyOnly);
    assertThat(countOf(points.stream())).isEqualTo(1000 + 12 + 300 + 7);
    assertThat(countOf(points.stream().filter(MetricPoint::error))).isEqualTo(12);
    assertThat(points)
        .extracting(MetricPoint::operation)
        .containsExactlyInAnyOrder(
            "GET /api/orders/{id}", "POST /api/orders", "POST /api/orders", "GET NOT_FOUND");
    assertThat(points.get(0).boundsMs()).containsExactly(50.0, 100.0, 200.0, 500.0, 1000.0);
    assertThat(points.get(0).bucketCounts()).containsExactly(820, 120, 50, 8, 2, 0);
  }

  @Test
  void micrometerSummaryCountsRequestsAndErrorsWithoutLatency() {
    decodePage(MICROMETER_SUMMARY);

    assertThat(skipped).isEmpty();
    assertThat(points).allSatisfy(p -> assertThat(p.hasBuckets()).isFalse());
    assertThat(points).noneMatch(MetricPoint::latencyOnly);
    assertThat(countOf(points.stream())).isEqualTo(1000 + 12 + 2880);
    assertThat(points)
        .filteredOn(MetricPoint::error)
        .extracting(MetricPoint::operation, MetricPoint::count)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("POST /api/orders", 12L));
  }

  @Test
  void micrometerOutcomeTellsAServerErrorWithoutAStatus() {
    String page = MICROMETER_SUMMARY.replaceAll(",status=\"\\d+\"", "").replace("uri=", "route=");
    decodePage(page);

    assertThat(countOf(points.stream().filter(MetricPoint::error))).isEqualTo(12);
  }

  @Test
  void goGrpcPrometheusCountsCallsByCodeAndTakesLatencyFromTheHistogram() {
    decodePage(GRPC);

    assertThat(skipped).isEmpty();
    assertThat(countOf(requestPoints())).isEqualTo(940 + 40 + 15 + 5 + 120 + 2);
    // Internal, Unavailable and DeadlineExceeded are the server's errors; NotFound is the caller's.
    assertThat(countOf(requestPoints().filter(MetricPoint::error))).isEqualTo(15 + 5 + 2);
    assertThat(points.stream().filter(MetricPoint::latencyOnly))
        .extracting(MetricPoint::operation, MetricPoint::count)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("routeguide.RouteGuide/GetFeature", 1000L),
            org.assertj.core.groups.Tuple.tuple("routeguide.RouteGuide/ListFeatures", 122L));
    assertThat(requestPoints().map(MetricPoint::operation).distinct())
        .containsExactlyInAnyOrder(
            "routeguide.RouteGuide/GetFeature", "routeguide.RouteGuide/ListFeatures");
  }

  @Test
  void aHistogramWithoutStatusAndNoCounterGivesRequestsAndLatencyWithoutErrors() {
    String histogramOnly =
        PROMETHEUS
            .lines()
            .filter(line -> !line.contains("prometheus_http_requests_total"))
            .reduce("", (page, line) -> page + line + "\n");
    decodePage(histogramOnly);

    assertThat(points)
        .isNotEmpty()
        .noneMatch(MetricPoint::latencyOnly)
        .noneMatch(MetricPoint::error);
    assertThat(countOf(points.stream()))
        .isEqualTo((long) sumOf(PROMETHEUS, "prometheus_http_request_duration_seconds_count{"));
  }

  @Test
  void theOpenTelemetryDurationOfTheSameResourceWins() {
    List<Metric> metrics = new ArrayList<>(PromText.metrics(GRPC, START, TIME, (n, l, v) -> v));
    metrics.addAll(PromText.metrics(PROMETHEUS, START, TIME, (n, l, v) -> v));
    metrics.add(OtlpRequests.cumulative(OtlpRequests.point(T, T.plusSeconds(1), 200, 5)));
    decode(metrics);

    // HTTP: the OpenTelemetry histogram only (its counter and histogram superseded); gRPC kept.
    assertThat(skipped).containsExactly("superseded_metric", "superseded_metric");
    assertThat(points).filteredOn(p -> "/".equals(p.operation())).isEmpty();
    assertThat(points).filteredOn(p -> "GET /".equals(p.operation())).hasSize(1);
    assertThat(points)
        .filteredOn(p -> p.operation() != null && p.operation().startsWith("/api"))
        .isEmpty();
    assertThat(countOf(requestPoints())).isEqualTo(5 + 940 + 40 + 15 + 5 + 120 + 2);
  }

  @Test
  void neverTakesARawPathForAnOperation() {
    decode(
        List.of(
            counter(
                "http_requests_total",
                count(3, "path", "/users/4711", "status", "200"),
                count(4, "path", "/users/{id}", "status", "500"),
                count(5, "path", "/files/*", "method", "get"))));

    assertThat(points)
        .extracting(MetricPoint::operation)
        .containsExactly(null, "/users/{id}", "GET /files/*");
    assertThat(points).extracting(MetricPoint::error).containsExactly(false, true, false);
  }

  @Test
  void readsOpenTelemetryNamesRenderedPrometheusStyle() {
    String page =
        """
        # TYPE http_server_request_duration_seconds histogram
        http_server_request_duration_seconds_bucket{http_request_method="GET",http_response_status_code="503",http_route="/cart/{id}",le="0.1"} 2
        http_server_request_duration_seconds_bucket{http_request_method="GET",http_response_status_code="503",http_route="/cart/{id}",le="+Inf"} 3
        http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="503",http_route="/cart/{id}"} 3
        """;
    decodePage(page);

    assertThat(points).hasSize(1);
    assertThat(points.get(0).error()).isTrue();
    assertThat(points.get(0).operation()).isEqualTo("GET /cart/{id}");
    assertThat(points.get(0).boundsMs()).containsExactly(100.0);
  }

  @Test
  void skipsCountersThatAreNotWholeRequestCounts() {
    decode(
        List.of(
            counter(
                "http_requests_total",
                count(Double.NaN, "code", "200"),
                count(1.5, "code", "200"),
                count(-1, "code", "200"),
                count(7, "code", "200").toBuilder().setTimeUnixNano(0).build()),
            Metric.newBuilder()
                .setName("grpc_server_handled_total")
                .setSum(Sum.newBuilder().setIsMonotonic(false))
                .build(),
            Metric.newBuilder()
                .setName("http_request_duration_seconds")
                .setSum(Sum.newBuilder().setIsMonotonic(true))
                .build()));

    assertThat(points).isEmpty();
    assertThat(skipped)
        .containsExactlyInAnyOrder(
            "invalid_count",
            "invalid_count",
            "negative_count",
            "missing_time",
            "not_counter",
            "not_histogram");
  }

  @Test
  void matchesWholeNameParts() {
    assertThat(PrometheusRequestDecoder.Family.of("myapp_http_requests_total"))
        .isEqualTo(PrometheusRequestDecoder.Family.HTTP_REQUESTS);
    assertThat(PrometheusRequestDecoder.Family.of("http_requests_total"))
        .isEqualTo(PrometheusRequestDecoder.Family.HTTP_REQUESTS);
    assertThat(PrometheusRequestDecoder.Family.of("myhttp_requests_total")).isNull();
    assertThat(PrometheusRequestDecoder.Family.of("http_client_requests_seconds")).isNull();
    assertThat(PrometheusRequestDecoder.Family.of("grpc_server_handling_seconds"))
        .isEqualTo(PrometheusRequestDecoder.Family.GRPC_DURATION);
  }

  private static Metric counter(String name, NumberDataPoint... dps) {
    return Metric.newBuilder()
        .setName(name)
        .setSum(
            Sum.newBuilder()
                .setIsMonotonic(true)
                .setAggregationTemporality(
                    AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                .addAllDataPoints(List.of(dps)))
        .build();
  }

  private static NumberDataPoint count(double value, String... labels) {
    NumberDataPoint.Builder dp =
        NumberDataPoint.newBuilder()
            .setStartTimeUnixNano(START)
            .setTimeUnixNano(TIME)
            .setAsDouble(value);
    for (int i = 0; i < labels.length; i += 2) {
      dp.addAttributes(
          KeyValue.newBuilder()
              .setKey(labels[i])
              .setValue(AnyValue.newBuilder().setStringValue(labels[i + 1])));
    }
    return dp.build();
  }
}
