package io.vigil.model.web;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.config.ConfigException;
import io.vigil.model.tls.TlsReloadFailures;
import java.nio.file.Path;
import java.util.Map;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a service's admin/API server needs from a {@link WebConfig} (its {@code web_config_file}):
 * the HTTPS configurator (null for plain HTTP) and the authenticator (null when anyone may call),
 * built and checked at start. Every service reads the same format.
 *
 * <p>Who made a request, as recorded with a silence ({@link #principal}): {@code basic:<user>},
 * {@code bearer:<token name>}, {@code cert:<subject DN>} (a verified client certificate, when no
 * credentials are required), or {@code anonymous} when the API requires none.
 */
public final class ApiSecurity {
  /** The principal of a request to an API that requires no authentication. */
  public static final String ANONYMOUS = "anonymous";

  private static final Logger LOG = LoggerFactory.getLogger(ApiSecurity.class);

  private final HttpsConfigurator https;
  private final ApiAuthenticator authenticator;
  private final String description;

  private ApiSecurity(HttpsConfigurator https, ApiAuthenticator authenticator, String description) {
    this.https = https;
    this.authenticator = authenticator;
    this.description = description;
  }

  /**
   * The security of {@code service}'s admin port from its {@code web_config_file} ({@link #none()}
   * when null), logged at start, with a warning when credentials would cross the network in the
   * clear; the refusal counter is {@code vigil_<service>_api_auth_failures_total}, that of
   * certificate reloads {@code vigil_<service>_tls_reload_failures_total}.
   *
   * @throws ConfigException naming {@code web_config_file} and the file when something in it cannot
   *     be used
   */
  public static ApiSecurity load(
      String service, String webConfigFile, PrometheusRegistry registry) {
    return load(service, webConfigFile, registry, TlsReloadFailures.register(service, registry));
  }

  /**
   * As {@link #load(String, String, PrometheusRegistry)}, counting refused certificate reloads in
   * {@code reloadFailures}, for a service whose other TLS servers count there too.
   */
  public static ApiSecurity load(
      String service,
      String webConfigFile,
      PrometheusRegistry registry,
      TlsReloadFailures reloadFailures) {
    if (webConfigFile == null) {
      LOG.info("{} admin port: HTTP, no authentication", service);
      return none();
    }
    Path file = Path.of(webConfigFile).toAbsolutePath();
    ApiSecurity security;
    try {
      security =
          from(
              WebConfig.load(file, System.getenv()),
              file.getParent(),
              service,
              registry,
              reloadFailures);
    } catch (ConfigException e) {
      throw e.key().equals("web_config_file")
          ? e
          : new ConfigException("web_config_file", file + ": " + e.getMessage());
    }
    LOG.info("{} admin port: {}", service, security);
    if (security.credentialsInClear()) {
      LOG.warn(
          "{}: the admin port requires credentials but serves plain HTTP: they cross the network"
              + " in the clear; add tls_server_config to {}",
          service,
          webConfigFile);
    }
    return security;
  }

  /**
   * Reads the certificates, keys and token file {@code config} names (relative to {@code dir}) and
   * registers {@code service}'s refusal counter in {@code registry}. The certificate files are read
   * again when they change; a change that cannot be used is counted in {@code reloadFailures}.
   *
   * @throws ConfigException naming the key when something cannot be used
   */
  public static ApiSecurity from(
      WebConfig config,
      Path dir,
      String service,
      PrometheusRegistry registry,
      TlsReloadFailures reloadFailures) {
    HttpsConfigurator https =
        config.tlsServerConfig() == null
            ? null
            : ServerTls.configurator(config.tlsServerConfig(), dir, reloadFailures);
    ApiAuthenticator authenticator = null;
    Map<String, String> tokens = config.tokens(dir);
    if (!config.basicAuthUsers().isEmpty()
        || !tokens.isEmpty()
        || config.bearerTokensFile() != null) {
      authenticator =
          new ApiAuthenticator(
              config.basicAuthUsers(),
              watchedTokens(config, dir, tokens, service, registry),
              service,
              registry);
    }
    String description =
        (https == null
                ? "HTTP"
                : "HTTPS (client certificates: " + config.tlsServerConfig().clientAuthType() + ")")
            + ", "
            + (authenticator == null
                ? "no authentication"
                : config.basicAuthUsers().size()
                    + " basic-auth users, "
                    + tokens.size()
                    + " bearer tokens "
                    + tokens.keySet());
    return new ApiSecurity(https, authenticator, description);
  }

  /**
   * {@code config}'s bearer tokens, {@code initial} now, its token file read again when it changes;
   * a change that cannot be used is logged and counted in {@code
   * vigil_<service>_api_token_reload_failures_total}, and the tokens in use stay.
   */
  private static BearerTokens watchedTokens(
      WebConfig config,
      Path dir,
      Map<String, String> initial,
      String service,
      PrometheusRegistry registry) {
    return BearerTokens.watchingCounted(
        config.bearerTokensFile() == null ? null : dir.resolve(config.bearerTokensFile()),
        initial,
        () -> config.tokens(dir),
        registry,
        "vigil_" + service + "_api_token_reload_failures_total",
        "Changes of the admin port's bearer_tokens_file that were not taken (the tokens in use"
            + " stay)",
        service + " admin port");
  }

  /** Plain HTTP, no authentication. */
  public static ApiSecurity none() {
    return new ApiSecurity(null, null, "HTTP, no authentication");
  }

  /** The HTTPS configurator, or null for plain HTTP. */
  public HttpsConfigurator https() {
    return https;
  }

  /** The authenticator, or null when no credentials are required. */
  public Authenticator authenticator() {
    return authenticator;
  }

  /** Whether credentials are sent in the clear (authentication over plain HTTP). */
  public boolean credentialsInClear() {
    return https == null && authenticator != null;
  }

  /**
   * E.g. {@code HTTPS (client certificates: NoClientCert), 1 basic-auth users, 1 bearer tokens}.
   */
  @Override
  public String toString() {
    return description;
  }

  /** Who made {@code exchange}: see the class comment. */
  public static String principal(HttpExchange exchange) {
    HttpPrincipal principal = exchange.getPrincipal();
    if (principal != null) {
      return principal.getRealm() + ":" + principal.getUsername();
    }
    if (exchange instanceof HttpsExchange secure) {
      SSLSession session = secure.getSSLSession();
      try {
        if (session != null) {
          return "cert:" + session.getPeerPrincipal().getName();
        }
      } catch (SSLPeerUnverifiedException e) {
        // No client certificate: anonymous.
      }
    }
    return ANONYMOUS;
  }
}
