package io.vigil.model.runtime;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * A service's admin endpoint: {@code /metrics} (Prometheus text format), {@code /healthz} (the
 * process answers), {@code /readyz} (every registered check passes; a failing check is named in the
 * 503 body) and any extra routes the service adds.
 *
 * <p>Until its first check is registered, {@code /readyz} answers {@code not ready: starting}: a
 * service binds its admin port early and adds its checks once the parts they watch exist, and an
 * empty list of checks passing is no reason to be ready — the processor answered {@code ready} for
 * the two seconds it took to build its Kafka Streams client, long before that client ran (system
 * test scenario 1 caught a probe believing it).
 *
 * <p>It may serve HTTPS and require authentication: the {@link Authenticator} guards {@code
 * /metrics} and every added route, never {@code /healthz} and {@code /readyz}, so that kubelet
 * probes keep working (they reveal only the names of failing checks).
 */
public final class AdminServer implements AutoCloseable {
  /** What {@code /readyz} names before the service registered any readiness check. */
  public static final String STARTING = "starting";

  private final HttpServer server;
  private final ExecutorService executor;
  private final PrometheusRegistry registry;
  private final Map<String, BooleanSupplier> readinessChecks = new LinkedHashMap<>();
  private final ExpositionFormats formats = ExpositionFormats.init();
  private final Authenticator authenticator;

  private AdminServer(
      HttpServer server,
      ExecutorService executor,
      PrometheusRegistry registry,
      Authenticator authenticator) {
    this.server = server;
    this.executor = executor;
    this.registry = registry;
    this.authenticator = authenticator;
  }

  /**
   * Starts an admin server on {@code host:port} (port 0 picks a free one) exposing {@code
   * registry}.
   */
  public static AdminServer start(String host, int port, PrometheusRegistry registry)
      throws IOException {
    return start(host, port, registry, null, null);
  }

  /**
   * Starts an admin server as {@link #start(String, int, PrometheusRegistry)} does, serving HTTPS
   * when {@code https} is given and asking {@code authenticator} (when given) about every request
   * to {@code /metrics} and to the routes added later.
   */
  public static AdminServer start(
      String host,
      int port,
      PrometheusRegistry registry,
      HttpsConfigurator https,
      Authenticator authenticator)
      throws IOException {
    InetSocketAddress address = new InetSocketAddress(host, port);
    HttpServer server;
    try {
      if (https == null) {
        server = HttpServer.create(address, 0);
      } else {
        HttpsServer secure = HttpsServer.create(address, 0);
        secure.setHttpsConfigurator(https);
        server = secure;
      }
    } catch (BindException e) {
      throw new IOException(
          "cannot listen on " + host + ":" + port + " for admin: " + e.getMessage(), e);
    }
    ExecutorService executor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "vigil-admin-" + port);
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    AdminServer admin = new AdminServer(server, executor, registry, authenticator);
    admin.guarded(server.createContext("/metrics", admin::metrics));
    server.createContext("/healthz", exchange -> respond(exchange, 200, "ok\n"));
    server.createContext("/readyz", admin::readiness);
    server.start();
    return admin;
  }

  /** Adds a readiness check; {@code /readyz} fails while any check returns false. */
  public synchronized AdminServer readiness(String name, BooleanSupplier check) {
    readinessChecks.put(name, check);
    return this;
  }

  /** Adds a route, e.g. {@code /api/signals}; it requires authentication when the server does. */
  public AdminServer route(String path, HttpHandler handler) {
    guarded(server.createContext(path, handler));
    return this;
  }

  private void guarded(HttpContext context) {
    if (authenticator != null) {
      context.setAuthenticator(authenticator);
    }
  }

  /** The port actually bound. */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * Where this process reaches its own {@code /healthz}: the bound address, or the loopback address
   * when bound to all interfaces.
   */
  public URI healthUrl() {
    InetAddress bound = server.getAddress().getAddress();
    InetAddress host = bound.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : bound;
    String scheme = server instanceof HttpsServer ? "https" : "http";
    String literal = host.getHostAddress();
    if (host instanceof Inet6Address) {
      literal = "[" + literal.replaceFirst("%.*$", "") + "]";
    }
    return URI.create(scheme + "://" + literal + ":" + port() + "/healthz");
  }

  /**
   * The names of the readiness checks that currently fail; {@value #STARTING} while none is
   * registered yet.
   */
  public synchronized List<String> failingChecks() {
    if (readinessChecks.isEmpty()) {
      return List.of(STARTING);
    }
    List<String> failing = new ArrayList<>();
    readinessChecks.forEach(
        (name, check) -> {
          boolean ok;
          try {
            ok = check.getAsBoolean();
          } catch (RuntimeException e) {
            ok = false;
          }
          if (!ok) {
            failing.add(name);
          }
        });
    return failing;
  }

  private void metrics(HttpExchange exchange) throws IOException {
    ExpositionFormatWriter writer =
        formats.findWriter(exchange.getRequestHeaders().getFirst("Accept"));
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writer.write(body, registry.scrape());
    exchange.getResponseHeaders().set("Content-Type", writer.getContentType());
    exchange.sendResponseHeaders(200, body.size());
    try (OutputStream out = exchange.getResponseBody()) {
      body.writeTo(out);
    }
  }

  private void readiness(HttpExchange exchange) throws IOException {
    List<String> failing = failingChecks();
    if (failing.isEmpty()) {
      respond(exchange, 200, "ready\n");
    } else {
      respond(exchange, 503, "not ready: " + String.join(", ", failing) + "\n");
    }
  }

  /** Writes a plain-text response and closes the exchange. */
  public static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
