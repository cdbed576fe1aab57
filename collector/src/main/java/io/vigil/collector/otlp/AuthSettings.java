package io.vigil.collector.otlp;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import io.vigil.model.web.TokenFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Who may send ({@code otlp.auth} in the collector's configuration): bearer tokens per sender, on
 * every OTLP/gRPC, OTLP/HTTP and OpenLineage request. None configured (the default): anyone may.
 *
 * @param bearerTokens sender name → token, e.g. {@code {checkout: ${CHECKOUT_TOKEN}}}
 * @param bearerTokensFile a file of {@code <sender> <token>} lines ({@code #} comments), e.g. a
 *     mounted Secret; read at start and again when it changes ({@code BearerTokens})
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

  /** The token file as a path, or null. */
  public Path tokenFile() {
    return bearerTokensFile == null ? null : Path.of(bearerTokensFile);
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
    for (TokenFile.Line line :
        TokenFile.read(Path.of(bearerTokensFile), PREFIX + "bearer_tokens_file", "sender")) {
      all.put(line.name(), line.token());
    }
    return all;
  }
}
