package io.vigil.alerting.rules;

import io.vigil.model.config.Durations;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Parses the functions whose value a rule learns from history — {@code predict_linear(…)}, {@code
 * anomaly(…)} and {@code abs(anomaly(…))}, each compared with a number — into a {@link Condition}
 * with its {@link Learner}. Errors name the function and the argument, e.g. {@code anomaly: unknown
 * season '1m', expected 1d, 1w or none}.
 */
final class FunctionParser {
  /** A function's name and its opening parenthesis at the start of an expression. */
  static final Pattern FUNCTION = Pattern.compile("^\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\(");

  private static final String FUNCTIONS =
      "abs, absent_over_time, anomaly, count_over_time, predict_linear";

  /** The longest range, half-life or warm-up: far beyond use, far from overflowing. */
  private static final Duration LONGEST = Duration.ofDays(100 * 365);

  private static final Set<String> PARAMETERS =
      new TreeSet<>(Set.of("season", "half_life", "warmup", "min_samples", "min_dev", "tz"));
  private static final Pattern NUMBER =
      Pattern.compile("[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?");
  private static final String PREDICT_EXAMPLE =
      "predict_linear(saturation.memory_utilization{pod!=\"\"}[1h], 1h) > 1";
  private static final String ANOMALY_EXAMPLE = "anomaly(traffic.rate_per_s, season=1d) < -4";

  private FunctionParser() {}

  /**
   * {@code predict_linear(…)}, {@code anomaly(…)} or {@code abs(anomaly(…))} compared with a
   * number; {@code open} is the index of the function's {@code (}.
   */
  static Condition parse(String name, String s, int open) {
    if (!name.equals("predict_linear") && !name.equals("anomaly") && !name.equals("abs")) {
      throw new IllegalArgumentException(
          name.equals("absent_over_time")
              ? "expected 'absent_over_time(<field>[{label matchers}][<duration>])', alone,"
                  + " e.g. 'absent_over_time(traffic.requests{service=\"checkout\"}[5m])'"
              : "unknown function '" + name + "', known: " + FUNCTIONS);
    }
    int close = closingParenthesis(s, open);
    if (close < 0) {
      throw new IllegalArgumentException("expected ')' to close '" + name + "('");
    }
    String args = s.substring(open + 1, close);
    boolean absolute = name.equals("abs");
    if (absolute) {
      java.util.regex.Matcher inner = FUNCTION.matcher(args);
      int innerClose = inner.lookingAt() ? closingParenthesis(args, inner.end() - 1) : -1;
      if (innerClose < 0
          || !inner.group(1).equals("anomaly")
          || !args.substring(innerClose + 1).isBlank()) {
        throw new IllegalArgumentException(
            "abs(…) takes anomaly(…), e.g. 'abs(anomaly(latency_ms.p99)) > 4'");
      }
      name = "anomaly";
      args = args.substring(inner.end(), innerClose);
    }
    Condition.Selector selector =
        Condition.selector(args, name + ": expected a field, e.g. '" + example(name) + "'");
    Learner learner =
        name.equals("anomaly")
            ? anomaly(selector.field(), selector.rest(), absolute)
            : predictLinear(selector.field(), selector.rest());
    java.util.regex.Matcher c = Condition.comparison(s.substring(close + 1));
    if (c == null) {
      throw new IllegalArgumentException(
          (absolute ? "abs(anomaly(…))" : name + "(…)")
              + " must be compared with a number: expected '<op> <number>' after it with op one"
              + " of > >= < <= == !=, e.g. '"
              + example(name)
              + "'");
    }
    Condition.checkField(selector.field());
    return Condition.learned(selector, learner, c, s);
  }

  private static String example(String function) {
    return function.equals("anomaly") ? ANOMALY_EXAMPLE : PREDICT_EXAMPLE;
  }

  /**
   * Parses what follows the selector inside {@code predict_linear(…)}: {@code [<range>], <ahead>},
   * {@code ahead} a duration ({@code 4h}) or seconds as in PromQL ({@code 14400}).
   */
  static LinearPrediction predictLinear(String field, String rest) {
    String s = rest.strip();
    if (!s.startsWith("[")) {
      throw new IllegalArgumentException(
          "predict_linear: expected a range in brackets after the field, e.g. '"
              + PREDICT_EXAMPLE
              + "'");
    }
    int close = s.indexOf(']');
    if (close < 0) {
      throw new IllegalArgumentException("predict_linear: expected ']' to close the range");
    }
    String rangeText = s.substring(1, close).strip();
    Duration range = parseDuration(rangeText);
    if (range == null) {
      throw new IllegalArgumentException(
          "predict_linear: bad range '" + rangeText + "', expected e.g. [1h]");
    }
    if (range.compareTo(Duration.ofSeconds(1)) < 0 || range.compareTo(LONGEST) > 0) {
      throw new IllegalArgumentException(
          "predict_linear: the range must be from 1s to 100y, was [" + rangeText + "]");
    }
    String after = s.substring(close + 1).strip();
    if (!after.startsWith(",")) {
      throw new IllegalArgumentException(
          "predict_linear: expected ', <duration>' (how far ahead to predict) after the range,"
              + " e.g. '"
              + PREDICT_EXAMPLE
              + "'");
    }
    String aheadText = after.substring(1).strip();
    return new LinearPrediction(field, range, seconds(aheadText));
  }

  private static double seconds(String text) {
    if (NUMBER.matcher(text).matches()) {
      double s = Double.parseDouble(text);
      if (Math.abs(s) <= LONGEST.toSeconds()) {
        return s;
      }
    }
    Duration d = parseDuration(text);
    if (d == null || d.abs().compareTo(LONGEST) > 0) {
      throw new IllegalArgumentException(
          "predict_linear: bad duration '"
              + text
              + "' (how far ahead to predict), expected e.g. 4h or 14400 (seconds)");
    }
    return d.toMillis() / 1000.0;
  }

  /** Parses what follows the selector inside {@code anomaly(…)}: {@code [, name=value]…}. */
  static SeasonalBaseline anomaly(String field, String rest, boolean absolute) {
    Map<String, String> params = parameters(rest.strip());
    SeasonalBaseline.Season season = SeasonalBaseline.Season.DAY;
    String seasonText = params.get("season");
    if (seasonText != null) {
      season = null;
      for (SeasonalBaseline.Season s : SeasonalBaseline.Season.values()) {
        if (s.text().equals(seasonText)) {
          season = s;
        }
      }
      if (season == null) {
        throw new IllegalArgumentException(
            "anomaly: unknown season '" + seasonText + "', expected 1d, 1w or none");
      }
    }
    Duration halfLife = duration(params, "half_life", season.defaultHalfLife());
    Duration warmup =
        duration(
            params, "warmup", season.length() == null ? halfLife : season.length().multipliedBy(2));
    int minSamples = 10;
    String samples = params.get("min_samples");
    if (samples != null) {
      try {
        minSamples = Integer.parseInt(samples);
      } catch (NumberFormatException e) {
        minSamples = -1;
      }
      if (minSamples < 2) {
        throw new IllegalArgumentException(
            "anomaly: min_samples must be a whole number of at least 2, was '" + samples + "'");
      }
    }
    double minDev = 0;
    String dev = params.get("min_dev");
    if (dev != null) {
      minDev = NUMBER.matcher(dev).matches() ? Double.parseDouble(dev) : -1;
      if (minDev < 0 || Double.isInfinite(minDev)) {
        throw new IllegalArgumentException(
            "anomaly: min_dev must be a number >= 0 (in the field's unit), was '" + dev + "'");
      }
    }
    ZoneId zone = ZoneOffset.UTC;
    String tz = params.get("tz");
    if (tz != null) {
      try {
        zone = ZoneId.of(tz);
      } catch (DateTimeException e) {
        throw new IllegalArgumentException(
            "anomaly: unknown time zone '" + tz + "', expected e.g. UTC or Europe/Berlin");
      }
    }
    return new SeasonalBaseline(
        field, season, halfLife, warmup, minSamples, minDev, zone, absolute);
  }

  private static Map<String, String> parameters(String rest) {
    Map<String, String> params = new LinkedHashMap<>();
    if (rest.isEmpty()) {
      return params;
    }
    if (rest.startsWith("[")) {
      throw new IllegalArgumentException(
          "anomaly: takes no range (the baseline is learned from every sample), e.g. '"
              + ANOMALY_EXAMPLE
              + "'");
    }
    if (!rest.startsWith(",")) {
      throw new IllegalArgumentException(
          "anomaly: expected ', name=value' after the field, was '" + rest + "'");
    }
    for (String part : rest.substring(1).split(",", -1)) {
      String p = part.strip();
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "anomaly: expected name=value, was '" + p + "', e.g. season=1w");
      }
      String name = p.substring(0, eq).strip();
      String value = p.substring(eq + 1).strip();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      if (!PARAMETERS.contains(name)) {
        throw new IllegalArgumentException(
            "anomaly: unknown parameter '" + name + "', known: " + String.join(", ", PARAMETERS));
      }
      if (value.isEmpty()) {
        throw new IllegalArgumentException("anomaly: " + name + " has no value");
      }
      if (params.put(name, value) != null) {
        throw new IllegalArgumentException("anomaly: " + name + " is given twice");
      }
    }
    return params;
  }

  private static Duration duration(Map<String, String> params, String name, Duration otherwise) {
    String text = params.get(name);
    if (text == null) {
      return otherwise;
    }
    Duration d = parseDuration(text);
    if (d == null) {
      throw new IllegalArgumentException(
          "anomaly: bad " + name + " '" + text + "', expected a duration, e.g. 7d");
    }
    if (d.isNegative() || (d.isZero() && name.equals("half_life"))) {
      throw new IllegalArgumentException(
          "anomaly: "
              + name
              + " must be "
              + (name.equals("half_life") ? "> 0" : ">= 0")
              + ", was '"
              + text
              + "'");
    }
    if (d.compareTo(LONGEST) > 0) {
      throw new IllegalArgumentException(
          "anomaly: " + name + " must be at most 100y, was '" + text + "'");
    }
    return d;
  }

  /** {@code text} as a duration, or null when it is none (or beyond what millis can hold). */
  private static Duration parseDuration(String text) {
    try {
      Duration d = Durations.parse(text);
      d.toMillis();
      return d;
    } catch (IllegalArgumentException | ArithmeticException e) {
      return null;
    }
  }

  /** Index of the parenthesis closing the one at {@code open}, outside double quotes; or -1. */
  private static int closingParenthesis(String s, int open) {
    boolean quoted = false;
    int depth = 0;
    for (int i = open; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '\\' && quoted) {
        i++;
      } else if (ch == '"') {
        quoted = !quoted;
      } else if (!quoted && ch == '(') {
        depth++;
      } else if (!quoted && ch == ')' && --depth == 0) {
        return i;
      }
    }
    return -1;
  }
}
