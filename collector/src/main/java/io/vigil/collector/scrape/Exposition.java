package io.vigil.collector.scrape;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses the Prometheus text format (0.0.4) and OpenMetrics 1.0 text into metric families, as
 * strictly as Prometheus does: a duplicate HELP or TYPE, a TYPE after its family's samples, a
 * fractional timestamp in the text format, a histogram {@code le} or summary {@code quantile} that
 * is no number, an unknown escape or an unquoted label value, a missing {@code # EOF} in
 * OpenMetrics — each is an error naming its line. Exemplars are read past. Pure.
 */
final class Exposition {
  /** The two formats, told apart by the scrape's Content-Type. */
  enum Format {
    TEXT,
    OPENMETRICS
  }

  /** One sample line: full name (with suffix), labels in order, value, timestamp in ms or null. */
  record Sample(String name, Map<String, String> labels, double value, Long timestampMillis) {}

  /** A family: name, type ({@code counter}, {@code gauge}, …, {@code untyped}), help, unit. */
  record Family(String name, String type, String help, String unit, List<Sample> samples) {}

  /** What is wrong with an exposition, and where. */
  static final class Invalid extends Exception {
    Invalid(int line, String message) {
      super("line " + line + ": " + message, null, false, false);
    }
  }

  private static final Set<String> TYPES =
      Set.of(
          "counter",
          "gauge",
          "histogram",
          "summary",
          "untyped",
          "unknown",
          "gaugehistogram",
          "info",
          "stateset");

  private final Format format;
  private final List<Family> families = new ArrayList<>();
  private final Set<String> helped = new HashSet<>();
  private final Set<String> typed = new HashSet<>();
  private final Set<String> sampled = new HashSet<>();
  private String name;
  private String type;
  private String help;
  private String unit;
  private List<Sample> samples;
  private int lineNumber;

  private Exposition(Format format) {
    this.format = format;
  }

  static List<Family> parse(String text, Format format) throws Invalid {
    Exposition parser = new Exposition(format);
    parser.run(text);
    return parser.families;
  }

  private void run(String text) throws Invalid {
    boolean eof = false;
    int start = 0;
    while (start < text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      String line = text.substring(start, end);
      start = end + 1;
      lineNumber++;
      if (eof) {
        throw new Invalid(lineNumber, "content after # EOF");
      }
      if (line.isEmpty()) {
        if (format == Format.OPENMETRICS) {
          throw new Invalid(lineNumber, "empty line (not allowed in OpenMetrics)");
        }
        continue;
      }
      if (line.charAt(0) == '#') {
        eof = comment(line);
      } else {
        sample(line);
      }
    }
    if (format == Format.OPENMETRICS && !eof) {
      throw new Invalid(lineNumber, "OpenMetrics exposition does not end with # EOF");
    }
    close();
  }

  /** A comment line; true for {@code # EOF}. */
  private boolean comment(String line) throws Invalid {
    if (format == Format.OPENMETRICS && line.equals("# EOF")) {
      return true;
    }
    String[] parts = line.split("[ \\t]+", 4);
    if (parts.length < 3 || !parts[0].equals("#")) {
      return false; // a plain comment
    }
    String keyword = parts[1];
    String metric = parts[2];
    String rest = parts.length == 4 ? parts[3] : "";
    switch (keyword) {
      case "HELP" -> {
        checkName(metric);
        if (!helped.add(metric)) {
          throw new Invalid(lineNumber, "second HELP line for " + metric);
        }
        family(metric);
        help = unescape(rest, false);
      }
      case "TYPE" -> {
        checkName(metric);
        if (!typed.add(metric)) {
          throw new Invalid(lineNumber, "second TYPE line for " + metric);
        }
        if (sampled.contains(metric)) {
          throw new Invalid(lineNumber, "TYPE line for " + metric + " after its samples");
        }
        String t = rest.trim().toLowerCase(java.util.Locale.ROOT);
        if (!TYPES.contains(t)) {
          throw new Invalid(lineNumber, "unknown metric type '" + rest.trim() + "'");
        }
        family(metric);
        type = t;
      }
      case "UNIT" -> {
        if (format == Format.OPENMETRICS) {
          family(metric);
          unit = rest.trim();
        }
      }
      default -> {} // a plain comment
    }
    return false;
  }

  /** Makes {@code metric} the current family, starting a new one if it is not. */
  private void family(String metric) {
    if (metric.equals(name)) {
      return;
    }
    close();
    name = metric;
    type = "untyped";
    help = null;
    unit = null;
    samples = new ArrayList<>();
  }

  private void close() {
    if (name != null) {
      families.add(new Family(name, type, help, unit, samples));
      name = null;
    }
  }

  private void sample(String line) throws Invalid {
    int i = 0;
    int n = line.length();
    while (i < n && isNameChar(line.charAt(i), i == 0)) {
      i++;
    }
    if (i == 0) {
      throw new Invalid(lineNumber, "no metric name at the start of '" + abbreviate(line) + "'");
    }
    String sampleName = line.substring(0, i);
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < n && line.charAt(i) == '{') {
      i = labels(line, i + 1, labels);
    }
    if (i >= n || (line.charAt(i) != ' ' && line.charAt(i) != '\t')) {
      throw new Invalid(lineNumber, "expected a space and a value after " + sampleName);
    }
    while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
      i++;
    }
    int exemplar = format == Format.OPENMETRICS ? line.indexOf(" # ", i) : -1;
    String rest = exemplar < 0 ? line.substring(i) : line.substring(i, exemplar);
    String[] tokens = rest.trim().split("[ \\t]+");
    if (tokens.length == 0 || tokens[0].isEmpty() || tokens.length > 2) {
      throw new Invalid(lineNumber, "expected a value and an optional timestamp: '" + rest + "'");
    }
    double value = number(tokens[0], "value");
    Long timestamp = tokens.length == 2 ? timestamp(tokens[1]) : null;
    String family = familyOf(sampleName);
    if (!family.equals(name)) {
      family(family);
    }
    sampled.add(family);
    checkSpecialLabels(labels);
    samples.add(new Sample(sampleName, labels, value, timestamp));
  }

  /** The family a sample name belongs to: the current one when it is its name plus a suffix. */
  private String familyOf(String sampleName) {
    if (name != null) {
      if (sampleName.equals(name)) {
        return name;
      }
      if (sampleName.startsWith(name)) {
        String suffix = sampleName.substring(name.length());
        boolean fits =
            switch (type) {
              case "counter" -> suffix.equals("_total") || suffix.equals("_created");
              case "histogram", "gaugehistogram" ->
                  suffix.equals("_bucket")
                      || suffix.equals("_sum")
                      || suffix.equals("_count")
                      || suffix.equals("_created")
                      || suffix.equals("_gsum")
                      || suffix.equals("_gcount");
              case "summary" ->
                  suffix.equals("_sum") || suffix.equals("_count") || suffix.equals("_created");
              case "info" -> suffix.equals("_info");
              default -> false;
            };
        if (fits) {
          return name;
        }
      }
    }
    return sampleName;
  }

  private void checkSpecialLabels(Map<String, String> labels) throws Invalid {
    if (("histogram".equals(type) || "gaugehistogram".equals(type)) && labels.containsKey("le")) {
      number(labels.get("le"), "le label");
    }
    if ("summary".equals(type) && labels.containsKey("quantile")) {
      number(labels.get("quantile"), "quantile label");
    }
  }

  /** Reads {@code name="value",…}} from {@code i}; returns the index after the brace. */
  private int labels(String line, int i, Map<String, String> labels) throws Invalid {
    int n = line.length();
    while (true) {
      while (i < n && line.charAt(i) == ' ') {
        i++;
      }
      if (i < n && line.charAt(i) == '}') {
        return i + 1;
      }
      int start = i;
      while (i < n && isNameChar(line.charAt(i), i == start)) {
        i++;
      }
      if (i == start) {
        throw new Invalid(lineNumber, "expected a label name at column " + (i + 1));
      }
      String label = line.substring(start, i);
      if (i >= n || line.charAt(i) != '=') {
        throw new Invalid(lineNumber, "expected '=' after label " + label);
      }
      i++;
      if (i >= n || line.charAt(i) != '"') {
        throw new Invalid(lineNumber, "label " + label + "'s value is not quoted");
      }
      i++;
      StringBuilder value = new StringBuilder();
      boolean closed = false;
      while (i < n) {
        char c = line.charAt(i++);
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i >= n) {
            break;
          }
          char e = line.charAt(i++);
          switch (e) {
            case '\\' -> value.append('\\');
            case '"' -> value.append('"');
            case 'n' -> value.append('\n');
            default ->
                throw new Invalid(lineNumber, "invalid escape \\" + e + " in label " + label);
          }
        } else {
          value.append(c);
        }
      }
      if (!closed) {
        throw new Invalid(lineNumber, "label " + label + "'s value is not closed on its line");
      }
      if (labels.put(label, value.toString()) != null) {
        throw new Invalid(lineNumber, "label " + label + " appears twice");
      }
      while (i < n && line.charAt(i) == ' ') {
        i++;
      }
      if (i < n && line.charAt(i) == ',') {
        i++;
      } else if (i < n && line.charAt(i) == '}') {
        return i + 1;
      } else {
        throw new Invalid(lineNumber, "expected ',' or '}' after label " + label);
      }
    }
  }

  private double number(String text, String what) throws Invalid {
    switch (text) {
      case "+Inf", "Inf", "+inf", "inf" -> {
        return Double.POSITIVE_INFINITY;
      }
      case "-Inf", "-inf" -> {
        return Double.NEGATIVE_INFINITY;
      }
      case "NaN", "nan" -> {
        return Double.NaN;
      }
      default -> {}
    }
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new Invalid(lineNumber, what + " '" + text + "' is not a number");
    }
  }

  private Long timestamp(String text) throws Invalid {
    if (format == Format.TEXT) {
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new Invalid(lineNumber, "timestamp '" + text + "' is not an integer of milliseconds");
      }
    }
    double seconds = number(text, "timestamp");
    return Math.round(seconds * 1000);
  }

  private void checkName(String metric) throws Invalid {
    for (int i = 0; i < metric.length(); i++) {
      if (!isNameChar(metric.charAt(i), i == 0)) {
        throw new Invalid(lineNumber, "invalid metric name '" + metric + "'");
      }
    }
  }

  private static boolean isNameChar(char c, boolean first) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || c == '_'
        || c == ':'
        || (!first && c >= '0' && c <= '9');
  }

  private String unescape(String text, boolean quotes) throws Invalid {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '\\' || i + 1 >= text.length()) {
        out.append(c);
        continue;
      }
      char e = text.charAt(++i);
      switch (e) {
        case '\\' -> out.append('\\');
        case 'n' -> out.append('\n');
        case '"' -> {
          if (!quotes) {
            out.append('\\');
          }
          out.append('"');
        }
        default -> out.append('\\').append(e); // HELP text is lenient, as in Prometheus
      }
    }
    return out.toString();
  }

  private static String abbreviate(String line) {
    return line.length() <= 60 ? line : line.substring(0, 60) + "…";
  }
}
