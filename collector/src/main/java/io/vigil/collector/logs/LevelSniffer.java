package io.vigil.collector.logs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vigil.model.otlp.Severities;
import java.io.IOException;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Finds the level an application wrote into a log line: a JSON log's {@code level} / {@code
 * severity} / {@code lvl} / {@code log.level} / {@code loglevel} field, logfmt's {@code level=…},
 * else a level word among the first words ({@code ERROR}, {@code [warn]}, {@code I1203} is not
 * one). Gives the word as written and its OTLP severity number. Pure.
 *
 * @param text the level as written, or null
 * @param number the OTLP severity number, 0 when none was found
 */
record LevelSniffer(String text, int number) {
  static final LevelSniffer NONE = new LevelSniffer(null, 0);

  private static final JsonFactory JSON = new JsonFactory();
  private static final int WORDS_LOOKED_AT = 6;

  /** The level of {@code line}, or {@link #NONE}. */
  static LevelSniffer of(String line) {
    if (line.isEmpty()) {
      return NONE;
    }
    if (line.charAt(0) == '{') {
      LevelSniffer json = json(line);
      if (json != null) {
        return json;
      }
    }
    LevelSniffer logfmt = logfmt(line);
    if (logfmt != null) {
      return logfmt;
    }
    return words(line);
  }

  private static LevelSniffer json(String line) {
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName().toLowerCase(Locale.ROOT);
        JsonToken value = p.nextToken();
        if (value == JsonToken.VALUE_STRING
            && (field.equals("level")
                || field.equals("severity")
                || field.equals("lvl")
                || field.equals("log.level")
                || field.equals("loglevel")
                || field.equals("severity_text"))) {
          String text = p.getText();
          int number = Severities.number(text);
          return number > 0 ? new LevelSniffer(text, number) : null;
        }
        p.skipChildren();
      }
    } catch (IOException e) {
      return null; // not JSON after all: look for words
    }
    return null;
  }

  private static final String[] LOGFMT_KEYS = {"level=", "lvl=", "severity="};

  /**
   * The level words written most, upper case, each with its sniffer: found in a line without
   * copying the word out of it.
   */
  private static final LevelSniffer[] COMMON =
      Stream.of("INFO", "WARN", "ERROR", "DEBUG", "TRACE", "FATAL", "WARNING")
          .map(word -> new LevelSniffer(word, Severities.number(word)))
          .toArray(LevelSniffer[]::new);

  private static LevelSniffer logfmt(String line) {
    for (String key : LOGFMT_KEYS) {
      int at = line.indexOf(key);
      while (at >= 0) {
        if (at == 0 || line.charAt(at - 1) == ' ') {
          int start = at + key.length();
          if (start < line.length() && line.charAt(start) == '"') {
            start++;
          }
          int end = start;
          while (end < line.length() && Character.isLetter(line.charAt(end))) {
            end++;
          }
          String text = line.substring(start, end);
          int number = Severities.number(text);
          if (number > 0) {
            return new LevelSniffer(text, number);
          }
        }
        at = line.indexOf(key, at + 1);
      }
    }
    return null;
  }

  private static LevelSniffer words(String line) {
    int i = 0;
    for (int word = 0; word < WORDS_LOOKED_AT && i < line.length(); word++) {
      while (i < line.length() && !Character.isLetter(line.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < line.length() && Character.isLetter(line.charAt(i))) {
        i++;
      }
      if (start == i) {
        break;
      }
      boolean bounded =
          (start == 0 || !Character.isLetterOrDigit(line.charAt(start - 1)))
              && (i == line.length() || !Character.isLetterOrDigit(line.charAt(i)));
      // Upper case (ERROR) or bracketed ([warn]) words only: "error" in prose is not a level.
      boolean marked = (start > 0 && line.charAt(start - 1) == '[') || upperCase(line, start, i);
      if (bounded && marked && i - start >= 3) {
        for (LevelSniffer common : COMMON) {
          if (i - start == common.text.length() && line.startsWith(common.text, start)) {
            return common;
          }
        }
        String candidate = line.substring(start, i);
        int number = Severities.number(candidate);
        if (number > 0) {
          return new LevelSniffer(candidate, number);
        }
      }
    }
    return NONE;
  }

  /**
   * Whether {@code line[from, to)} reads the same upper-cased, as {@code
   * word.equals(word.toUpperCase(Locale.ROOT))} says, without copying it (this runs for the first
   * words of every log line): no lower-case letter (those that upper-case to two letters, like ß,
   * are lower-case too) and none that upper-cases to another.
   */
  static boolean upperCase(String line, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = line.charAt(i);
      if (Character.isLowerCase(c) || Character.toUpperCase(c) != c) {
        return false;
      }
    }
    return true;
  }
}
