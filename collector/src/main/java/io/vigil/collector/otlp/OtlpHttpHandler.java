package io.vigil.collector.otlp;

import com.google.protobuf.Message;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.vigil.collector.kafka.RecordSink;
import io.vigil.collector.lineage.LineageEvents;
import io.vigil.collector.otlp.RequestDecoder.Encoding;
import io.vigil.model.Topics;
import io.vigil.model.runtime.ThrottlingLogger;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code POST /v1/metrics}, {@code /v1/logs} and {@code /v1/traces} as the OTLP/HTTP
 * specification says: 200 with an empty {@code Export*ServiceResponse} only after the sink has
 * stored the request; otherwise a {@code google.rpc.Status} body in the request's encoding. Also
 * {@code POST /api/v1/lineage} (OpenLineage's HTTP transport) when a record sink is given: the
 * event is checked ({@link LineageEvents}) and stored on {@code vigil.lineage}, keyed by job,
 * before the 200; a bad event gets 400 naming the field.
 */
final class OtlpHttpHandler implements HttpHandler {
  private static final Logger LOG = LoggerFactory.getLogger(OtlpHttpReceiver.class);

  /** Seconds a sender is asked to wait after a 503; the SDKs back off on their own too. */
  static final String RETRY_AFTER_SECONDS = "5";

  private static final byte[] EMPTY_JSON_RESPONSE = "{}".getBytes(StandardCharsets.UTF_8);

  private final OtlpHttpSettings settings;
  private final OtlpSink sink;
  private final RecordSink records;
  private final ReceiverMetrics metrics;
  private final ThrottlingLogger badRequests = new ThrottlingLogger(LOG);
  private final ThrottlingLogger failures = new ThrottlingLogger(LOG);

  private final Object lock = new Object();
  private int inFlight;
  private boolean closing;

  OtlpHttpHandler(
      OtlpHttpSettings settings, OtlpSink sink, RecordSink records, ReceiverMetrics metrics) {
    this.settings = settings;
    this.sink = sink;
    this.records = records;
    this.metrics = metrics;
  }

  @Override
  public void handle(HttpExchange exchange) {
    boolean admitted;
    synchronized (lock) {
      admitted = !closing;
      if (admitted) {
        inFlight++;
      }
    }
    try {
      serve(exchange, admitted);
    } finally {
      if (admitted) {
        synchronized (lock) {
          inFlight--;
          lock.notifyAll();
        }
      }
      exchange.close();
    }
  }

  /**
   * Refuses new requests with 503 and waits up to {@code timeout} for the ones in flight, which may
   * be waiting for Kafka, to be answered. Returns whether all were.
   */
  boolean drain(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      closing = true;
      while (inFlight > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }

  private void serve(HttpExchange exchange, boolean admitted) {
    String path = exchange.getRequestURI().getPath();
    if (records != null && LineageEvents.PATH.equals(path)) {
      serveLineage(exchange, admitted);
      return;
    }
    OtlpSignal signal = OtlpSignal.forPath(path);
    String label = signal == null ? ReceiverMetrics.UNKNOWN_SIGNAL : signal.label();
    String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
    Encoding answerIn = RequestDecoder.responseEncoding(contentType);
    try {
      if (!admitted) {
        throw Rejection.shuttingDown();
      }
      if (signal == null) {
        throw Rejection.notFound(path);
      }
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "POST");
        throw Rejection.methodNotAllowed(exchange.getRequestMethod());
      }
      Encoding encoding = RequestDecoder.encoding(contentType);
      answerIn = encoding;
      byte[] body = readBody(exchange, label);
      if (body == null) {
        return;
      }
      Message request = RequestDecoder.decode(signal, encoding, body);
      store(signal, request);
      metrics.accepted(signal, signal.count(request));
      byte[] response =
          encoding == Encoding.PROTOBUF
              ? signal.emptyResponse().toByteArray()
              : EMPTY_JSON_RESPONSE;
      send(exchange, 200, encoding, response);
      metrics.answered(label, 200);
    } catch (Rejection rejection) {
      reject(exchange, label, answerIn, rejection);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reject(exchange, label, answerIn, Rejection.shuttingDown());
    } catch (RuntimeException e) {
      failures.warn(
          "unexpected error serving OTLP/HTTP {} request from {}",
          label,
          exchange.getRemoteAddress(),
          e);
      reject(exchange, label, answerIn, Rejection.internal("internal error: " + e));
    }
  }

  private void serveLineage(HttpExchange exchange, boolean admitted) {
    String label = ReceiverMetrics.LINEAGE;
    try {
      if (!admitted) {
        throw Rejection.shuttingDown();
      }
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "POST");
        throw Rejection.methodNotAllowed(exchange.getRequestMethod());
      }
      String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
      if (contentType != null && !RequestDecoder.mediaType(contentType).contains("json")) {
        throw Rejection.unsupportedMediaType(
            "OpenLineage events are JSON (application/json), was '" + contentType + "'");
      }
      byte[] body = readBody(exchange, label);
      if (body == null) {
        return;
      }
      byte[] key;
      try {
        key = LineageEvents.key(body);
      } catch (LineageEvents.Invalid e) {
        throw Rejection.malformed(e.getMessage());
      }
      try {
        records.store(Topics.LINEAGE, key, body);
      } catch (SinkException e) {
        throw notStored("event", e);
      }
      metrics.acceptedLineageEvent();
      send(exchange, 200, Encoding.JSON, EMPTY_JSON_RESPONSE);
      metrics.answered(label, 200);
    } catch (Rejection rejection) {
      reject(exchange, label, Encoding.JSON, rejection);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reject(exchange, label, Encoding.JSON, Rejection.shuttingDown());
    } catch (RuntimeException e) {
      failures.warn(
          "unexpected error serving an OpenLineage event from {}", exchange.getRemoteAddress(), e);
      reject(exchange, label, Encoding.JSON, Rejection.internal("internal error: " + e));
    }
  }

  private void store(OtlpSignal signal, Message request) throws Rejection, InterruptedException {
    if (signal.resources(request) == 0) {
      return; // nothing to store: an empty request succeeds without touching Kafka
    }
    try {
      sink.accept(signal, request);
    } catch (SinkException e) {
      throw notStored("data", e);
    }
  }

  /** The answer when the sink could not store {@code what}: 503 to retry, or 413. */
  private static Rejection notStored(String what, SinkException e) {
    return e.retryable()
        ? Rejection.unavailable(what + " not stored, retry later: " + e.getMessage())
        : Rejection.tooLarge(what + " cannot be stored: " + e.getMessage());
  }

  /**
   * The request body within the size limit (gunzipped where it says so), or null when the sender
   * went away or stalled mid-body: counted and logged, with nobody left to answer.
   */
  private byte[] readBody(HttpExchange exchange, String label) throws Rejection {
    try {
      return RequestDecoder.readBody(
          exchange.getRequestBody(),
          exchange.getRequestHeaders().getFirst("Content-Length"),
          exchange.getRequestHeaders().getFirst("Content-Encoding"),
          settings.maxBodyBytes());
    } catch (IOException e) {
      metrics.rejected(label, "read_error");
      badRequests.warn(
          "cannot read {} body from {}: {}", label, exchange.getRemoteAddress(), String.valueOf(e));
      return null;
    }
  }

  private void reject(HttpExchange exchange, String label, Encoding encoding, Rejection r) {
    metrics.rejected(label, r.reason());
    if (r.httpStatus() != 500) { // a 500 was logged with its stack trace where it was caught
      badRequests.warn(
          "rejected OTLP/HTTP {} request from {} with {}: {}",
          label,
          exchange.getRemoteAddress(),
          r.httpStatus(),
          r.getMessage());
    }
    if (r.retryable()) {
      exchange.getResponseHeaders().set("Retry-After", RETRY_AFTER_SECONDS);
    }
    byte[] body =
        encoding == Encoding.JSON
            ? StatusBody.json(r.grpcCode(), r.getMessage())
            : StatusBody.protobuf(r.grpcCode(), r.getMessage());
    send(exchange, r.httpStatus(), encoding, body);
    metrics.answered(label, r.httpStatus());
  }

  private static void send(HttpExchange exchange, int status, Encoding encoding, byte[] body) {
    try {
      exchange.getResponseHeaders().set("Content-Type", encoding.mediaType());
      exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot send OTLP/HTTP response {} to {}", status, exchange.getRemoteAddress(), e);
    }
  }
}
