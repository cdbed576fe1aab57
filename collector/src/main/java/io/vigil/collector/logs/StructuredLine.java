package io.vigil.collector.logs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An application's structured log line read into what a log record carries — a JSON line (Logback's
 * and Log4j's JSON layouts, zap, logrus, bunyan, pino, structlog, ECS loggers: {@link #json}) or a
 * logfmt line (Go's log/slog text handler, logrus' text formatter, go-kit, Heroku: {@link
 * #logfmt}): the message ({@code message}, {@code msg}, {@code @message}, {@code log}, {@code
 * event}), the trace and span ids ({@code trace_id}, {@code traceId}, {@code trace.id}, {@code
 * span_id}, …; 32 and 16 hex digits), and every other top-level field as a string attribute
 * (objects and arrays as their JSON text). The level fields are read by {@link LevelSniffer} and
 * left out here, as is the application's time field (the runtime's time of the line is the
 * record's). At most {@value #MAX_ATTRIBUTES} attributes of at most {@value #MAX_VALUE} characters
 * each. Pure.
 *
 * @param message the message field, or null when the line has none (the body stays the line)
 * @param attributes the other fields, in the order written
 * @param traceId 16 bytes, or null
 * @param spanId 8 bytes, or null
 */
record StructuredLine(
    String message, Map<String, String> attributes, byte[] traceId, byte[] spanId) {
  static final int MAX_ATTRIBUTES = 64;
  static final int MAX_VALUE = 4096;

  private static final JsonFactory JSON = new JsonFactory();
  private static final Set<String> MESSAGE = Set.of("message", "msg", "@message", "log", "event");
  private static final Set<String> LEVEL =
      Set.of("level", "severity", "lvl", "log.level", "loglevel", "severity_text");
  private static final Set<String> TIME =
      Set.of("time", "timestamp", "ts", "@timestamp", "datetime", "date");
  private static final Set<String> TRACE = Set.of("trace_id", "traceid", "trace.id", "dd.trace_id");
  private static final Set<String> SPAN = Set.of("span_id", "spanid", "span.id", "dd.span_id");

  /** The line's fields, or null when it is not a JSON object. */
  static StructuredLine json(String line) {
    if (line.isEmpty() || line.charAt(0) != '{') {
      return null;
    }
    Fields fields = new Fields();
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        String key = field.toLowerCase(Locale.ROOT);
        JsonToken token = p.nextToken();
        String value = value(p, token, line);
        if (value != null) { // else null
          fields.add(field, value, token == JsonToken.VALUE_STRING);
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        return null; // trailing text: not one JSON object
      }
    } catch (IOException e) {
      return null; // not JSON after all: the line is taken as text
    }
    return fields.line();
  }

  /**
   * The line's fields, or null when it is not logfmt: {@code key=value} pairs separated by spaces,
   * a value bare or in double quotes (with {@code \"}, {@code \\}, {@code \n}, {@code \t} escapes),
   * at least two pairs and nothing else — a line of words, or with a bare key, is text.
   */
  static StructuredLine logfmt(String line) {
    if (!startsWithKey(line)) {
      return null; // most lines: decided before anything is allocated
    }
    Fields fields = new Fields();
    int pairs = 0;
    int i = 0;
    int n = line.length();
    StringBuilder quoted = new StringBuilder();
    while (true) {
      while (i < n && line.charAt(i) == ' ') {
        i++;
      }
      if (i >= n) {
        break;
      }
      int keyStart = i;
      while (i < n && line.charAt(i) != '=' && line.charAt(i) != ' ' && line.charAt(i) != '"') {
        i++;
      }
      if (i >= n || line.charAt(i) != '=' || i == keyStart) {
        return null; // a bare word: not logfmt
      }
      String key = line.substring(keyStart, i++);
      String value;
      if (i < n && line.charAt(i) == '"') {
        quoted.setLength(0);
        i++;
        boolean closed = false;
        while (i < n) {
          char c = line.charAt(i++);
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\' && i < n) {
            char e = line.charAt(i++);
            quoted.append(e == 'n' ? '\n' : e == 't' ? '\t' : e);
          } else {
            quoted.append(c);
          }
        }
        if (!closed || (i < n && line.charAt(i) != ' ')) {
          return null;
        }
        value = quoted.toString();
      } else {
        int valueStart = i;
        while (i < n && line.charAt(i) != ' ') {
          if (line.charAt(i) == '"') {
            return null;
          }
          i++;
        }
        value = line.substring(valueStart, i);
      }
      fields.add(key, value, true);
      pairs++;
    }
    return pairs >= 2 ? fields.line() : null;
  }

  /** The fields of one line as they are read: message, ids, attributes. */
  /** Whether the first word of {@code line} is a key followed by {@code =}. */
  private static boolean startsWithKey(String line) {
    int n = line.length();
    int i = 0;
    while (i < n && line.charAt(i) == ' ') {
      i++;
    }
    int keyStart = i;
    while (i < n && line.charAt(i) != '=' && line.charAt(i) != ' ' && line.charAt(i) != '"') {
      i++;
    }
    return i < n && line.charAt(i) == '=' && i > keyStart;
  }

  private static final class Fields {
    String message;
    final Map<String, String> attributes = new LinkedHashMap<>();
    byte[] traceId;
    byte[] spanId;

    /** Takes field {@code field} = {@code value}; {@code text}: the value was a string. */
    void add(String field, String value, boolean text) {
      String key = field.toLowerCase(Locale.ROOT);
      if (message == null && MESSAGE.contains(key) && text) {
        message = value;
        return;
      }
      if (traceId == null && TRACE.contains(key)) {
        traceId = hex(value, 16);
        if (traceId != null) {
          return;
        }
      }
      if (spanId == null && SPAN.contains(key)) {
        spanId = hex(value, 8);
        if (spanId != null) {
          return;
        }
      }
      if (LEVEL.contains(key) || TIME.contains(key) || attributes.size() >= MAX_ATTRIBUTES) {
        return;
      }
      attributes.put(field, value.length() > MAX_VALUE ? value.substring(0, MAX_VALUE) : value);
    }

    StructuredLine line() {
      return new StructuredLine(message, attributes, traceId, spanId);
    }
  }

  /** A field's value as text: scalars as written, objects and arrays as their JSON. */
  private static String value(JsonParser p, JsonToken token, String line) throws IOException {
    return switch (token) {
      case VALUE_NULL -> null;
      case START_OBJECT, START_ARRAY -> {
        int start = (int) p.currentTokenLocation().getCharOffset();
        p.skipChildren();
        int end = (int) p.currentTokenLocation().getCharOffset() + 1;
        yield start >= 0 && end <= line.length() ? line.substring(start, end) : "";
      }
      default -> p.getText();
    };
  }

  /** {@code text} as {@code bytes} bytes of hex, or null when it is not that (or all zeros). */
  private static byte[] hex(String text, int bytes) {
    if (text.length() != 2 * bytes) {
      return null;
    }
    try {
      byte[] id = HexFormat.of().parseHex(text);
      for (byte b : id) {
        if (b != 0) {
          return id;
        }
      }
      return null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
