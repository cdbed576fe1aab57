package io.vigil.processor;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.Sum;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the counters and gauges of a Prometheus text-format page into OTLP metrics as the
 * collector's scraper does (counters → cumulative monotonic sums with a start time, gauges →
 * gauges, labels → point attributes), with a hook to change values so that one fixture makes
 * several scrapes. Enough for the real pages in {@code fixtures/prometheus} (histograms and
 * summaries are left out); the collector's own parser is tested against the same pages.
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
   * The counters and gauges of {@code page}, scraped at {@code timeNanos} (samples keep their own
   * timestamps), counters started at {@code startNanos}, each value passed through {@code values}.
   */
  public static List<Metric> metrics(String page, long startNanos, long timeNanos, Values values) {
    Map<String, String> types = new LinkedHashMap<>();
    Map<String, List<NumberDataPoint>> points = new LinkedHashMap<>();
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
      String type = types.get(name);
      if (!"counter".equals(type) && !"gauge".equals(type)) {
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
      NumberDataPoint.Builder dp =
          NumberDataPoint.newBuilder().setTimeUnixNano(time).setAsDouble(value);
      if ("counter".equals(type)) {
        dp.setStartTimeUnixNano(startNanos);
      }
      labels.forEach(
          (k, v) ->
              dp.addAttributes(
                  KeyValue.newBuilder()
                      .setKey(k)
                      .setValue(AnyValue.newBuilder().setStringValue(v))));
      points.computeIfAbsent(name, n -> new ArrayList<>()).add(dp.build());
    }
    List<Metric> metrics = new ArrayList<>();
    points.forEach(
        (name, dps) -> {
          Metric.Builder metric = Metric.newBuilder().setName(name);
          if ("counter".equals(types.get(name))) {
            metric.setSum(
                Sum.newBuilder()
                    .setIsMonotonic(true)
                    .setAggregationTemporality(
                        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                    .addAllDataPoints(dps));
          } else {
            metric.setGauge(Gauge.newBuilder().addAllDataPoints(dps));
          }
          metrics.add(metric.build());
        });
    return metrics;
  }
}
