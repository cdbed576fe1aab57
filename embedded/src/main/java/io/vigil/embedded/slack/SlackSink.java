package io.vigil.embedded.slack;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vigil.model.json.Json;
import io.vigil.model.runtime.AdminServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local HTTP server that behaves like a Slack incoming webhook: every {@code POST} is recorded
 * and answered {@code 200 ok} (text/plain), as Slack does. Failures can be injected with {@link
 * #failNext} to exercise retries and {@code Retry-After} handling.
 *
 * <p>Binds to {@code 127.0.0.1} only. Thread-safe.
 */
public final class SlackSink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SlackSink.class);
  private static final String HOST = "127.0.0.1";
  private static final String WEBHOOK_PATH = "/services/T000/B000/XXXX";

  private final HttpServer server;
  private final ExecutorService executor;
  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition arrived = lock.newCondition();
  private final List<SlackPost> posts = new ArrayList<>();
  private final List<Consumer<SlackPost>> listeners = new CopyOnWriteArrayList<>();
  private final java.util.ArrayDeque<Failure> failures = new java.util.ArrayDeque<>();

  /** One injected failure plan: answer {@code left} more posts with {@code status}. */
  private static final class Failure {
    int left;
    final int status;
    final Duration retryAfter;

    Failure(int left, int status, Duration retryAfter) {
      this.left = left;
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  private boolean closed;

  private SlackSink(HttpServer server, ExecutorService executor, Clock clock) {
    this.server = server;
    this.executor = executor;
    this.clock = clock;
  }

  /**
   * Starts a sink on {@code 127.0.0.1:port}.
   *
   * @param port the port, or 0 for a random free port
   */
  public static SlackSink start(int port) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(HOST), port), 0);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the Slack sink on " + HOST + ":" + port, e);
    }
    ExecutorService executor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "slack-sink");
              t.setDaemon(true);
              return t;
            });
    SlackSink sink = new SlackSink(server, executor, Clock.systemUTC());
    server.createContext("/", sink::handle);
    server.setExecutor(executor);
    server.start();
    LOG.info("Slack sink ready at {}", sink.webhookUrl());
    return sink;
  }

  /** Starts a sink on a random free port. */
  public static SlackSink start() {
    return start(0);
  }

  /** The webhook URL to configure as a Slack {@code api_url}. Any other path is accepted too. */
  public String webhookUrl() {
    return baseUrl() + WEBHOOK_PATH;
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String baseUrl() {
    return "http://" + HOST + ":" + port();
  }

  /** The port the sink listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Every POST received so far (accepted or not), oldest first. */
  public List<SlackPost> posts() {
    lock.lock();
    try {
      return List.copyOf(posts);
    } finally {
      lock.unlock();
    }
  }

  /** The POSTs that were answered 200, oldest first. */
  public List<SlackPost> acceptedPosts() {
    return posts().stream().filter(SlackPost::accepted).toList();
  }

  /**
   * Waits until at least one POST has been received and returns the first.
   *
   * @throws IllegalStateException on timeout
   */
  public SlackPost awaitPost(Duration timeout) {
    return awaitPosts(1, timeout).get(0);
  }

  /**
   * Waits until at least {@code n} POSTs have been received (accepted or not) and returns all
   * received so far.
   *
   * @throws IllegalStateException on timeout, listing what was received
   */
  public List<SlackPost> awaitPosts(int n, Duration timeout) {
    long remaining = timeout.toNanos();
    lock.lock();
    try {
      while (posts.size() < n) {
        if (remaining <= 0) {
          throw new IllegalStateException(
              "expected "
                  + n
                  + " Slack post(s) within "
                  + timeout
                  + " but received "
                  + posts.size()
                  + ": "
                  + posts);
        }
        remaining = arrived.awaitNanos(remaining);
      }
      return List.copyOf(posts);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Slack posts", e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Answers {@code times} POSTs with {@code status} instead of 200, and a {@code Retry-After}
   * header (whole seconds, rounded up) when {@code retryAfter} is not null — after the failures
   * injected before, so calls line up an outage: {@code failNext(6, 500, null); failNext(2, 429,
   * 30s)}. These posts are still recorded, with {@code accepted == false}.
   */
  public void failNext(int times, int status, Duration retryAfter) {
    if (times < 0) {
      throw new IllegalArgumentException("times: must be >= 0, was " + times);
    }
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status: must be an HTTP status, was " + status);
    }
    lock.lock();
    try {
      if (times > 0) {
        failures.addLast(new Failure(times, status, retryAfter));
      }
    } finally {
      lock.unlock();
    }
  }

  /** Calls {@code listener} for every POST as it arrives, on the sink's own thread. */
  public void onPost(Consumer<SlackPost> listener) {
    listeners.add(listener);
  }

  /** Forgets the injected failures still pending: from now on every POST is answered 200. */
  public void stopFailing() {
    lock.lock();
    try {
      failures.clear();
    } finally {
      lock.unlock();
    }
  }

  /** Forgets every received post and pending injected failure (listeners stay). */
  public void clear() {
    lock.lock();
    try {
      posts.clear();
      failures.clear();
    } finally {
      lock.unlock();
    }
  }

  /** Stops the server. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      lock.unlock();
    }
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "SlackSink[" + baseUrl() + "]";
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "POST");
        AdminServer.respond(exchange, 405, "method_not_allowed");
        return;
      }
      String body;
      try (InputStream in = exchange.getRequestBody()) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      int status;
      Duration retryAfter;
      SlackPost post;
      lock.lock();
      try {
        Failure failure = failures.peekFirst();
        boolean fail = failure != null;
        status = fail ? failure.status : 200;
        retryAfter = fail ? failure.retryAfter : null;
        if (fail && --failure.left == 0) {
          failures.removeFirst();
        }
        post =
            new SlackPost(
                exchange.getRequestURI().getPath(),
                exchange.getRequestHeaders().getFirst("Content-Type"),
                body,
                parse(body),
                clock.instant(),
                !fail);
        posts.add(post);
        arrived.signalAll();
      } finally {
        lock.unlock();
      }
      if (retryAfter != null) {
        long seconds = (retryAfter.toMillis() + 999) / 1000;
        exchange.getResponseHeaders().set("Retry-After", Long.toString(seconds));
      }
      // Listeners run before the answer, so a sender that got its answer knows they ran.
      for (Consumer<SlackPost> listener : listeners) {
        try {
          listener.accept(post);
        } catch (RuntimeException e) {
          LOG.warn("Slack sink listener failed", e);
        }
      }
      AdminServer.respond(exchange, status, status == 200 ? "ok" : failureBody(status));
    }
  }

  private static String failureBody(int status) {
    return status == 429
        ? "rate_limited"
        : status >= 500 ? "service_unavailable" : "invalid_payload";
  }

  private static JsonNode parse(String body) {
    if (body.isBlank()) {
      return null;
    }
    try {
      return Json.mapper().readTree(body);
    } catch (JsonProcessingException e) {
      return null;
    }
  }
}
