package io.vigil.alerting.rules;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders the Prometheus-style placeholders Vigil supports in annotations and notifier texts:
 * {@code {{ $labels.<name> }}}, {@code {{ $value }}}, and Prometheus' {@code {{ $value | humanize
 * }}} (four significant digits) and {@code {{ $value | humanizePercentage }}} ({@code 0.2333} →
 * {@code 23.33%}); for log-pattern rules also {@code {{ $line }}}, the latest matching line (empty
 * for other rules). Plain substitution, no logic; any other {@code {{ … }}} is left as written so a
 * user sees what was not understood.
 */
public final class Template {
  private static final Pattern PLACEHOLDER =
      Pattern.compile(
          "\\{\\{\\s*\\$(labels\\.([A-Za-z_][A-Za-z0-9_]*)|value|line)"
              + "(?:\\s*\\|\\s*(humanize|humanizePercentage))?\\s*}}");

  private Template() {}

  /** Replaces the placeholders in {@code template}; a missing label renders as empty text. */
  public static String render(String template, Map<String, String> labels, double value) {
    return render(template, labels, value, "");
  }

  /**
   * Replaces the placeholders in {@code template}, {@code {{ $line }}} with {@code line}; a missing
   * label renders as empty text.
   */
  public static String render(
      String template, Map<String, String> labels, double value, String line) {
    if (template == null || !template.contains("{{")) {
      return template;
    }
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement =
          m.group(2) != null
              ? labels.getOrDefault(m.group(2), "")
              : m.group(1).equals("line") ? line : formatValue(value, m.group(3));
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String formatValue(double value, String function) {
    if (function == null || Double.isNaN(value) || Double.isInfinite(value)) {
      return formatValue(value);
    }
    return switch (function) {
      case "humanizePercentage" -> round4(value * 100) + "%";
      default -> round4(value);
    };
  }

  /** Four significant digits, trailing zeros dropped: {@code 0.2333}, {@code 1235}. */
  private static String round4(double value) {
    return new BigDecimal(value)
        .round(new java.math.MathContext(4))
        .stripTrailingZeros()
        .toPlainString();
  }

  /** Formats a sample value the short way: {@code 0.2}, {@code 120}, {@code NaN}. */
  public static String formatValue(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return Double.toString(value);
    }
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }
}
