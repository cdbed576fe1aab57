package io.vigil.alerting.rules;

import io.vigil.alerting.route.Matcher;
import io.vigil.alerting.yaml.YamlNode;
import io.vigil.model.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Rule unit tests in the shape of {@code promtool test rules}: input series over time, then the
 * alerts expected to fire at given times.
 *
 * <pre>
 * rule_files: [golden-signals.yaml]       # relative to this file
 * tests:
 *   - name: checkout errors
 *     interval: 10s                        # between two values of a series; default 1m
 *     input_series:
 *       - series: 'errors.ratio{cluster="c1",namespace="shop",service="checkout"}'
 *         values: '0.01 0.2x3 _ 0.01'      # 'a+bxN' / 'a-bxN' / 'axN' expand; '_' = no sample
 *     input_logs:                          # log lines, for count_over_time(…) rules
 *       - stream: '{cluster="c1",namespace="shop",service="checkout",level="error"}'
 *         lines:
 *           - {at: 10s, message: "java.lang.OutOfMemoryError: Java heap space"}
 *           - {at: 20s, message: "Connection refused", times: 4}   # the same line 4 times
 *     alert_rule_test:
 *       - eval_time: 30s
 *         alertname: HighErrorRatio
 *         exp_alerts:
 *           - exp_labels: {cluster: c1, namespace: shop, service: checkout, severity: critical}
 *             exp_annotations: {summary: "checkout error ratio is 0.2"}
 * </pre>
 *
 * Values at the same time with the same labels form one sample (a golden-signal window carries all
 * its fields); time starts at 0. At each {@code eval_time} the samples up to it are evaluated
 * (absence rules counted on the same clock) and the alerts then firing with that {@code alertname}
 * are compared with {@code exp_alerts}: same labels (without {@code alertname}), and the
 * annotations where given. Rules that learn ({@code predict_linear}, {@code anomaly}) learn from
 * the input series as the service would, from nothing at time 0. Log-pattern rules count the input
 * lines and compare their counts every second of the same clock, as the service does on its wall
 * clock.
 */
public final class RuleTests {
  private static final Pattern EXPANDING =
      Pattern.compile("^([-+]?[0-9.eE]+)(?:([-+])([0-9.eE]+))?x([0-9]+)$");
  private static final Instant T0 = Instant.EPOCH;

  private RuleTests() {}

  /** One failed expectation. */
  public record Failure(String test, String message) {}

  /** What a file's tests did. */
  public record Result(int tests, List<Failure> failures) {}

  /**
   * Runs the tests in {@code file}.
   *
   * @throws ConfigException when the test file or a rule file is invalid (naming file and key)
   */
  public static Result run(Path file) {
    String yaml;
    try {
      yaml = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "cannot read: " + e.getMessage());
    }
    YamlNode root = YamlNode.parse(yaml, file.toString());
    root.checkKeys(Set.of("rule_files", "tests", "evaluation_interval"), Set.of());
    List<Path> ruleFiles = new ArrayList<>();
    Path dir = file.toAbsolutePath().getParent();
    for (YamlNode f : root.get("rule_files").elements()) {
      ruleFiles.add(dir.resolve(f.requiredText()));
    }
    if (ruleFiles.isEmpty()) {
      throw root.get("rule_files").hidden("at least one rule file is required");
    }
    AlertEvaluator evaluator = new AlertEvaluator(RuleLoader.load(ruleFiles), "");
    List<Failure> failures = new ArrayList<>();
    int count = 0;
    for (YamlNode test : root.get("tests").elements()) {
      count++;
      failures.addAll(runTest(test, evaluator, "test " + count));
    }
    return new Result(count, failures);
  }

  private static List<Failure> runTest(YamlNode test, AlertEvaluator evaluator, String fallback) {
    test.checkKeys(
        Set.of("name", "interval", "input_series", "input_logs", "alert_rule_test"), Set.of());
    String name = test.get("name").isAbsent() ? fallback : test.get("name").requiredText();
    Duration interval = test.get("interval").duration(Duration.ofMinutes(1));
    if (interval.isZero() || interval.isNegative()) {
      throw test.get("interval").error("must be > 0");
    }
    List<Sample> samples = samples(test.get("input_series"), interval);
    List<LogLine> lines = lines(test.get("input_logs"));
    List<Failure> failures = new ArrayList<>();
    for (YamlNode check : test.get("alert_rule_test").elements()) {
      check.checkKeys(Set.of("eval_time", "alertname", "exp_alerts"), Set.of());
      Duration at = check.get("eval_time").duration(null);
      if (at == null) {
        throw check.get("eval_time").hidden("required");
      }
      String alertname = check.get("alertname").requiredText();
      List<Map<String, String>> gotLabels = new ArrayList<>();
      Map<Map<String, String>, Map<String, String>> gotAnnotations = new HashMap<>();
      for (AlertState state : firingAt(evaluator, samples, lines, T0.plus(at))) {
        if (alertname.equals(state.labels().get("alertname"))) {
          Map<String, String> labels = new TreeMap<>(state.labels());
          labels.remove("alertname");
          gotLabels.add(labels);
          gotAnnotations.put(labels, state.annotations());
        }
      }
      List<Map<String, String>> wantLabels = new ArrayList<>();
      List<Map<String, String>> wantAnnotations = new ArrayList<>();
      for (YamlNode exp : check.get("exp_alerts").elements()) {
        exp.checkKeys(Set.of("exp_labels", "exp_annotations"), Set.of());
        wantLabels.add(new TreeMap<>(exp.get("exp_labels").stringMap()));
        wantAnnotations.add(
            exp.get("exp_annotations").isAbsent() ? null : exp.get("exp_annotations").stringMap());
      }
      String where =
          name + ", eval_time " + at.toString().substring(2).toLowerCase() + ", " + alertname;
      Comparator<Map<String, String>> byText = Comparator.comparing(Object::toString);
      List<Map<String, String>> got = gotLabels.stream().sorted(byText).toList();
      List<Map<String, String>> want = wantLabels.stream().sorted(byText).toList();
      if (!got.equals(want)) {
        failures.add(new Failure(name, where + ": expected firing " + want + ", got " + got));
        continue;
      }
      for (int i = 0; i < wantLabels.size(); i++) {
        Map<String, String> annotations = wantAnnotations.get(i);
        Map<String, String> actual = gotAnnotations.get(wantLabels.get(i));
        if (annotations != null && !new TreeMap<>(annotations).equals(new TreeMap<>(actual))) {
          failures.add(
              new Failure(
                  name,
                  where
                      + " "
                      + wantLabels.get(i)
                      + ": expected annotations "
                      + new TreeMap<>(annotations)
                      + ", got "
                      + new TreeMap<>(actual)));
        }
      }
    }
    return failures;
  }

  /**
   * Replays {@code samples} and {@code lines} up to {@code at} into fresh state, log-pattern rules
   * compared every second; the alerts firing then.
   */
  private static List<AlertState> firingAt(
      AlertEvaluator evaluator, List<Sample> samples, List<LogLine> lines, Instant at) {
    Map<String, AlertState> store = new LinkedHashMap<>();
    AlertEvaluator.States states = AlertEvaluator.States.of(store::get, store::put, store::remove);
    TreeMap<String, Learned> learned = new TreeMap<>();
    Memory memory = Memory.of(learned);
    LogRules logRules = evaluator.logRules();
    Map<String, AlertState> logStore = new LinkedHashMap<>();
    AlertEvaluator.States logStates =
        AlertEvaluator.States.of(logStore::get, logStore::put, logStore::remove);
    Map<String, LogWindow> counts = new TreeMap<>();
    LogRules.Windows windows = LogRules.Windows.of(counts::get, counts::put, counts::remove);
    Instant ticked = T0;
    int s = 0;
    int l = 0;
    while (s < samples.size() || l < lines.size()) {
      boolean sampleNext =
          l == lines.size()
              || (s < samples.size() && !samples.get(s).time().isAfter(lines.get(l).time()));
      Instant time = sampleNext ? samples.get(s).time() : lines.get(l).time();
      if (time.isAfter(at)) {
        break;
      }
      ticked = tick(logRules, ticked, time, false, counts, windows, logStates);
      if (sampleNext) {
        Sample sample = samples.get(s++);
        evaluator.checkAbsences(sample.time(), List.copyOf(store.entrySet()), store::put);
        evaluator.forget(sample.time(), List.copyOf(learned.entrySet()), learned::remove);
        evaluator.evaluate(sample, states, memory, sample.time());
      } else {
        logRules.observe(lines.get(l++), windows, logStates, time);
      }
    }
    tick(logRules, ticked, at, true, counts, windows, logStates);
    evaluator.checkAbsences(at, List.copyOf(store.entrySet()), store::put);
    List<AlertState> firing = new ArrayList<>();
    store.values().stream().filter(AlertState::firing).forEach(firing::add);
    logStore.values().stream().filter(AlertState::firing).forEach(firing::add);
    return firing;
  }

  /**
   * Compares the log-pattern counts every second after {@code from} up to {@code to} (before it, or
   * at it too when {@code inclusive}), as the service does on its wall clock; the last time
   * compared.
   */
  private static Instant tick(
      LogRules logRules,
      Instant from,
      Instant to,
      boolean inclusive,
      Map<String, LogWindow> counts,
      LogRules.Windows windows,
      AlertEvaluator.States states) {
    if (!logRules.any()) {
      return to;
    }
    Instant t = from;
    for (Instant next = from.plusSeconds(1);
        next.isBefore(to) || (inclusive && next.equals(to));
        next = next.plusSeconds(1)) {
      logRules.tick(next, List.copyOf(counts.entrySet()), windows, states);
      t = next;
    }
    return t;
  }

  /** The input log lines in time order. */
  private static List<LogLine> lines(YamlNode inputs) {
    List<LogLine> lines = new ArrayList<>();
    for (YamlNode input : inputs.elements()) {
      input.checkKeys(Set.of("stream", "lines"), Set.of());
      YamlNode stream = input.get("stream");
      Map<String, String> labels = new TreeMap<>();
      try {
        for (Matcher m : Matcher.parseAll(stream.requiredText())) {
          if (m.type() != Matcher.Type.EQUAL) {
            throw new IllegalArgumentException("input streams take only label=\"value\" pairs");
          }
          if (!LogQuery.LABELS.contains(m.name())) {
            throw new IllegalArgumentException(
                "unknown log label '"
                    + m.name()
                    + "', known: "
                    + String.join(", ", LogQuery.LABELS));
          }
          labels.put(m.name(), m.value());
        }
      } catch (IllegalArgumentException e) {
        throw stream.error(e.getMessage());
      }
      for (YamlNode line : input.get("lines").elements()) {
        line.checkKeys(Set.of("at", "message", "times"), Set.of());
        Duration at = line.get("at").duration(null);
        if (at == null || at.isNegative()) {
          throw line.get("at").hidden("required, a duration from the start (0s or later)");
        }
        String message = line.get("message").requiredText();
        int times = 1;
        YamlNode timesNode = line.get("times");
        if (!timesNode.isAbsent()) {
          try {
            times = Integer.parseInt(timesNode.requiredText());
          } catch (NumberFormatException e) {
            times = 0;
          }
          if (times < 1) {
            throw timesNode.error("must be a whole number >= 1");
          }
        }
        for (int i = 0; i < times; i++) {
          lines.add(new LogLine(labels, message, T0.plus(at)));
        }
      }
    }
    lines.sort(Comparator.comparing(LogLine::time));
    return lines;
  }

  /** The input series as samples in time order, values with equal labels and time merged. */
  private static List<Sample> samples(YamlNode inputs, Duration interval) {
    Map<String, Sample> byKey = new TreeMap<>();
    for (YamlNode input : inputs.elements()) {
      input.checkKeys(Set.of("series", "values"), Set.of());
      String series = input.get("series").requiredText();
      Condition selector;
      try {
        selector = Condition.parse(series + " > 0");
      } catch (IllegalArgumentException e) {
        throw input.get("series").error(e.getMessage());
      }
      Map<String, String> labels = new TreeMap<>();
      for (Matcher m : selector.matchers()) {
        if (m.type() != Matcher.Type.EQUAL) {
          throw input.get("series").error("input series take only label=\"value\" pairs");
        }
        labels.put(m.name(), m.value());
      }
      List<Double> values;
      try {
        values = expand(input.get("values").requiredText());
      } catch (IllegalArgumentException e) {
        throw input.get("values").error(e.getMessage());
      }
      for (int i = 0; i < values.size(); i++) {
        if (values.get(i) == null) {
          continue;
        }
        Instant time = T0.plus(interval.multipliedBy(i));
        String seriesKey = selector.source() + labels.toString();
        String key = String.format("%020d|%s", time.toEpochMilli(), seriesKey);
        Sample before = byKey.get(key);
        Map<String, Double> merged = new HashMap<>(before == null ? Map.of() : before.values());
        merged.put(selector.field(), values.get(i));
        byKey.put(key, new Sample(selector.source(), seriesKey, labels, merged, time));
      }
    }
    return new ArrayList<>(byKey.values());
  }

  /** {@code 1 2 _ 3+1x2} → 1, 2, (none), 3, 4, 5. */
  static List<Double> expand(String text) {
    List<Double> out = new ArrayList<>();
    for (String token : text.trim().split("\\s+")) {
      if (token.isEmpty()) {
        continue;
      }
      if (token.equals("_")) {
        out.add(null);
        continue;
      }
      if (token.startsWith("_x")) {
        int n = Integer.parseInt(token.substring(2));
        for (int i = 0; i < n; i++) {
          out.add(null);
        }
        continue;
      }
      java.util.regex.Matcher m = EXPANDING.matcher(token);
      try {
        if (m.matches()) {
          double start = Double.parseDouble(m.group(1));
          double step = m.group(3) == null ? 0 : Double.parseDouble(m.group(3));
          if ("-".equals(m.group(2))) {
            step = -step;
          }
          int n = Integer.parseInt(m.group(4));
          for (int i = 0; i <= n; i++) {
            out.add(start + i * step);
          }
        } else {
          out.add(Double.parseDouble(token));
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "bad value '" + token + "': expected a number, _, a+bxN, a-bxN or axN");
      }
    }
    return out;
  }
}
