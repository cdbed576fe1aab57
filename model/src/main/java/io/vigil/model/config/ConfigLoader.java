package io.vigil.model.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Loads a YAML configuration file into an immutable record tree.
 *
 * <ul>
 *   <li>{@code ${NAME}} and {@code ${NAME:-default}} are replaced from the given environment before
 *       parsing; a reference to an unset variable without a default is an error;
 *   <li>unknown keys are errors that name the key;
 *   <li>values are validated by the records' compact constructors, whose {@link ConfigException}
 *       names key and value.
 * </ul>
 *
 * <p>The environment is an argument so tests never touch {@code System.getenv}.
 */
public final class ConfigLoader {
  private static final Pattern VARIABLE =
      Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

  private static final ObjectMapper YAML =
      YAMLMapper.builder()
          .addModule(new JavaTimeModule())
          .addModule(
              new SimpleModule("vigil-durations")
                  .addDeserializer(Duration.class, new DurationDeserializer()))
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .build();

  private ConfigLoader() {}

  /** Parses {@code yaml} (after substitution from {@code env}) into {@code type}. */
  public static <T> T load(String yaml, Map<String, String> env, Class<T> type) {
    return parse(substitute(yaml, env), type);
  }

  /**
   * Parses {@code yaml} as it is, without {@code ${…}} substitution (for data files such as the
   * processor's catalog), with the same checks and error messages as {@link #load(String, Map,
   * Class)}.
   */
  public static <T> T parse(String yaml, Class<T> type) {
    try {
      T value = YAML.readValue(yaml.isBlank() ? "{}" : yaml, type);
      if (value == null) {
        return YAML.readValue("{}", type);
      }
      return value;
    } catch (UnrecognizedPropertyException e) {
      String path = path(e);
      String known =
          e.getKnownPropertyIds() == null
              ? ""
              : " (known keys: "
                  + e.getKnownPropertyIds().stream()
                      .map(String::valueOf)
                      .sorted()
                      .collect(Collectors.joining(", "))
                  + ")";
      throw new ConfigException(path, "unknown key" + known);
    } catch (ValueInstantiationException e) {
      if (e.getCause() instanceof ConfigException ce) {
        throw ce;
      }
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new ConfigException(path(e), "invalid: " + cause.getMessage());
    } catch (InvalidFormatException e) {
      String expected =
          e.getTargetType() == Duration.class
              ? "must be a duration such as 500ms, 10s, 5m or 1h"
              : "expected " + e.getTargetType().getSimpleName();
      throw new ConfigException(path(e), e.getValue(), expected);
    } catch (JsonMappingException e) {
      throw new ConfigException(path(e), "invalid: " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new ConfigException(
          "<file>",
          "not valid YAML at line "
              + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
              + ": "
              + e.getOriginalMessage());
    }
  }

  /** Reads {@code file} and loads it as {@link #load(String, Map, Class)} does. */
  public static <T> T load(Path file, Map<String, String> env, Class<T> type) {
    String yaml;
    try {
      yaml = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException("--config", file, "cannot read: " + e.getMessage());
    }
    return load(yaml, env, type);
  }

  /** Replaces {@code ${NAME}} and {@code ${NAME:-default}}; YAML comments are left alone. */
  static String substitute(String yaml, Map<String, String> env) {
    StringBuilder out = new StringBuilder(yaml.length());
    for (String line : yaml.split("\n", -1)) {
      if (out.length() > 0) {
        out.append('\n');
      }
      int comment = commentStart(line);
      String tail = comment < 0 ? "" : line.substring(comment);
      line = comment < 0 ? line : line.substring(0, comment);
      Matcher m = VARIABLE.matcher(line);
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        String name = m.group(1);
        String value = env.get(name);
        if (value == null || (value.isEmpty() && m.group(2) != null)) {
          if (m.group(2) == null) {
            throw new ConfigException("${" + name + "}", "environment variable is not set");
          }
          value = m.group(3);
        }
        m.appendReplacement(sb, Matcher.quoteReplacement(value));
      }
      m.appendTail(sb);
      out.append(sb).append(tail);
    }
    return out.toString();
  }

  /**
   * Where a line's comment starts: a {@code #} at the start or after a blank, outside quotes; -1
   * when it has none.
   */
  private static int commentStart(String line) {
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
        return i;
      }
    }
    return -1;
  }

  private static String path(JsonMappingException e) {
    String path =
        e.getPath().stream()
            .map(
                ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
            .collect(Collectors.joining("."))
            .replace(".[", "[");
    return path.isEmpty() ? "<root>" : path;
  }

  /** Reads {@code 10s}, {@code 5m}, {@code PT10S}; a bare number is taken as seconds. */
  private static final class DurationDeserializer extends StdScalarDeserializer<Duration> {
    DurationDeserializer() {
      super(Duration.class);
    }

    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      if (p.currentToken().isNumeric()) {
        return Duration.ofMillis(Math.round(p.getDoubleValue() * 1000));
      }
      String text = p.getValueAsString();
      try {
        return Durations.parse(text);
      } catch (IllegalArgumentException e) {
        throw InvalidFormatException.from(p, e.getMessage(), text, Duration.class);
      }
    }
  }
}
