package io.vigil.alerting.route;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A label matcher as Alertmanager writes it: {@code name="value"}, {@code name!=value}, {@code
 * name=~"regex"}, {@code name!~regex}. Regular expressions are anchored at both ends and follow
 * Go's RE2 syntax, as in Alertmanager and Prometheus, matched in linear time (RE2/J): matchers come
 * from users through the silence API, and no pattern can make matching take exponential time. A
 * missing label matches as the empty string.
 */
public final class Matcher {
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private final String name;
  private final Type type;
  private final String value;
  private final Pattern pattern; // compiled once, for the regex types; null otherwise

  /** Comparison kinds. */
  public enum Type {
    /** {@code =} */
    EQUAL("="),
    /** {@code !=} */
    NOT_EQUAL("!="),
    /** {@code =~} */
    REGEX("=~"),
    /** {@code !~} */
    NOT_REGEX("!~");

    private final String symbol;

    Type(String symbol) {
      this.symbol = symbol;
    }

    /** The operator as written. */
    public String symbol() {
      return symbol;
    }
  }

  /**
   * A matcher of label {@code name} against {@code value} (a regular expression for the regex
   * types, compiled here so a bad one fails early).
   */
  public Matcher(String name, Type type, String value) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = Objects.requireNonNull(type, "type");
    this.value = Objects.requireNonNull(value, "value");
    if (!LABEL_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid label name '" + name + "'");
    }
    this.pattern = type == Type.REGEX || type == Type.NOT_REGEX ? compile(value) : null;
  }

  /** The label name. */
  public String name() {
    return name;
  }

  /** How the value is compared. */
  public Type type() {
    return type;
  }

  /** The value or regular expression as written. */
  public String value() {
    return value;
  }

  /** {@code name="value"}. */
  public static Matcher equal(String name, String value) {
    return new Matcher(name, Type.EQUAL, value);
  }

  /** {@code name=~"regex"}. */
  public static Matcher regex(String name, String regex) {
    return new Matcher(name, Type.REGEX, regex);
  }

  /** Whether {@code labels} satisfy this matcher. */
  public boolean matches(Map<String, String> labels) {
    String actual = labels.getOrDefault(name, "");
    return switch (type) {
      case EQUAL -> actual.equals(value);
      case NOT_EQUAL -> !actual.equals(value);
      case REGEX -> pattern.matcher(actual).matches();
      case NOT_REGEX -> !pattern.matcher(actual).matches();
    };
  }

  /**
   * Parses one {@code matchers} entry: one matcher, or several separated by commas, optionally in
   * braces ({@code {a="b", c=~"d"}}).
   *
   * @throws IllegalArgumentException with a message naming what is wrong
   */
  public static List<Matcher> parseAll(String text) {
    String s = text.trim();
    if (s.startsWith("{") && s.endsWith("}")) {
      s = s.substring(1, s.length() - 1);
    }
    List<Matcher> out = new ArrayList<>();
    for (String part : splitOutsideQuotes(s)) {
      if (!part.isBlank()) {
        out.add(parse(part));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("empty matcher");
    }
    return out;
  }

  /** Parses a single matcher such as {@code severity="critical"}. */
  public static Matcher parse(String text) {
    String s = text.trim();
    int i = 0;
    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
      i++;
    }
    String name = s.substring(0, i);
    String rest = s.substring(i).stripLeading();
    Type type = null;
    for (Type t : new Type[] {Type.REGEX, Type.NOT_REGEX, Type.NOT_EQUAL, Type.EQUAL}) {
      if (rest.startsWith(t.symbol)) {
        type = t;
        break;
      }
    }
    if (name.isEmpty() || type == null) {
      throw new IllegalArgumentException(
          "bad matcher '" + text + "', expected name=\"value\", name!=, name=~ or name!~");
    }
    String raw = rest.substring(type.symbol.length()).trim();
    return new Matcher(name, type, unquote(raw, text));
  }

  private static String unquote(String raw, String text) {
    if (!raw.startsWith("\"")) {
      return raw;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 1; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '\\' && i + 1 < raw.length()) {
        char next = raw.charAt(++i);
        out.append(
            switch (next) {
              case 'n' -> '\n';
              case 't' -> '\t';
              default -> next;
            });
      } else if (c == '"') {
        if (i != raw.length() - 1) {
          throw new IllegalArgumentException("text after closing quote in matcher '" + text + "'");
        }
        return out.toString();
      } else {
        out.append(c);
      }
    }
    throw new IllegalArgumentException("unterminated quote in matcher '" + text + "'");
  }

  private static List<String> splitOutsideQuotes(String s) {
    List<String> parts = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && quoted && i + 1 < s.length()) {
        current.append(c).append(s.charAt(++i));
        continue;
      }
      if (c == '"') {
        quoted = !quoted;
      }
      if (c == ',' && !quoted) {
        parts.add(current.toString());
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    parts.add(current.toString());
    return parts;
  }

  private static Pattern compile(String regex) {
    try {
      return Pattern.compile("^(?:" + regex + ")$");
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "invalid regular expression '" + regex + "': " + e.getDescription());
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Matcher m && name.equals(m.name) && type == m.type && value.equals(m.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type, value);
  }

  @Override
  public String toString() {
    return name + type.symbol + '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
