package io.vigil.collector.otlp;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who may send ({@code otlp.auth} in the collector's configuration): bearer tokens per sender, on
 * every OTLP/gRPC, OTLP/HTTP and OpenLineage request. None configured (the default): anyone may.
 *
 * @param bearerTokens sender name → token, e.g. {@code {checkout: ${CHECKOUT_TOKEN}}}
 * @param bearerTokensFile a file of {@code <sender> <token>} lines ({@code #} comments), read at
 *     start (a mounted Secret)
 */
public record AuthSettings(
    @JsonProperty("bearer_tokens") Map<String, String> bearerTokens,
    @JsonProperty("bearer_tokens_file") String bearerTokensFile) {

  private static final String PREFIX = "collector.otlp.auth.";

  /** Checks values. */
  public AuthSettings {
    bearerTokens = bearerTokens == null ? Map.of() : Map.copyOf(bearerTokens);
    bearerTokens.forEach(
        (sender, token) -> {
          if (token == null || token.isBlank()) {
            throw new ConfigException(PREFIX + "bearer_tokens." + sender, "must not be empty");
          }
        });
  }

  /** No authentication. */
  public static AuthSettings defaults() {
    return new AuthSettings(null, null);
  }

  /**
   * Every sender's token: {@code bearer_tokens} and the file's lines.
   *
   * @throws ConfigException when the file cannot be read or a line is not {@code sender token}
   */
  public Map<String, String> tokens() {
    Map<String, String> all = new LinkedHashMap<>(bearerTokens);
    if (bearerTokensFile == null) {
      return all;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(Path.of(bearerTokensFile), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(
          PREFIX + "bearer_tokens_file", bearerTokensFile, "cannot read: " + e.getMessage());
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      if (parts.length != 2) {
        // The value is not shown: it may hold a token.
        throw new ConfigException(
            PREFIX + "bearer_tokens_file",
            bearerTokensFile + " line " + (i + 1) + ": expected '<sender> <token>'");
      }
      all.put(parts[0], parts[1]);
    }
    return all;
  }
}
