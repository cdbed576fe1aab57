package io.vigil.alerting.rules;

import io.vigil.alerting.route.Matcher;
import io.vigil.model.config.Durations;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Pattern;

/**
 * A rule's {@code expr}: {@code <field>[{<label matchers>}] <op> <number>}, e.g. {@code
 * errors.ratio > 0.05} or {@code pipeline.failed{job=~"dbt_.*"} > 0}. The field names a value of
 * one {@link Sample.Source} ({@link Samples}), which decides what the rule watches; the matchers
 * ({@code =}, {@code !=}, {@code =~}, {@code !~}, as in Prometheus) select the series by label.
 * {@code absent_over_time(<field>{…}[5m])} holds for a series watched by the rule that has sent no
 * sample for five minutes of wall-clock time. Two functions compare what the rule learned from the
 * series' history instead of the sample's value ({@link Learner}): {@code
 * predict_linear(<field>{…}[<range>], <ahead>) <op> <number>} ({@link LinearPrediction}) and {@code
 * anomaly(<field>{…}[, season=1d|1w|none, …]) <op> <number>}, also as {@code abs(anomaly(…))}
 * ({@link SeasonalBaseline}). {@code count_over_time({<log label matchers>} <line filters>
 * [<range>]) <op> <number>} counts the matching lines of {@code vigil.logs} per series over the
 * range ({@link LogQuery}, {@link LogRules}).
 */
public final class Condition {
  private static final Pattern FIELD = Pattern.compile("^\\s*([A-Za-z_@][A-Za-z0-9_.@]*)");
  private static final Pattern COMPARISON =
      Pattern.compile(
          "^\\s*(>=|<=|==|!=|>|<)\\s*([-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?)\\s*$");
  private static final String SYNTAX_HELP =
      "expected '<field>[{label matchers}] <op> <number>' with op one of > >= < <= == !=, e.g."
          + " 'errors.ratio > 0.05'";

  /** Comparison operators, as written in rule files. */
  public enum Operator {
    /** {@code >} */
    GT(">"),
    /** {@code >=} */
    GE(">="),
    /** {@code <} */
    LT("<"),
    /** {@code <=} */
    LE("<="),
    /** {@code ==} */
    EQ("=="),
    /** {@code !=} */
    NE("!=");

    private final String symbol;

    Operator(String symbol) {
      this.symbol = symbol;
    }

    /** The operator as written, e.g. {@code >=}. */
    public String symbol() {
      return symbol;
    }

    boolean test(double left, double right) {
      return switch (this) {
        case GT -> left > right;
        case GE -> left >= right;
        case LT -> left < right;
        case LE -> left <= right;
        case EQ -> left == right;
        case NE -> left != right;
      };
    }

    static Operator ofSymbol(String symbol) {
      for (Operator op : values()) {
        if (op.symbol.equals(symbol)) {
          return op;
        }
      }
      throw new IllegalArgumentException("unknown operator " + symbol);
    }
  }

  private static final Pattern ABSENT =
      Pattern.compile("^\\s*absent_over_time\\s*\\((.*)\\[\\s*([^\\]\\s]+)\\s*\\]\\s*\\)\\s*$");

  private final String field;
  private final Sample.Source source;
  private final List<Matcher> matchers;
  private final Operator operator;
  private final double threshold;
  private final Duration absentFor;
  private final Learner learner;
  private final LogQuery logQuery;
  private final String text;

  /** The label of a service's per-operation series. */
  static final String OPERATION = "operation";

  /** Whether a matcher names {@link #OPERATION}: only such rules watch per-operation series. */
  private final boolean namesOperation;

  private Condition(
      String field,
      List<Matcher> matchers,
      Operator operator,
      double threshold,
      Duration absentFor,
      Learner learner,
      String text) {
    this(
        field,
        Samples.sourceOf(field),
        matchers,
        operator,
        threshold,
        absentFor,
        learner,
        null,
        text);
  }

  private Condition(
      String field,
      Sample.Source source,
      List<Matcher> matchers,
      Operator operator,
      double threshold,
      Duration absentFor,
      Learner learner,
      LogQuery logQuery,
      String text) {
    this.field = field;
    this.source = source;
    this.matchers = List.copyOf(matchers);
    this.operator = operator;
    this.threshold = threshold;
    this.absentFor = absentFor;
    this.learner = learner;
    this.logQuery = logQuery;
    this.text = text;
    this.namesOperation = matchers.stream().anyMatch(m -> m.name().equals(OPERATION));
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException with a message fit to follow the key, e.g. {@code unknown
   *     field 'errors.ration'}
   */
  public static Condition parse(String text) {
    String s = text == null ? "" : text;
    java.util.regex.Matcher absent = ABSENT.matcher(s);
    if (absent.matches()) {
      Duration d;
      try {
        d = Durations.parse(absent.group(2));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "absent_over_time: bad duration '" + absent.group(2) + "', e.g. [5m]");
      }
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException("absent_over_time: the duration must be > 0");
      }
      Condition selector = parse(absent.group(1).trim() + " > 0");
      if (selector.learns() || selector.isLogCount()) {
        throw new IllegalArgumentException(
            "absent_over_time takes a field and its label matchers, not a function, e.g."
                + " 'absent_over_time(traffic.requests{service=\"checkout\"}[5m])'");
      }
      return new Condition(selector.field, selector.matchers, Operator.GT, 0, d, null, s.trim());
    }
    java.util.regex.Matcher function = FunctionParser.FUNCTION.matcher(s);
    if (function.lookingAt() && function.group(1).equals("count_over_time")) {
      return LogQuery.parse(s, function.end() - 1);
    }
    if (function.lookingAt()) {
      return FunctionParser.parse(function.group(1), s, function.end() - 1);
    }
    Selector selector = selector(s, SYNTAX_HELP);
    java.util.regex.Matcher c = COMPARISON.matcher(selector.rest);
    if (!c.matches()) {
      throw new IllegalArgumentException(SYNTAX_HELP);
    }
    checkField(selector.field);
    return new Condition(
        selector.field,
        selector.matchers,
        Operator.ofSymbol(c.group(1)),
        Double.parseDouble(c.group(2)),
        null,
        null,
        s.trim());
  }

  /** A field, its label matchers, and the text after them. */
  record Selector(String field, List<Matcher> matchers, String rest) {}

  /**
   * Reads {@code <field>[{matchers}]} at the start of {@code s}; {@code help} when there is none.
   */
  static Selector selector(String s, String help) {
    java.util.regex.Matcher f = FIELD.matcher(s);
    if (!f.find()) {
      throw new IllegalArgumentException(help);
    }
    String rest = s.substring(f.end()).stripLeading();
    List<Matcher> matchers = List.of();
    if (rest.startsWith("{")) {
      int close = closingBrace(rest);
      if (close < 0) {
        throw new IllegalArgumentException("unclosed '{' in label matchers");
      }
      String inside = rest.substring(1, close);
      matchers = inside.isBlank() ? List.of() : Matcher.parseAll(inside);
      rest = rest.substring(close + 1);
    }
    return new Selector(f.group(1), matchers, rest);
  }

  /**
   * The comparison {@code <op> <number>} that {@code rest} consists of, or null when it is not one.
   */
  static java.util.regex.Matcher comparison(String rest) {
    java.util.regex.Matcher c = COMPARISON.matcher(rest);
    return c.matches() ? c : null;
  }

  /** {@code selector} compared with {@code c}'s operator and number, after {@code learner}. */
  static Condition learned(
      Selector selector, Learner learner, java.util.regex.Matcher c, String text) {
    return new Condition(
        selector.field,
        selector.matchers,
        Operator.ofSymbol(c.group(1)),
        Double.parseDouble(c.group(2)),
        null,
        learner,
        text.trim());
  }

  /** {@code query}'s line count compared with {@code c}'s operator and number. */
  static Condition logCount(LogQuery query, java.util.regex.Matcher c, String text) {
    return new Condition(
        "count_over_time",
        Sample.Source.LOGS,
        query.matchers(),
        Operator.ofSymbol(c.group(1)),
        Double.parseDouble(c.group(2)),
        null,
        null,
        query,
        text.trim());
  }

  /** Fails, listing the known fields, when no source has {@code field}. */
  static void checkField(String field) {
    if (Samples.sourceOf(field) == null) {
      throw new IllegalArgumentException(
          "unknown field '" + field + "', known: " + String.join(", ", Samples.fieldNames()));
    }
  }

  /** Index of the brace closing the one at 0, outside double quotes; -1 when there is none. */
  private static int closingBrace(String s) {
    boolean quoted = false;
    for (int i = 1; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '\\' && quoted) {
        i++;
      } else if (ch == '"') {
        quoted = !quoted;
      } else if (ch == '}' && !quoted) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Whether the rule watches {@code sample}: same source and every matcher holds. A series of one
   * operation of a service (label {@code operation}) is watched only by rules whose matchers name
   * the label: its requests are its service's too, so a rule written for services does not page
   * once per service and again per route.
   */
  public boolean selects(Sample sample) {
    if (sample.source() != source) {
      return false;
    }
    if (sample.labels().containsKey(OPERATION) && !namesOperation) {
      return false;
    }
    for (Matcher m : matchers) {
      if (!m.matches(sample.labels())) {
        return false;
      }
    }
    return true;
  }

  /** The field's value in {@code sample}, empty when the sample lacks it. */
  public OptionalDouble value(Sample sample) {
    Double v = sample.values().get(field);
    return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
  }

  /** Whether {@code value} meets the condition. */
  public boolean test(double value) {
    return operator.test(value, threshold);
  }

  /** The field path, e.g. {@code errors.ratio}. */
  public String field() {
    return field;
  }

  /**
   * For {@code absent_over_time(<field>{…}[<d>])}: how long a series watched by the rule may go
   * without a sample (on the wall clock) before the alert fires; null for comparisons.
   */
  public Duration absentFor() {
    return absentFor;
  }

  /** Whether this is an absence condition. */
  public boolean isAbsence() {
    return absentFor != null;
  }

  /**
   * Whether the rule compares what it learned from the series' history ({@code predict_linear},
   * {@code anomaly}) rather than the sample's value.
   */
  public boolean learns() {
    return learner != null;
  }

  /** Whether the rule counts log lines ({@code count_over_time(…)}). */
  public boolean isLogCount() {
    return logQuery != null;
  }

  /** What a log-pattern rule counts, or null. */
  LogQuery logQuery() {
    return logQuery;
  }

  /** What the rule learns, or null. */
  Learner learner() {
    return learner;
  }

  /** The source whose samples the rule watches. */
  public Sample.Source source() {
    return source;
  }

  /** The label matchers selecting the series, maybe none. */
  public List<Matcher> matchers() {
    return matchers;
  }

  /** The comparison. */
  public Operator operator() {
    return operator;
  }

  /** The number compared against. */
  public double threshold() {
    return threshold;
  }

  @Override
  public String toString() {
    return text;
  }
}
