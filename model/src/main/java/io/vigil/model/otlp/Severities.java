package io.vigil.model.otlp;

import java.util.Locale;

/**
 * OTLP severity numbers and the level words logs use for them (OTLP's ranges: 1–4 trace, 5–8 debug,
 * 9–12 info, 13–16 warn, 17–20 error, 21–24 fatal). Shared by the collector, which sets the number
 * when it reads a level word from a log line, and the processor, which derives ECS {@code
 * log.level}. Pure.
 */
public final class Severities {
  private Severities() {}

  /** The severity number the common level words stand for (any case), 0 when none. */
  public static int number(String text) {
    if (text == null || text.isBlank()) {
      return 0;
    }
    return switch (text.strip().toLowerCase(Locale.ROOT)) {
      case "trace", "finest", "finer" -> 1;
      case "debug", "fine", "config", "dbug" -> 5;
      case "info", "information", "informational", "notice" -> 9;
      case "warn", "warning" -> 13;
      case "error", "err", "severe", "eror" -> 17;
      case "fatal", "critical", "crit", "alert", "emergency", "emerg", "panic" -> 21;
      default -> 0;
    };
  }

  /** The level word of a severity number: {@code trace} … {@code fatal}. */
  public static String level(int number) {
    if (number <= 4) {
      return "trace";
    } else if (number <= 8) {
      return "debug";
    } else if (number <= 12) {
      return "info";
    } else if (number <= 16) {
      return "warn";
    } else if (number <= 20) {
      return "error";
    }
    return "fatal";
  }
}
