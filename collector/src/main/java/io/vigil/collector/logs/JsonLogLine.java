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
 * An application's JSON log line (Logback's and Log4j's JSON layouts, zap, logrus, bunyan, pino,
 * structlog, ECS loggers) read into what a log record carries: the message ({@code message}, {@code
 * msg}, {@code @message}, {@code log}, {@code event}), the trace and span ids ({@code trace_id},
 * {@code traceId}, {@code trace.id}, {@code span_id}, …; 32 and 16 hex digits), and every other
 * top-level field as a string attribute (objects and arrays as their JSON text). The level fields
 * are read by {@link LevelSniffer} and left out here, as is the application's time field (the
 * runtime's time of the line is the record's). At most {@value #MAX_ATTRIBUTES} attributes of at
 * most {@value #MAX_VALUE} characters each. Pure.
 *
 * @param message the message field, or null when the line has none (the body stays the line)
 * @param attributes the other fields, in the order written
 * @param traceId 16 bytes, or null
 * @param spanId 8 bytes, or null
 */
record JsonLogLine(String message, Map<String, String> attributes, byte[] traceId, byte[] spanId) {
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
  static JsonLogLine parse(String line) {
    if (line.isEmpty() || line.charAt(0) != '{') {
      return null;
    }
    String message = null;
    Map<String, String> attributes = new LinkedHashMap<>();
    byte[] traceId = null;
    byte[] spanId = null;
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        String key = field.toLowerCase(Locale.ROOT);
        JsonToken token = p.nextToken();
        String value = value(p, token, line);
        if (value == null) {
          continue; // null
        }
        if (message == null && MESSAGE.contains(key) && token == JsonToken.VALUE_STRING) {
          message = value;
          continue;
        }
        if (traceId == null && TRACE.contains(key)) {
          traceId = hex(value, 16);
          if (traceId != null) {
            continue;
          }
        }
        if (spanId == null && SPAN.contains(key)) {
          spanId = hex(value, 8);
          if (spanId != null) {
            continue;
          }
        }
        if (LEVEL.contains(key) || TIME.contains(key) || attributes.size() >= MAX_ATTRIBUTES) {
          continue;
        }
        attributes.put(field, value.length() > MAX_VALUE ? value.substring(0, MAX_VALUE) : value);
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        return null; // trailing text: not one JSON object
      }
    } catch (IOException e) {
      return null; // not JSON after all: the line is taken as text
    }
    return new JsonLogLine(message, attributes, traceId, spanId);
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
