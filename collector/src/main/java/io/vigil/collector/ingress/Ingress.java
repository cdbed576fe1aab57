package io.vigil.collector.ingress;

import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.util.EventLoopGroups;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceErrorHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.util.KeyManagerFactoryWrapper;
import io.vigil.model.tls.ServerCredentials;
import io.vigil.model.tls.TlsReloadFailures;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's one non-blocking ingress (ADR 0006): an Armeria server per {@link Listener}, all
 * on one shared set of event loops, speaking HTTP/1.1 and HTTP/2 (cleartext, with or without prior
 * knowledge) on every port, so gRPC and plain HTTP senders are served alike. No thread is held by a
 * request: bodies are read as they arrive, and a request waiting for Kafka is only a future. A
 * sender that trickles its body is cut off at its listener's request timeout; an idle connection is
 * closed after {@link #IDLE_TIMEOUT}. A listener with TLS serves the certificate its files hold
 * now: they are looked at again, at most once a second, on new handshakes.
 */
public final class Ingress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Ingress.class);

  /** An open connection with no request in flight is closed after this. */
  public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

  /** On close, the ingress stops once no request has been in flight for this long. */
  private static final Duration QUIET_PERIOD = Duration.ofMillis(100);

  /**
   * The ingress cannot serve when a task handed to its parsers has waited this long for one of
   * them: every parser is busy and requests queue up behind them.
   */
  static final Duration SATURATED_AFTER = Duration.ofSeconds(5);

  private final EventLoopGroup eventLoops;
  private final ScheduledExecutorService parsers;
  private final Map<String, Server> servers;
  private volatile boolean serving = true;

  /** When the canary waiting in the parsers' queue was sent (System.nanoTime), 0 when none. */
  private final AtomicLong canarySent = new AtomicLong();

  private Ingress(
      EventLoopGroup eventLoops, ScheduledExecutorService parsers, Map<String, Server> servers) {
    this.eventLoops = eventLoops;
    this.parsers = parsers;
    this.servers = servers;
    // Every second an event loop hands the parsers a canary, behind whatever requests wait for
    // them; how long it has been waiting says whether the parsers keep up.
    eventLoops.next().scheduleAtFixedRate(this::sendCanary, 1, 1, TimeUnit.SECONDS);
  }

  private void sendCanary() {
    long now = System.nanoTime();
    if (canarySent.compareAndSet(0, now == 0 ? 1 : now)) {
      try {
        parsers.execute(() -> canarySent.set(0));
      } catch (RejectedExecutionException closing) {
        canarySent.set(0);
      }
    }
  }

  /** Whether a canary has waited {@link #SATURATED_AFTER} or more for a parser. */
  boolean saturated() {
    long sent = canarySent.get();
    return sent != 0 && System.nanoTime() - sent >= SATURATED_AFTER.toNanos();
  }

  /** The parsers, for tests that occupy them. */
  ScheduledExecutorService parsers() {
    return parsers;
  }

  /**
   * Binds every listener and starts serving.
   *
   * @param drainTimeout how long {@link #close()} waits for requests in flight
   * @param tlsReloadFailures counts changed certificate files that could not be used
   * @throws IOException naming the listener, address and port when one cannot be bound; the
   *     listeners already started are stopped
   * @throws io.vigil.model.config.ConfigException naming the key when a TLS file cannot be used
   */
  public static Ingress start(
      List<Listener> listeners, Duration drainTimeout, TlsReloadFailures tlsReloadFailures)
      throws IOException {
    int cores = Runtime.getRuntime().availableProcessors();
    EventLoopGroup eventLoops =
        EventLoopGroups.newEventLoopGroup(Math.max(2, cores), "vigil-ingress", true);
    // Parsing request bodies is CPU work: as many threads as cores, kept (Armeria's default pool
    // grows to 200 threads and lets them die when idle, which costs more than it parses).
    AtomicInteger threads = new AtomicInteger();
    ScheduledExecutorService parsers =
        Executors.newScheduledThreadPool(
            Math.max(2, cores),
            r -> {
              Thread t = new Thread(r, "vigil-ingress-parse-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    Map<String, Server> servers = new LinkedHashMap<>();
    Ingress ingress = new Ingress(eventLoops, parsers, servers);
    try {
      for (Listener listener : listeners) {
        Server server = build(listener, eventLoops, parsers, drainTimeout, tlsReloadFailures);
        try {
          server.start().join();
        } catch (CompletionException e) {
          server.close();
          Throwable cause = e.getCause() == null ? e : e.getCause();
          String why =
              cause instanceof BindException
                      || String.valueOf(cause.getMessage()).contains("Address already in use")
                  ? "address in use" // the JDK's BindException or epoll's native error
                  : String.valueOf(cause.getMessage());
          throw new IOException(
              "cannot listen on "
                  + listener.host()
                  + ":"
                  + listener.port()
                  + " for "
                  + listener.name()
                  + ": "
                  + why,
              cause);
        }
        servers.put(listener.name(), server);
        LOG.info("{} listening on {}:{}", listener.name(), listener.host(), port(server));
      }
      return ingress;
    } catch (IOException | RuntimeException e) {
      ingress.close();
      throw e;
    }
  }

  private static Server build(
      Listener listener,
      EventLoopGroup eventLoops,
      ScheduledExecutorService parsers,
      Duration drain,
      TlsReloadFailures tlsReloadFailures) {
    ServerBuilder sb =
        Server.builder()
            .workerGroup(eventLoops, false)
            .blockingTaskExecutor(parsers, false)
            .port(
                new InetSocketAddress(listener.host(), listener.port()),
                // HTTP/1.1 and HTTP/2: cleartext (upgrade, prior knowledge) or over TLS (ALPN)
                listener.tls() == null ? SessionProtocol.HTTP : SessionProtocol.HTTPS)
            .maxRequestLength(0) // receivers read bodies themselves: BoundedBody
            .requestTimeout(listener.requestTimeout())
            .idleTimeout(IDLE_TIMEOUT)
            // Graceful: new requests get 503 while those in flight finish (a zero quiet period
            // would
            // turn the wait off altogether).
            .gracefulShutdownTimeout(QUIET_PERIOD, drain)
            .disableServerHeader()
            .disableDateHeader();
    TlsSettings tls = listener.tls();
    if (tls != null) {
      ServerCredentials credentials =
          tls.credentials(listener.name(), listener.tlsKey(), tlsReloadFailures);
      // The JDK's TLS (netty-tcnative is left out): it asks the key manager at every handshake.
      sb.tls(new KeyManagerFactoryWrapper(credentials.keyManager()));
      if (credentials.trustManager() != null) {
        sb.tlsCustomizer(
            ssl -> ssl.trustManager(credentials.trustManager()).clientAuth(ClientAuth.REQUIRE));
      }
    }
    listener
        .routes()
        .forEach(
            (path, service) -> {
              if (service instanceof ServiceErrorHandler errors) {
                // Armeria's own failures of the request (timeout, body limit) in the receiver's
                // format and counted.
                sb.route().path(path).errorHandler(errors).build(service);
              } else {
                sb.service(path, service);
              }
            });
    sb.serviceUnder("/", listener.fallback());
    return sb.build();
  }

  /** The port {@code listener} actually bound. */
  public int port(String listener) {
    Server server = servers.get(listener);
    if (server == null) {
      throw new IllegalArgumentException("no listener named " + listener);
    }
    return port(server);
  }

  private static int port(Server server) {
    return server.activePort().localAddress().getPort();
  }

  /**
   * Whether every listener is serving and the parsers keep up: true from start until close, except
   * while requests have waited {@link #SATURATED_AFTER} for a parser.
   */
  public boolean isServing() {
    if (!serving || saturated()) {
      return false;
    }
    for (Server server : servers.values()) {
      if (server.isClosed() || server.activePorts().isEmpty()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Stops accepting, lets requests in flight be answered (up to the drain timeout; new ones get 503
   * meanwhile), then closes the sockets and the event loops.
   */
  @Override
  public void close() {
    serving = false;
    List<Server> running = new ArrayList<>(servers.values());
    // In parallel: each server's stop waits for its requests in flight, then about a second for
    // its acceptor thread.
    CompletableFuture.allOf(running.stream().map(Server::stop).toArray(CompletableFuture[]::new))
        .join();
    parsers.shutdown();
    eventLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
