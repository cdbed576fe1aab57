package io.vigil.processor;

import io.opentelemetry.proto.common.v1.AnyValue;
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
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a Prometheus text-format page into OTLP metrics as the collector's scraper ({@code
 * ScrapeConverter}) does: counters → cumulative monotonic sums with a start time, gauges → gauges,
 * classic histograms → cumulative histograms (buckets de-cumulated, {@code +Inf} the overflow),
 * summaries → summaries (count and sum), labels → point attributes; with a hook to change values so
 * that one fixture makes several scrapes. Enough for the real pages in {@code fixtures/prometheus};
 * the collector's own parser is tested against the same pages.
 */
public final class PromText {
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?\\s+(\\S+)(\\s+(\\d+))?$");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_]\\w*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** Changes a sample's value: (metric name, labels, value) → new value. */
  @FunctionalInterface
  public interface Values {
    double apply(String name, Map<String, String> labels, double value);
  }

  private PromText() {}

  /** The page in the test resource {@code path}. */
  public static String resource(String path) {
    try (InputStream in = PromText.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The counters, gauges, histograms and summaries of {@code page}, scraped at {@code timeNanos}
   * (samples keep their own timestamps), counters, histograms and summaries started at {@code
   * startNanos}, each sample's value passed through {@code values} (a histogram's under its sample
   * name, {@code _bucket} with its {@code le}, {@code _count}, {@code _sum}).
   */
  public static List<Metric> metrics(String page, long startNanos, long timeNanos, Values values) {
    Map<String, String> types = new LinkedHashMap<>();
    Map<String, Map<Map<String, String>, Series>> families = new LinkedHashMap<>();
    for (String line : page.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        String[] parts = line.split("\\s+");
        types.put(parts[2], parts[3]);
        continue;
      }
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException("not a sample: " + line);
      }
      String name = m.group(1);
      String family = family(name, types);
      if (family == null || name.endsWith("_created")) {
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      double value = values.apply(name, labels, Double.parseDouble(m.group(4)));
      long time = m.group(6) != null ? Long.parseLong(m.group(6)) * 1_000_000L : timeNanos;
      String bound = labels.remove("le");
      String quantile = labels.remove("quantile");
      Series series =
          families
              .computeIfAbsent(family, f -> new LinkedHashMap<>())
              .computeIfAbsent(labels, k -> new Series());
      series.time = Math.max(series.time, time);
      String suffix = name.substring(family.length());
      switch (suffix) {
        case "_bucket" ->
            series.buckets.put(Double.parseDouble(bound.replace("Inf", "Infinity")), value);
        case "_sum" -> series.sum = value;
        case "_count" -> series.count = value;
        default -> {
          if (quantile == null) {
            series.value = value;
          }
        }
      }
    }
    List<Metric> metrics = new ArrayList<>();
    families.forEach(
        (name, series) -> {
          Metric.Builder metric = Metric.newBuilder().setName(name);
          switch (types.get(name)) {
            case "counter" -> metric.setSum(counter(series, startNanos));
            case "histogram" -> metric.setHistogram(histogram(series, startNanos));
            case "summary" -> metric.setSummary(summary(series, startNanos));
            default -> metric.setGauge(gauge(series));
          }
          metrics.add(metric.build());
        });
    return metrics;
  }

  /** One series of a family, gathered from its samples. */
  private static final class Series {
    final TreeMap<Double, Double> buckets = new TreeMap<>();
    double value;
    double sum;
    double count;
    long time;
  }

  /** The family {@code sample} belongs to, or null when it is of no type we read. */
  private static String family(String sample, Map<String, String> types) {
    String type = types.get(sample);
    if ("counter".equals(type) || "gauge".equals(type)) {
      return sample;
    }
    for (String suffix : List.of("_bucket", "_sum", "_count", "_created", "")) {
      if (sample.endsWith(suffix)) {
        String family = sample.substring(0, sample.length() - suffix.length());
        String of = types.get(family);
        if ("histogram".equals(of) || "summary".equals(of)) {
          return family;
        }
      }
    }
    return null;
  }

  private static Sum counter(Map<Map<String, String>, Series> series, long startNanos) {
    Sum.Builder sum =
        Sum.newBuilder()
            .setIsMonotonic(true)
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    series.forEach(
        (labels, s) ->
            sum.addDataPoints(
                NumberDataPoint.newBuilder()
                    .addAllAttributes(attributes(labels))
                    .setStartTimeUnixNano(startNanos)
                    .setTimeUnixNano(s.time)
                    .setAsDouble(s.value)));
    return sum.build();
  }

  private static Gauge gauge(Map<Map<String, String>, Series> series) {
    Gauge.Builder gauge = Gauge.newBuilder();
    series.forEach(
        (labels, s) ->
            gauge.addDataPoints(
                NumberDataPoint.newBuilder()
                    .addAllAttributes(attributes(labels))
                    .setTimeUnixNano(s.time)
                    .setAsDouble(s.value)));
    return gauge.build();
  }

  /** Buckets de-cumulated, {@code +Inf} the overflow bucket, as the scraper does. */
  private static Histogram histogram(Map<Map<String, String>, Series> series, long startNanos) {
    Histogram.Builder histogram =
        Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    series.forEach(
        (labels, s) -> {
          HistogramDataPoint.Builder point =
              HistogramDataPoint.newBuilder()
                  .addAllAttributes(attributes(labels))
                  .setStartTimeUnixNano(startNanos)
                  .setTimeUnixNano(s.time)
                  .setCount((long) s.count)
                  .setSum(s.sum);
          double previous = 0;
          for (Map.Entry<Double, Double> bucket : s.buckets.entrySet()) {
            if (!bucket.getKey().isInfinite()) {
              point.addExplicitBounds(bucket.getKey());
            }
            point.addBucketCounts((long) (bucket.getValue() - previous));
            previous = bucket.getValue();
          }
          histogram.addDataPoints(point);
        });
    return histogram.build();
  }

  /** Count and sum; the quantiles are left out (the processor does not read them). */
  private static Summary summary(Map<Map<String, String>, Series> series, long startNanos) {
    Summary.Builder summary = Summary.newBuilder();
    series.forEach(
        (labels, s) ->
            summary.addDataPoints(
                SummaryDataPoint.newBuilder()
                    .addAllAttributes(attributes(labels))
                    .setStartTimeUnixNano(startNanos)
                    .setTimeUnixNano(s.time)
                    .setCount((long) s.count)
                    .setSum(s.sum)));
    return summary.build();
  }

  private static List<KeyValue> attributes(Map<String, String> labels) {
    List<KeyValue> out = new ArrayList<>();
    labels.forEach(
        (k, v) ->
            out.add(
                KeyValue.newBuilder()
                    .setKey(k)
                    .setValue(AnyValue.newBuilder().setStringValue(v))
                    .build()));
    return out;
  }
}
