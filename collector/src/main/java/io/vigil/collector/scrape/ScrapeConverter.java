package io.vigil.collector.scrape;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.vigil.model.otlp.OtlpAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a scrape's families into OTLP metrics with the meaning the OpenTelemetry Collector's
 * Prometheus receiver gives them: counters become cumulative monotonic sums, gauges and untyped
 * samples gauges, classic histograms OTLP histograms (buckets de-cumulated, {@code +Inf} the
 * overflow), summaries OTLP summaries. A counter, histogram or summary's start time is its {@code
 * _created} sample where there is one; otherwise the time the series was first scraped, moved to
 * the scrape before a value that went down (a restart of the target). Samples keep their own
 * timestamps where they have them. Not thread-safe: one converter per target.
 */
final class ScrapeConverter {
  /** Per series: start time and the last cumulative value, to see a reset. */
  private record Start(long nanos, double last) {}

  private final Map<String, Start> starts = new HashMap<>();
  private Map<String, Start> seen = new HashMap<>();

  /** The metrics of one scrape made at {@code scrapeNanos}. */
  List<Metric> convert(List<Exposition.Family> families, long scrapeNanos) {
    seen = new HashMap<>();
    List<Metric> metrics = new ArrayList<>();
    for (Exposition.Family family : families) {
      if (family.samples().isEmpty()) {
        continue;
      }
      Metric.Builder metric = Metric.newBuilder().setName(family.name());
      if (family.help() != null) {
        metric.setDescription(family.help());
      }
      if (family.unit() != null) {
        metric.setUnit(family.unit());
      }
      switch (family.type()) {
        case "counter" -> metric.setSum(counter(family, scrapeNanos));
        case "histogram" -> metric.setHistogram(histogram(family, scrapeNanos));
        case "summary" -> metric.setSummary(summary(family, scrapeNanos));
        default -> metric.setGauge(gauge(family, scrapeNanos));
      }
      metrics.add(metric.build());
    }
    // Series gone from the target are forgotten: if they come back, they start again.
    starts.keySet().retainAll(seen.keySet());
    return metrics;
  }

  private Sum counter(Exposition.Family family, long scrape) {
    Map<Map<String, String>, Double> created = created(family, "_created");
    Sum.Builder sum =
        Sum.newBuilder()
            .setIsMonotonic(true)
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    for (Exposition.Sample s : family.samples()) {
      if (s.name().endsWith("_created")) {
        continue;
      }
      long time = time(s, scrape);
      sum.addDataPoints(
          NumberDataPoint.newBuilder()
              .addAllAttributes(attributes(s.labels()))
              .setStartTimeUnixNano(start(family.name(), s.labels(), created, s.value(), time))
              .setTimeUnixNano(time)
              .setAsDouble(s.value()));
    }
    return sum.build();
  }

  private Gauge gauge(Exposition.Family family, long scrape) {
    Gauge.Builder gauge = Gauge.newBuilder();
    for (Exposition.Sample s : family.samples()) {
      gauge.addDataPoints(
          NumberDataPoint.newBuilder()
              .addAllAttributes(attributes(s.labels()))
              .setTimeUnixNano(time(s, scrape))
              .setAsDouble(s.value()));
    }
    return gauge.build();
  }

  /** One histogram series being gathered from its samples. */
  private static final class Buckets {
    final TreeMap<Double, Double> cumulative = new TreeMap<>();
    double sum;
    double count = Double.NaN;
    long time;
  }

  private Histogram histogram(Exposition.Family family, long scrape) {
    Map<Map<String, String>, Double> created = created(family, "_created");
    Map<Map<String, String>, Buckets> series = new LinkedHashMap<>();
    for (Exposition.Sample s : family.samples()) {
      String suffix = s.name().substring(family.name().length());
      Map<String, String> labels = without(s.labels(), "le");
      Buckets b = series.computeIfAbsent(labels, k -> new Buckets());
      b.time = Math.max(b.time, time(s, scrape));
      switch (suffix) {
        case "_bucket" -> {
          String le = s.labels().get("le");
          if (le != null) { // a bucket without its bound cannot be placed: left out
            b.cumulative.put(Double.parseDouble(le.replace("Inf", "Infinity")), s.value());
          }
        }
        case "_sum" -> b.sum = s.value();
        case "_count" -> b.count = s.value();
        default -> {} // _created: read above
      }
    }
    Histogram.Builder histogram =
        Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    for (Map.Entry<Map<String, String>, Buckets> e : series.entrySet()) {
      Buckets b = e.getValue();
      HistogramDataPoint.Builder point =
          HistogramDataPoint.newBuilder().addAllAttributes(attributes(e.getKey()));
      double previous = 0;
      double inf = Double.NaN;
      for (Map.Entry<Double, Double> bucket : b.cumulative.entrySet()) {
        if (bucket.getKey().isInfinite()) {
          inf = bucket.getValue();
          continue;
        }
        point.addExplicitBounds(bucket.getKey());
        point.addBucketCounts((long) Math.max(0, bucket.getValue() - previous));
        previous = bucket.getValue();
      }
      double count = !Double.isNaN(b.count) ? b.count : Double.isNaN(inf) ? previous : inf;
      point.addBucketCounts((long) Math.max(0, (Double.isNaN(inf) ? count : inf) - previous));
      point
          .setCount((long) count)
          .setSum(b.sum)
          .setTimeUnixNano(b.time)
          .setStartTimeUnixNano(start(family.name(), e.getKey(), created, count, b.time));
      histogram.addDataPoints(point);
    }
    return histogram.build();
  }

  /** One summary series being gathered from its samples. */
  private static final class Quantiles {
    final TreeMap<Double, Double> values = new TreeMap<>();
    double sum;
    double count;
    long time;
  }

  private Summary summary(Exposition.Family family, long scrape) {
    Map<Map<String, String>, Double> created = created(family, "_created");
    Map<Map<String, String>, Quantiles> series = new LinkedHashMap<>();
    for (Exposition.Sample s : family.samples()) {
      String suffix = s.name().substring(family.name().length());
      Map<String, String> labels = without(s.labels(), "quantile");
      Quantiles q = series.computeIfAbsent(labels, k -> new Quantiles());
      q.time = Math.max(q.time, time(s, scrape));
      switch (suffix) {
        case "" -> {
          String quantile = s.labels().get("quantile");
          if (quantile != null) { // a quantile sample without its quantile: left out
            q.values.put(Double.parseDouble(quantile), s.value());
          }
        }
        case "_sum" -> q.sum = s.value();
        case "_count" -> q.count = s.value();
        default -> {}
      }
    }
    Summary.Builder summary = Summary.newBuilder();
    for (Map.Entry<Map<String, String>, Quantiles> e : series.entrySet()) {
      Quantiles q = e.getValue();
      SummaryDataPoint.Builder point =
          SummaryDataPoint.newBuilder()
              .addAllAttributes(attributes(e.getKey()))
              .setCount((long) q.count)
              .setSum(q.sum)
              .setTimeUnixNano(q.time)
              .setStartTimeUnixNano(start(family.name(), e.getKey(), created, q.count, q.time));
      q.values.forEach(
          (quantile, value) ->
              point.addQuantileValues(
                  SummaryDataPoint.ValueAtQuantile.newBuilder()
                      .setQuantile(quantile)
                      .setValue(value)));
      summary.addDataPoints(point);
    }
    return summary.build();
  }

  /** {@code _created} values by series labels, in seconds. */
  private static Map<Map<String, String>, Double> created(Exposition.Family family, String suffix) {
    Map<Map<String, String>, Double> created = new HashMap<>();
    for (Exposition.Sample s : family.samples()) {
      if (s.name().equals(family.name() + suffix)) {
        created.put(s.labels(), s.value());
      }
    }
    return created;
  }

  private long start(
      String family,
      Map<String, String> labels,
      Map<Map<String, String>, Double> created,
      double value,
      long time) {
    Double createdSeconds = created.get(labels);
    String key = family + labels;
    if (createdSeconds != null && createdSeconds > 0) {
      long nanos = Math.round(createdSeconds * 1e6) * 1000; // µs: what a double holds of it
      seen.put(key, new Start(nanos, value));
      starts.put(key, seen.get(key));
      return nanos;
    }
    Start previous = starts.get(key);
    Start now =
        previous == null || value < previous.last()
            ? new Start(previous == null ? time : time - 1, value) // new series, or a reset
            : new Start(previous.nanos(), value);
    starts.put(key, now);
    seen.put(key, now);
    return now.nanos();
  }

  private static long time(Exposition.Sample s, long scrape) {
    return s.timestampMillis() == null ? scrape : s.timestampMillis() * 1_000_000L;
  }

  private static Map<String, String> without(Map<String, String> labels, String drop) {
    if (!labels.containsKey(drop)) {
      return labels;
    }
    Map<String, String> copy = new LinkedHashMap<>(labels);
    copy.remove(drop);
    return copy;
  }

  private static List<KeyValue> attributes(Map<String, String> labels) {
    List<KeyValue> out = new ArrayList<>(labels.size());
    labels.forEach((k, v) -> out.add(OtlpAttributes.string(k, v)));
    return out;
  }
}
