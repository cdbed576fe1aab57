package io.vigil.model.web;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.runtime.ThrottlingLogger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.slf4j.LoggerFactory;

/**
 * Asks every API request for {@code Authorization: Basic …} (a user of {@code basic_auth_users},
 * its password checked against the bcrypt hash) or {@code Authorization: Bearer …} (one of the
 * named tokens). A refused request gets 401 with {@code WWW-Authenticate} for each configured
 * scheme, is counted in {@code vigil_<service>_api_auth_failures_total{reason}} and logged
 * (throttled) without its credentials.
 *
 * <p>The principal is an {@link HttpPrincipal} whose realm names the method ({@code basic} or
 * {@code bearer}) and whose user name is the user or the token's name.
 *
 * <p>Timing: tokens are kept as SHA-256 digests and every digest is compared in constant time
 * ({@link BearerTokens}, which also reads a changed token file again); an unknown user costs a
 * bcrypt comparison like a known one (against a fixed hash), so neither reveals what exists.
 * Successful bcrypt checks are remembered (as a digest of user, password and hash, as
 * exporter-toolkit does) so a client that sends its password with every request does not pay
 * bcrypt's cost every time.
 */
final class ApiAuthenticator extends Authenticator {
  static final String REALM = "vigil";
  static final String BASIC = "basic";
  static final String BEARER = "bearer";

  private static final int CACHE_LIMIT = 1024;

  /** What an unknown user's password is compared against, at the usual cost. */
  private static final String DUMMY_HASH = dummyHash();

  private final Map<String, String> users;
  private final BearerTokens tokens;
  private final Set<String> verified = ConcurrentHashMap.newKeySet();
  private final Counter failures;
  private final ThrottlingLogger log =
      new ThrottlingLogger(LoggerFactory.getLogger(ApiAuthenticator.class));

  ApiAuthenticator(
      Map<String, String> users, BearerTokens tokens, String service, PrometheusRegistry registry) {
    this.users = Map.copyOf(users);
    this.tokens = tokens;
    this.failures =
        Counter.builder()
            .name("vigil_" + service + "_api_auth_failures_total")
            .help(
                "API requests refused for want of valid credentials, by reason (missing,"
                    + " malformed, invalid_basic, invalid_bearer)")
            .labelNames("reason")
            .register(registry);
  }

  @Override
  public Result authenticate(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header == null || header.isBlank()) {
      return refuse(exchange, "missing");
    }
    if (header.regionMatches(true, 0, "Basic ", 0, 6) && !users.isEmpty()) {
      String decoded;
      try {
        decoded =
            new String(
                Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return refuse(exchange, "malformed");
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        return refuse(exchange, "malformed");
      }
      String user = decoded.substring(0, colon);
      String password = decoded.substring(colon + 1);
      if (basicValid(user, password)) {
        return new Success(new HttpPrincipal(user, BASIC));
      }
      return refuse(exchange, "invalid_basic");
    }
    if (header.regionMatches(true, 0, "Bearer ", 0, 7) && !tokens.isEmpty()) {
      String name = tokens.holder(header.substring(7).trim());
      if (name != null) {
        return new Success(new HttpPrincipal(name, BEARER));
      }
      return refuse(exchange, "invalid_bearer");
    }
    return refuse(exchange, "malformed");
  }

  private boolean basicValid(String user, String password) {
    String hash = users.get(user);
    String key =
        HexFormat.of()
            .formatHex(sha256(user + '\0' + password + '\0' + (hash == null ? "" : hash)));
    if (hash != null && verified.contains(key)) {
      return true;
    }
    boolean ok;
    try {
      ok = OpenBSDBCrypt.checkPassword(hash == null ? DUMMY_HASH : hash, password.toCharArray());
    } catch (IllegalArgumentException e) {
      ok = false; // e.g. a password longer than bcrypt's 72 bytes
    }
    ok &= hash != null;
    if (ok) {
      if (verified.size() >= CACHE_LIMIT) {
        verified.clear();
      }
      verified.add(key);
    }
    return ok;
  }

  private Result refuse(HttpExchange exchange, String reason) {
    failures.labelValues(reason).inc();
    log.warn(
        "API request refused ({}): {} {} from {}",
        reason,
        exchange.getRequestMethod(),
        exchange.getRequestURI().getPath(),
        exchange.getRemoteAddress());
    if (!users.isEmpty()) {
      exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"" + REALM + "\"");
    }
    if (!tokens.isEmpty()) {
      exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"" + REALM + "\"");
    }
    return new Retry(401);
  }

  /** How many requests were refused for {@code reason}. */
  long failures(String reason) {
    return (long) failures.labelValues(reason).get();
  }

  private static String dummyHash() {
    SecureRandom random = new SecureRandom();
    byte[] salt = new byte[16];
    random.nextBytes(salt);
    return OpenBSDBCrypt.generate(
        "2y", Long.toHexString(random.nextLong()).toCharArray(), salt, 10);
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
