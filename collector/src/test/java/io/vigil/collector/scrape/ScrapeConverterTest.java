package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.vigil.collector.scrape.Exposition.Format;
import io.vigil.model.otlp.OtlpAttributes;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Scraped families as the OpenTelemetry Collector's Prometheus receiver would give them. */
class ScrapeConverterTest {
  private static final long T0 = 1_700_000_000_000_000_000L;
  private static final long T1 = T0 + 15_000_000_000L;

  private static Metric metric(List<Metric> metrics, String name) {
    return metrics.stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void aCounterIsACumulativeMonotonicSumStartingWhenFirstSeen() throws Exception {
    ScrapeConverter converter = new ScrapeConverter();
    List<Metric> first =
        converter.convert(
            Exposition.parse(ExpositionTest.fixture("node-exporter.txt"), Format.TEXT), T0);

    Metric cpu = metric(first, "node_cpu_seconds_total");
    assertThat(cpu.getSum().getIsMonotonic()).isTrue();
    assertThat(cpu.getSum().getAggregationTemporality())
        .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    NumberDataPoint idle =
        cpu.getSum().getDataPointsList().stream()
            .filter(p -> "idle".equals(OtlpAttributes.get(p.getAttributesList(), "mode")))
            .findFirst()
            .orElseThrow();
    assertThat(idle.getStartTimeUnixNano()).isEqualTo(T0);
    assertThat(idle.getTimeUnixNano()).isEqualTo(T0);
    assertThat(metric(first, "node_load1").hasGauge()).isTrue();
  }

  @Test
  void aCounterKeepsItsStartUntilItGoesDown() throws Exception {
    ScrapeConverter converter = new ScrapeConverter();
    String page = "# TYPE jobs_total counter\njobs_total{queue=\"a\"} %s\n";

    converter.convert(Exposition.parse(page.formatted("10"), Format.TEXT), T0);
    NumberDataPoint later =
        metric(
                converter.convert(Exposition.parse(page.formatted("25"), Format.TEXT), T1),
                "jobs_total")
            .getSum()
            .getDataPoints(0);
    NumberDataPoint reset =
        metric(
                converter.convert(
                    Exposition.parse(page.formatted("3"), Format.TEXT), T1 + 15_000_000_000L),
                "jobs_total")
            .getSum()
            .getDataPoints(0);

    assertThat(later.getStartTimeUnixNano()).isEqualTo(T0);
    assertThat(later.getAsDouble()).isEqualTo(25);
    assertThat(reset.getStartTimeUnixNano())
        .as("a value that went down: the target restarted")
        .isGreaterThan(T1);
  }

  @Test
  void openMetricsCreatedIsTheStartTime() throws Exception {
    List<Metric> metrics =
        new ScrapeConverter()
            .convert(
                Exposition.parse(
                    ExpositionTest.fixture("openmetrics-alltypes-exemplars.om.txt"),
                    Format.OPENMETRICS),
                T0);

    NumberDataPoint encoding =
        metric(metrics, "promhttp_metric_handler_errors").getSum().getDataPoints(0);
    assertThat(encoding.getStartTimeUnixNano()).isEqualTo(1_726_839_813_016_397_000L);
    assertThat(metric(metrics, "promhttp_metric_handler_errors").getSum().getDataPointsCount())
        .as("_created samples are not points of their own")
        .isEqualTo(2);
  }

  @Test
  void aClassicHistogramGetsPerBucketCounts() throws Exception {
    List<Metric> metrics =
        new ScrapeConverter()
            .convert(
                Exposition.parse(
                    """
                    # TYPE req_seconds histogram
                    req_seconds_bucket{path="/",le="0.1"} 3
                    req_seconds_bucket{path="/",le="0.5"} 7
                    req_seconds_bucket{path="/",le="+Inf"} 9
                    req_seconds_sum{path="/"} 2.5
                    req_seconds_count{path="/"} 9
                    """,
                    Format.TEXT),
                T0);

    HistogramDataPoint point = metric(metrics, "req_seconds").getHistogram().getDataPoints(0);
    assertThat(point.getExplicitBoundsList()).containsExactly(0.1, 0.5);
    assertThat(point.getBucketCountsList()).containsExactly(3L, 4L, 2L);
    assertThat(point.getCount()).isEqualTo(9);
    assertThat(point.getSum()).isEqualTo(2.5);
    assertThat(OtlpAttributes.get(point.getAttributesList(), "path")).isEqualTo("/");
    assertThat(point.getAttributesList()).noneMatch(kv -> kv.getKey().equals("le"));
  }

  @Test
  void aSummaryKeepsItsQuantiles() throws Exception {
    List<Metric> metrics =
        new ScrapeConverter()
            .convert(
                Exposition.parse(
                    ExpositionTest.fixture("prometheus-server-selfscrape-237mfs.prom.txt"),
                    Format.TEXT),
                T0);

    SummaryDataPoint gc = metric(metrics, "go_gc_duration_seconds").getSummary().getDataPoints(0);
    assertThat(gc.getQuantileValuesList()).hasSize(5);
    assertThat(gc.getQuantileValues(2).getQuantile()).isEqualTo(0.5);
    assertThat(gc.getQuantileValues(2).getValue()).isEqualTo(0.000135819);
    assertThat(gc.getSum()).isEqualTo(44.985611511);
    HistogramDataPoint http =
        metric(metrics, "prometheus_http_request_duration_seconds").getHistogram().getDataPoints(0);
    long total = http.getBucketCountsList().stream().mapToLong(Long::longValue).sum();
    assertThat(total).isEqualTo(http.getCount());
  }
}
