package io.vigil.model.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.ConfigLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The web configuration of the alerting API, in the format of Prometheus' exporter-toolkit (what
 * Alertmanager reads with {@code --web.config.file}), plus Vigil's bearer tokens:
 *
 * <pre>
 * tls_server_config:
 *   cert_file: server.crt            # PEM chain; or cert: inline PEM
 *   key_file: server.key             # PEM key (PKCS#1, SEC1 or PKCS#8, unencrypted); or key: inline
 *   client_auth_type: RequireAndVerifyClientCert   # default NoClientCert
 *   client_ca_file: clients-ca.crt
 *   min_version: TLS12               # default TLS12; max_version default TLS13
 * basic_auth_users:                  # user: bcrypt hash ($2a$, $2b$, $2y$)
 *   alice: $2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze
 * bearer_tokens:                     # Vigil extension: name: token (use ${ENV})
 *   prometheus: ${PROMETHEUS_TOKEN}
 * bearer_tokens_file: tokens         # Vigil extension: lines of "name token"
 * </pre>
 *
 * Paths are relative to the file's folder, as in exporter-toolkit. {@code ${VAR}} and {@code
 * ${VAR:-default}} are substituted as in Vigil's own configuration. Keys of the format that Vigil
 * does not implement ({@code cipher_suites}, {@code client_allowed_sans}, {@code
 * http_server_config}, {@code rate_limit}, …) are errors rather than silently ignored: a security
 * setting that quietly does nothing is worse than a refusal to start.
 *
 * @param tlsServerConfig serve HTTPS; default plain HTTP
 * @param basicAuthUsers user name → bcrypt hash of the password; default none
 * @param bearerTokens token name → token; default none
 * @param bearerTokensFile a file of {@code <name> <token>} lines ({@code #} comments), e.g. a
 *     mounted Secret; read again when it changes ({@link BearerTokens})
 * @param httpServerConfig exporter-toolkit's {@code http_server_config}: refused
 * @param rateLimit exporter-toolkit's {@code rate_limit}: refused
 */
public record WebConfig(
    @JsonProperty("tls_server_config") TlsServerConfig tlsServerConfig,
    @JsonProperty("basic_auth_users") Map<String, String> basicAuthUsers,
    @JsonProperty("bearer_tokens") Map<String, String> bearerTokens,
    @JsonProperty("bearer_tokens_file") String bearerTokensFile,
    @JsonProperty("http_server_config") Object httpServerConfig,
    @JsonProperty("rate_limit") Object rateLimit) {

  /**
   * bcrypt as written by htpasswd ({@code 2y}), Go ({@code 2a}) and OpenBSD/Python ({@code 2b}).
   */
  private static final Pattern BCRYPT =
      Pattern.compile("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@+-]+");

  /** Checks values. */
  public WebConfig {
    basicAuthUsers = basicAuthUsers == null ? Map.of() : Map.copyOf(basicAuthUsers);
    basicAuthUsers.forEach(
        (user, hash) -> {
          if (user.isEmpty() || user.contains(":")) {
            throw new ConfigException(
                "basic_auth_users", user, "a user name must be non-empty and without ':'");
          }
          if (hash == null || !BCRYPT.matcher(hash).matches()) {
            // The hash is not secret, but a plain password pasted here would be: not shown.
            throw new ConfigException(
                "basic_auth_users." + user,
                "not a bcrypt hash ($2y$10$ followed by 53 characters; make one with"
                    + " 'htpasswd -nBC 10 \"\" | tr -d ':\\n'')");
          }
        });
    bearerTokens = bearerTokens == null ? Map.of() : Map.copyOf(bearerTokens);
    bearerTokens.forEach(
        (name, token) -> {
          checkName("bearer_tokens", name);
          if (token == null || token.isBlank()) {
            throw new ConfigException("bearer_tokens." + name, "must not be empty");
          }
        });
    if (bearerTokensFile != null && bearerTokensFile.isBlank()) {
      throw new ConfigException("bearer_tokens_file", bearerTokensFile, "must be a path");
    }
    if (httpServerConfig != null) {
      throw unsupported("http_server_config");
    }
    if (rateLimit != null) {
      throw unsupported("rate_limit");
    }
  }

  static ConfigException unsupported(String key) {
    return new ConfigException(
        key,
        "part of exporter-toolkit's web configuration that Vigil does not implement; remove it");
  }

  private static void checkName(String key, String name) {
    if (!NAME.matcher(name).matches()) {
      throw new ConfigException(key, name, "a name may hold only letters, digits and ._@+-");
    }
  }

  /** No TLS, no authentication: what the API does without a web configuration file. */
  public static WebConfig none() {
    return new WebConfig(null, null, null, null, null, null);
  }

  /**
   * Reads {@code file}, substituting {@code ${VAR}} from {@code env}.
   *
   * @throws ConfigException naming {@code web_config_file}, the file and the key
   */
  public static WebConfig load(Path file, Map<String, String> env) {
    String yaml;
    try {
      yaml = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException("web_config_file", file, "cannot read: " + e.getMessage());
    }
    try {
      return ConfigLoader.load(yaml, env, WebConfig.class);
    } catch (ConfigException e) {
      throw new ConfigException("web_config_file", file + ": " + e.getMessage());
    }
  }

  /**
   * Every token by name: {@code bearer_tokens} and the lines of {@code bearer_tokens_file}
   * (resolved against {@code dir}).
   *
   * @throws ConfigException when the file cannot be read or a line is not {@code name token}; the
   *     message never shows a token
   */
  public Map<String, String> tokens(Path dir) {
    Map<String, String> all = new LinkedHashMap<>(bearerTokens);
    if (bearerTokensFile == null) {
      return all;
    }
    Path file = dir.resolve(bearerTokensFile);
    for (TokenFile.Line line : TokenFile.read(file, "bearer_tokens_file", "name")) {
      checkName("bearer_tokens_file " + file + " line " + line.number(), line.name());
      if (all.put(line.name(), line.token()) != null) {
        throw new ConfigException(
            "bearer_tokens_file",
            file + " line " + line.number() + ": token name '" + line.name() + "' given twice");
      }
    }
    return all;
  }

  @Override
  public String toString() {
    return "WebConfig[tls="
        + (tlsServerConfig != null)
        + ", basicAuthUsers="
        + basicAuthUsers.keySet()
        + ", bearerTokens="
        + bearerTokens.keySet()
        + ", bearerTokensFile="
        + bearerTokensFile
        + "]";
  }
}
