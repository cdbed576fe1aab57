package io.vigil.alerting.rules;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.vigil.alerting.route.Matcher;
import io.vigil.model.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A log-pattern rule's query, in LogQL's shape: {@code count_over_time({<label matchers>} <line
 * filters> [<range>]) <op> <number>}, e.g. {@code count_over_time({service="checkout",
 * level=~"error|fatal"} |~ "OutOfMemoryError|Connection refused" [5m]) > 3}.
 *
 * <p>The stream selector takes the labels of a {@code vigil.logs} record ({@link #LABELS}); at
 * least one matcher must not match the empty string (as Loki requires), so a rule never looks at
 * every line of every cluster. Line filters are Loki's: {@code |= "text"} (contains), {@code !=
 * "text"} (does not contain), {@code |~ "regex"} (matches somewhere in the line), {@code !~
 * "regex"} (does not); all must hold. Regexes are RE2, matched in linear time by RE2/J. Strings are
 * written in double quotes with Go's escapes ({@code \\}, {@code \"}, {@code \n}, {@code \t}) or in
 * backquotes, raw.
 *
 * <p>A line is counted for the series of its {@code cluster}, {@code namespace} and {@code service}
 * plus each label the selector matches with {@code =} (one value per rule): regex matchers select
 * lines without splitting the count ({@code level=~"error|fatal"} counts both levels together).
 */
final class LogQuery {
  /** The labels of a log line a selector may name. */
  static final Set<String> LABELS =
      new TreeSet<>(
          Set.of("cluster", "namespace", "service", "level", "pod", "container", "node", "host"));

  /** The labels every log-pattern series has (those the line carries). */
  private static final List<String> SERIES_LABELS = List.of("cluster", "namespace", "service");

  static final String EXAMPLE =
      "count_over_time({service=\"checkout\", level=~\"error|fatal\"} |~ \"OutOfMemoryError\""
          + " [5m]) > 3";

  /** The shortest and the longest range. */
  private static final Duration SHORTEST = Duration.ofSeconds(1);

  private static final Duration LONGEST = Duration.ofDays(7);

  /** A line filter: {@code |=}, {@code !=}, {@code |~} or {@code !~} and its text. */
  record LineFilter(String op, String text, Pattern regex) {
    boolean test(String line) {
      return switch (op) {
        case "|=" -> line.contains(text);
        case "!=" -> !line.contains(text);
        case "|~" -> regex.matcher(line).find();
        default -> !regex.matcher(line).find();
      };
    }

    @Override
    public String toString() {
      return op + " \"" + text + "\"";
    }
  }

  private final List<Matcher> matchers;
  private final List<LineFilter> filters;
  private final Duration range;
  private final List<String> seriesLabels;

  private LogQuery(List<Matcher> matchers, List<LineFilter> filters, Duration range) {
    this.matchers = List.copyOf(matchers);
    this.filters = List.copyOf(filters);
    this.range = range;
    Set<String> series = new TreeSet<>(SERIES_LABELS);
    matchers.stream()
        .filter(m -> m.type() == Matcher.Type.EQUAL && !m.value().isEmpty())
        .forEach(m -> series.add(m.name()));
    this.seriesLabels = List.copyOf(series);
  }

  /** The label matchers of the stream selector. */
  List<Matcher> matchers() {
    return matchers;
  }

  /** The line filters, in order. */
  List<LineFilter> filters() {
    return filters;
  }

  /** The range counted over. */
  Duration range() {
    return range;
  }

  /**
   * A text every matching line contains as it stands in its raw JSON record: the longest {@code |=}
   * text made of printable ASCII other than {@code "} and {@code \} (JSON writes those characters
   * unescaped, so the record's bytes contain the text wherever the message does); null when the
   * query has no such filter.
   */
  String requiredRawText() {
    String longest = null;
    for (LineFilter f : filters) {
      if (f.op().equals("|=")
          && !f.text().isEmpty()
          && f.text().chars().allMatch(c -> c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
          && (longest == null || f.text().length() > longest.length())) {
        longest = f.text();
      }
    }
    return longest;
  }

  /**
   * Whether {@code line} counts: every label matcher holds (checked first, cheap), then every line
   * filter.
   */
  boolean matches(LogLine line) {
    for (Matcher m : matchers) {
      if (!m.matches(line.labels())) {
        return false;
      }
    }
    for (LineFilter f : filters) {
      if (!f.test(line.message())) {
        return false;
      }
    }
    return true;
  }

  /** The labels of the series {@code labels} (a line's) counts for. */
  Map<String, String> seriesLabels(Map<String, String> labels) {
    Map<String, String> out = new TreeMap<>();
    for (String name : seriesLabels) {
      String value = labels.get(name);
      if (value != null && !value.isEmpty()) {
        out.put(name, value);
      }
    }
    return out;
  }

  /**
   * Parses {@code count_over_time(…)} compared with a number; {@code open} is the index of the
   * function's {@code (} in {@code s}.
   *
   * @throws IllegalArgumentException naming the function and what is wrong, e.g. {@code
   *     count_over_time: bad regex in |~ "(oom": missing closing )}
   */
  static Condition parse(String s, int open) {
    int close = closing(s, open, '(', ')');
    if (close < 0) {
      throw new IllegalArgumentException("expected ')' to close 'count_over_time('");
    }
    LogQuery query = parseArguments(s.substring(open + 1, close));
    java.util.regex.Matcher c = Condition.comparison(s.substring(close + 1));
    if (c == null) {
      throw new IllegalArgumentException(
          "count_over_time(…) must be compared with a number: expected '<op> <number>' after it"
              + " with op one of > >= < <= == !=, e.g. '"
              + EXAMPLE
              + "'");
    }
    return Condition.logCount(query, c, s);
  }

  private static LogQuery parseArguments(String args) {
    String rest = args.strip();
    if (!rest.startsWith("{")) {
      throw new IllegalArgumentException(
          "count_over_time: expected a log stream selector in braces, e.g. '" + EXAMPLE + "'");
    }
    int brace = closing(rest, 0, '{', '}');
    if (brace < 0) {
      throw new IllegalArgumentException("count_over_time: unclosed '{' in the stream selector");
    }
    String inside = rest.substring(1, brace);
    List<Matcher> matchers;
    try {
      matchers = inside.isBlank() ? List.of() : Matcher.parseAll(inside);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("count_over_time: " + e.getMessage());
    }
    for (Matcher m : matchers) {
      if (!LABELS.contains(m.name())) {
        throw new IllegalArgumentException(
            "count_over_time: unknown log label '"
                + m.name()
                + "', known: "
                + String.join(", ", LABELS));
      }
    }
    if (matchers.stream().allMatch(m -> m.matches(Map.of()))) {
      throw new IllegalArgumentException(
          "count_over_time: the stream selector needs at least one matcher that does not match"
              + " the empty string, e.g. {service=\"checkout\"} or {level=~\"error|fatal\"}");
    }
    rest = rest.substring(brace + 1).strip();
    List<LineFilter> filters = new ArrayList<>();
    while (!rest.startsWith("[")) {
      String op = rest.length() < 2 ? "" : rest.substring(0, 2);
      if (!op.equals("|=") && !op.equals("!=") && !op.equals("|~") && !op.equals("!~")) {
        throw new IllegalArgumentException(
            rest.isEmpty()
                ? "count_over_time: expected the range after the selector, e.g. [5m]"
                : "count_over_time: expected a line filter (|= != |~ !~ and a quoted string) or"
                    + " the range [5m], at '"
                    + rest
                    + "'");
      }
      rest = rest.substring(2).strip();
      int[] end = new int[1];
      String text = string(rest, end);
      rest = rest.substring(end[0]).strip();
      filters.add(filter(op, text));
    }
    int bracket = rest.indexOf(']');
    if (bracket < 0) {
      throw new IllegalArgumentException("count_over_time: expected ']' to close the range");
    }
    String rangeText = rest.substring(1, bracket).strip();
    if (!rest.substring(bracket + 1).isBlank()) {
      throw new IllegalArgumentException(
          "count_over_time: unexpected '"
              + rest.substring(bracket + 1).strip()
              + "' after the range; the range comes last, e.g. '"
              + EXAMPLE
              + "'");
    }
    Duration range;
    try {
      range = Durations.parse(rangeText);
      range.toMillis();
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new IllegalArgumentException(
          "count_over_time: bad range '" + rangeText + "', expected e.g. [5m]");
    }
    if (range.compareTo(SHORTEST) < 0 || range.compareTo(LONGEST) > 0) {
      throw new IllegalArgumentException(
          "count_over_time: the range must be from 1s to 7d, was [" + rangeText + "]");
    }
    return new LogQuery(matchers, filters, range);
  }

  private static LineFilter filter(String op, String text) {
    if (op.equals("|=") || op.equals("!=")) {
      return new LineFilter(op, text, null);
    }
    try {
      return new LineFilter(op, text, Pattern.compile(text));
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "count_over_time: bad regex in " + op + " \"" + text + "\": " + e.getDescription());
    }
  }

  /**
   * The string literal at the start of {@code s} — {@code "…"} with Go's escapes or {@code `…`}
   * raw; {@code end[0]} receives the index after it.
   */
  private static String string(String s, int[] end) {
    if (s.startsWith("`")) {
      int close = s.indexOf('`', 1);
      if (close < 0) {
        throw new IllegalArgumentException("count_over_time: unclosed ` in a line filter");
      }
      end[0] = close + 1;
      return s.substring(1, close);
    }
    if (!s.startsWith("\"")) {
      throw new IllegalArgumentException(
          "count_over_time: a line filter takes a string in double quotes or backquotes, at '"
              + s
              + "'");
    }
    StringBuilder out = new StringBuilder();
    for (int i = 1; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '"') {
        end[0] = i + 1;
        return out.toString();
      }
      if (ch != '\\') {
        out.append(ch);
        continue;
      }
      if (++i == s.length()) {
        break;
      }
      char escaped = s.charAt(i);
      switch (escaped) {
        case '\\', '"' -> out.append(escaped);
        case 'n' -> out.append('\n');
        case 't' -> out.append('\t');
        case 'r' -> out.append('\r');
        default ->
            throw new IllegalArgumentException(
                "count_over_time: unknown escape '\\"
                    + escaped
                    + "' in a line filter: write \\\\"
                    + escaped
                    + " for a regex escape, or put the regex in `backquotes`");
      }
    }
    throw new IllegalArgumentException("count_over_time: unclosed \" in a line filter");
  }

  /**
   * Index of the {@code closer} closing the {@code opener} at {@code open}, outside double quotes
   * and backquotes; -1 when there is none.
   */
  private static int closing(String s, int open, char opener, char closer) {
    int depth = 0;
    char quote = 0;
    for (int i = open; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (quote == '"' && ch == '\\') {
        i++;
      } else if (quote != 0) {
        if (ch == quote) {
          quote = 0;
        }
      } else if (ch == '"' || ch == '`') {
        quote = ch;
      } else if (ch == opener) {
        depth++;
      } else if (ch == closer && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public String toString() {
    return "count_over_time(" + matchers + " " + filters + " [" + range + "])";
  }
}
