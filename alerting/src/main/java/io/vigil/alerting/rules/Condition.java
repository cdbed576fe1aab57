package io.vigil.alerting.rules;

import io.vigil.model.signal.GoldenSignal;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rule's {@code expr}: {@code <field path> <op> <number>}, e.g. {@code errors.ratio > 0.05}. The
 * path addresses the golden-signal JSON; a signal lacking the section does not match.
 */
public final class Condition {
  private static final Pattern SYNTAX =
      Pattern.compile(
          "^\\s*([A-Za-z_@][A-Za-z0-9_.@]*)\\s*(>=|<=|==|!=|>|<)\\s*"
              + "([-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?)\\s*$");

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

  private final String field;
  private final Operator operator;
  private final double threshold;
  private final String text;

  private Condition(String field, Operator operator, double threshold, String text) {
    this.field = field;
    this.operator = operator;
    this.threshold = threshold;
    this.text = text;
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException with a message fit to follow the key, e.g. {@code unknown
   *     field 'errors.ration'}
   */
  public static Condition parse(String text) {
    Matcher m = SYNTAX.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "expected '<field> <op> <number>' with op one of > >= < <= == !=, e.g. 'errors.ratio >"
              + " 0.05'");
    }
    String field = m.group(1);
    if (!SignalFields.isNumeric(field)) {
      throw new IllegalArgumentException("unknown field '" + field + "'");
    }
    return new Condition(
        field, Operator.ofSymbol(m.group(2)), Double.parseDouble(m.group(3)), text.trim());
  }

  /** The field's value in {@code signal}, empty when the signal lacks it. */
  public OptionalDouble value(GoldenSignal signal) {
    return SignalFields.read(signal, field);
  }

  /** Whether {@code value} meets the condition. */
  public boolean test(double value) {
    return operator.test(value, threshold);
  }

  /** The field path, e.g. {@code errors.ratio}. */
  public String field() {
    return field;
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
