package io.vigil.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Prometheus queries of the shipped Grafana dashboards, with their variables replaced as
 * Grafana replaces them when the dashboard opens on its default time range with every variable at
 * "All": a dashboard variable becomes its {@code allValue} (a regular expression such as {@code
 * .*}), {@code $__range} the time range, {@code $__interval} the data source's scrape interval
 * ({@code jsonData.timeInterval}, Grafana's default 15 s when unset: the range divided by a panel's
 * width in pixels is below it on any screen) and {@code $__rate_interval} the larger of {@code
 * $__interval} plus the scrape interval and four scrape intervals.
 */
final class PrometheusDashboardQueries {
  private static final Path ROOT = Path.of("..", "dashboards", "grafana");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern VARIABLE =
      Pattern.compile("\\$\\{(\\w+)(?::\\w+)?}|\\[\\[(\\w+)(?::\\w+)?]]|\\$(\\w+)");
  private static final Pattern DURATION = Pattern.compile("(\\d+)([smhd])");
  private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*(\\w+)\\)");
  private static final Pattern METRIC = Pattern.compile("\\bvigil_[a-z_]+\\b");

  /** One panel target: where it is and its PromQL with the variables replaced. */
  record Query(String dashboard, String panel, String legend, String promql) {
    /** The {@code vigil_} metrics it reads. */
    Set<String> metrics() {
      Set<String> names = new TreeSet<>();
      Matcher m = METRIC.matcher(promql);
      while (m.find()) {
        names.add(m.group());
      }
      return names;
    }

    @Override
    public String toString() {
      return dashboard + " › " + panel + " (" + legend + "): " + promql;
    }
  }

  /**
   * One query variable's {@code label_values(selector, label)}: the values Grafana lists, through
   * Prometheus' {@code /api/v1/label/<label>/values?match[]=<selector>}, with the variables it
   * refers to at "All".
   */
  record LabelValues(String dashboard, String variable, String label, String selector) {
    @Override
    public String toString() {
      return dashboard + " › $" + variable + ": label_values(" + selector + ", " + label + ")";
    }
  }

  private record Found(List<Query> queries, List<LabelValues> variables) {}

  private PrometheusDashboardQueries() {}

  /** Every Prometheus panel target of every dashboard. */
  static List<Query> all() {
    return find().queries();
  }

  /** Every Prometheus {@code label_values} variable of every dashboard. */
  static List<LabelValues> variables() {
    return find().variables();
  }

  private static Found find() {
    try {
      JsonNode datasources =
          new ObjectMapper(new YAMLFactory())
              .readTree(ROOT.resolve("provisioning/datasources/vigil.yaml").toFile());
      Map<String, Duration> scrapeIntervalByUid = new HashMap<>();
      for (JsonNode ds : datasources.path("datasources")) {
        if ("prometheus".equals(ds.path("type").asText())) {
          String interval = ds.at("/jsonData/timeInterval").asText("15s");
          scrapeIntervalByUid.put(ds.path("uid").asText(), duration(interval));
        }
      }
      List<Query> queries = new ArrayList<>();
      List<LabelValues> variables = new ArrayList<>();
      try (Stream<Path> files = Files.list(ROOT.resolve("dashboards"))) {
        for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
          JsonNode dashboard = JSON.readTree(file.toFile());
          Map<String, String> allValues = new HashMap<>();
          for (JsonNode variable : dashboard.at("/templating/list")) {
            if (variable.path("includeAll").asBoolean() && variable.has("allValue")) {
              allValues.put(variable.path("name").asText(), variable.path("allValue").asText());
            }
          }
          String from = dashboard.at("/time/from").asText();
          if (!from.startsWith("now-") || !"now".equals(dashboard.at("/time/to").asText())) {
            throw new IllegalStateException(file + ": the time range is not now-<duration> to now");
          }
          Duration range = duration(from.substring("now-".length()));
          collect(
              file.getFileName().toString(),
              dashboard.path("panels"),
              scrapeIntervalByUid,
              allValues,
              range,
              queries);
          for (JsonNode variable : dashboard.at("/templating/list")) {
            String uid = variable.at("/datasource/uid").asText();
            Matcher m = LABEL_VALUES.matcher(variable.at("/query/query").asText());
            if (scrapeIntervalByUid.containsKey(uid) && m.matches()) {
              String name = variable.path("name").asText();
              variables.add(
                  new LabelValues(
                      file.getFileName().toString(),
                      name,
                      m.group(2),
                      substitute(file.getFileName() + " › $" + name, m.group(1), allValues)));
            }
          }
        }
      }
      return new Found(queries, variables);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void collect(
      String dashboard,
      JsonNode panels,
      Map<String, Duration> scrapeIntervalByUid,
      Map<String, String> allValues,
      Duration range,
      List<Query> out) {
    for (JsonNode panel : panels) {
      collect(dashboard, panel.path("panels"), scrapeIntervalByUid, allValues, range, out);
      for (JsonNode target : panel.path("targets")) {
        JsonNode source =
            target.has("datasource") ? target.path("datasource") : panel.path("datasource");
        Duration scrape = scrapeIntervalByUid.get(source.path("uid").asText());
        if (scrape != null && target.has("expr")) {
          Map<String, String> values = new HashMap<>(allValues);
          Duration interval = scrape; // range / panel width < scrape interval, see the class doc
          Duration rateInterval = max(interval.plus(scrape), scrape.multipliedBy(4));
          values.put("__interval", interval.toSeconds() + "s");
          values.put("__interval_ms", Long.toString(interval.toMillis()));
          values.put("__rate_interval", rateInterval.toSeconds() + "s");
          values.put("__range", range.toSeconds() + "s");
          values.put("__range_s", Long.toString(range.toSeconds()));
          values.put("__range_ms", Long.toString(range.toMillis()));
          String where = dashboard + " › " + panel.path("title").asText();
          out.add(
              new Query(
                  dashboard,
                  panel.path("title").asText(),
                  target.path("legendFormat").asText(""),
                  substitute(where, target.path("expr").asText(), values)));
        }
      }
    }
  }

  private static String substitute(String where, String expr, Map<String, String> values) {
    Matcher m = VARIABLE.matcher(expr);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
      String value = values.get(name);
      if (value == null) {
        throw new IllegalStateException(
            where + ": no value for the variable $" + name + " in " + expr);
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static Duration duration(String text) {
    Matcher m = DURATION.matcher(text);
    if (!m.matches()) {
      throw new IllegalStateException("not a duration Grafana would write: " + text);
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
