package io.vigil.collector.ingress;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.util.Exceptions;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.RequestTimeoutException;
import com.linecorp.armeria.server.ServiceErrorHandler;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.util.AttributeKey;
import io.vigil.collector.otlp.RateLimitSettings;
import io.vigil.collector.otlp.RequestDecoder;
import io.vigil.collector.sink.RecordSink;
import io.vigil.collector.sink.ResourceAttributes;
import io.vigil.collector.sink.SinkException;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.runtime.ThrottlingLogger;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every receiver on the ingress does with a request, with the receiver's format filled in by a
 * subclass: check the headers; refuse at once when the sink cannot take data; read the body (as it
 * arrives, up to the listener's limit); parse it into records on a blocking-task thread; store
 * them; answer only once they are durable. Every answer is counted ({@code
 * vigil_collector_requests_total}) and every refusal too, with its reason, and logged at most once
 * a minute per receiver.
 *
 * <p>Refusals: 405 (not POST), 401 (no known bearer token, when tokens are configured), what {@link
 * #checkHeaders} and {@link #parse} say (400, 415), 413 (body over the limit), 408 (the body did
 * not arrive within the request timeout), 503 with {@code Retry-After} (the sink is down, did not
 * acknowledge in time, or the collector is stopping).
 */
public abstract class IngressService implements HttpService, ServiceErrorHandler {
  private static final Logger LOG = LoggerFactory.getLogger(IngressService.class);

  /** Seconds a sender is asked to wait after a 503; the SDKs back off on their own too. */
  public static final long RETRY_AFTER_SECONDS = 5;

  /** What a request turned into: the records to store and what to count and answer once stored. */
  public record Batch(List<SinkRecord> records, long items, Object answer) {}

  private final String transport;
  private final String signal;
  private final String limitsKey;
  private final int maxBodyBytes;
  private final RecordSink sink;
  private final Peers peers;
  private final ReceiverMetrics metrics;
  private final BearerAuth auth;
  private final InFlightBytes inFlight;
  private final SenderRateLimits rateLimits;
  private final ThrottlingLogger refusals = new ThrottlingLogger(LOG);
  private final ThrottlingLogger failures = new ThrottlingLogger(LOG);

  /**
   * @param transport {@code http} or {@code grpc}, a metrics label
   * @param signal what the receiver takes ({@code metrics}, {@code lineage}, …), a metrics label
   * @param limitsKey the configuration section holding this receiver's limits, named in refusals
   *     (e.g. {@code collector.otlp.http})
   * @param maxBodyBytes the longest body read; a longer one is read to its end, thrown away and
   *     answered 413
   * @param receiving the sink, counters and bearer tokens shared by the receivers
   */
  protected IngressService(
      String transport, String signal, String limitsKey, int maxBodyBytes, Receiving receiving) {
    this.transport = transport;
    this.auth = receiving.auth();
    this.maxBodyBytes = maxBodyBytes;
    this.signal = signal;
    this.limitsKey = limitsKey;
    this.sink = receiving.sink();
    this.metrics = receiving.metrics();
    this.inFlight = receiving.inFlight();
    this.rateLimits = receiving.rateLimits();
    this.peers = receiving.peers();
  }

  private static final String POD_UID = "k8s.pod.uid";
  private static final String POD_IP = "k8s.pod.ip";
  private static final Set<String> POD_KEYS = Set.of(POD_UID, POD_IP);

  /**
   * {@code batch} with each resource's pod's attributes (namespace, name, uid, labels, owners)
   * where the resource does not set them; the pod found as {@link Peers#identify} says.
   */
  private Batch fromPeer(ServiceRequestContext ctx, Batch batch) {
    if (peers == Peers.none()) {
      return batch;
    }
    String connection = ctx.remoteAddress().getAddress().getHostAddress();
    ResourceAttributes identity =
        ResourceAttributes.perResource(
            POD_KEYS, own -> peers.identify(own.get(POD_UID), own.get(POD_IP), connection));
    return new Batch(identity.addTo(batch.records()), batch.items(), batch.answer());
  }

  /**
   * The sender's own deadline, when it gave one (gRPC's {@code grpc-timeout}): the request is then
   * answered {@code DEADLINE_EXCEEDED} when it passes, if sooner than the listener's request
   * timeout, rather than held for a sender that has given up.
   */
  protected static final AttributeKey<Duration> SENDER_DEADLINE =
      AttributeKey.valueOf(IngressService.class, "SENDER_DEADLINE");

  /** Checks what can be checked before the body is read. */
  protected abstract void checkHeaders(RequestHeaders headers) throws Rejection;

  /**
   * Applies a deadline the sender set in {@code headers} to {@code ctx}, if it has one (none by
   * default); a malformed one is a {@link Rejection}.
   */
  protected void applyDeadline(ServiceRequestContext ctx, RequestHeaders headers)
      throws Rejection {}

  /** Turns the whole body into records; runs on a blocking-task thread. */
  protected abstract Batch parse(RequestHeaders headers, byte[] body) throws Rejection;

  /**
   * {@code raw} decompressed as {@code contentEncoding} says (gzip or none), at most the body limit
   * after decompression. An uncompressed body is {@code raw} itself ({@link BoundedBody} kept it
   * within the limit).
   */
  protected final byte[] decompressed(byte[] raw, String contentEncoding) throws Rejection {
    if (!RequestDecoder.gzip(contentEncoding)) {
      return raw;
    }
    try {
      return RequestDecoder.readBody(
          new ByteArrayInputStream(raw), null, contentEncoding, maxBodyBytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen reading from memory
    }
  }

  /** The answer once the batch is stored. */
  protected abstract HttpResponse accepted(RequestHeaders headers, Batch batch);

  /** The answer to a refused request, in the receiver's format. */
  protected abstract HttpResponse refused(RequestHeaders headers, Rejection rejection);

  @Override
  public final HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    RequestHeaders headers = req.headers();
    String sender;
    try {
      if (headers.method() != HttpMethod.POST) {
        throw Rejection.methodNotAllowed(headers.method().name());
      }
      sender = auth == null ? null : auth.sender(headers.get(HttpHeaderNames.AUTHORIZATION));
      if (auth != null && sender == null) {
        throw Rejection.unauthenticated();
      }
      if (sender == null && rateLimits.enabled()) {
        sender = ctx.remoteAddress().getAddress().getHostAddress(); // only the limits need it
      }
      checkHeaders(headers);
      applyDeadline(ctx, headers);
      String down = sink.unavailableReason();
      if (down != null) {
        throw Rejection.unavailable("data not stored, retry later: " + down);
      }
    } catch (Rejection rejection) {
      return refuse(ctx, headers, rejection);
    }
    String from = sender;
    AtomicBoolean bodyRead = new AtomicBoolean();
    int bodyLimit = rateLimits.maxBodyBytes(sender, maxBodyBytes);
    BoundedBody body = BoundedBody.read(req, bodyLimit, inFlight, ctx.eventLoop());
    CompletableFuture<HttpResponse> answer =
        body.result()
            .thenApplyAsync(
                bytes -> {
                  bodyRead.set(true);
                  try {
                    Batch batch = parse(headers, bytes);
                    long wait = rateLimits.take(from, batch.items());
                    if (wait > 0) {
                      throw Rejection.rateLimited(from, wait);
                    }
                    if (!body.holdAtLeast(size(batch.records()))) {
                      throw overBudget();
                    }
                    return fromPeer(ctx, batch);
                  } catch (Rejection rejection) {
                    throw new CompletionException(rejection);
                  }
                },
                ctx.blockingTaskExecutor())
            .thenCompose(batch -> sink.store(batch.records()).thenApply(stored -> batch))
            .handle(
                (batch, error) -> {
                  body.release();
                  if (error != null) {
                    return refuse(ctx, headers, rejection(ctx, error, bodyRead.get(), from));
                  }
                  metrics.accepted(signal, batch.items());
                  HttpResponse ok = accepted(headers, batch);
                  metrics.answered(transport, signal, okStatus());
                  return ok;
                });
    return HttpResponse.of(answer);
  }

  private static long size(List<SinkRecord> records) {
    long bytes = 0;
    for (SinkRecord record : records) {
      bytes += record.value().length + (record.key() == null ? 0 : record.key().length);
    }
    return bytes;
  }

  private Rejection overBudget() {
    return Rejection.memoryLimit(
        "the collector holds as much data in flight as it may (collector.otlp.max_in_flight_bytes"
            + " = "
            + inFlight.limit()
            + "), retry later");
  }

  /** The status label of a success: {@code 200}, or {@code OK} for gRPC. */
  protected String okStatus() {
    return "200";
  }

  /** The status label of a refusal: its HTTP code, or its gRPC code for gRPC. */
  protected String status(Rejection rejection) {
    return Integer.toString(rejection.httpStatus());
  }

  /** Armeria's own failure of a request (its timeout) gets the receiver's answer. */
  @Override
  public HttpResponse onServiceException(ServiceRequestContext ctx, Throwable cause) {
    if (cause instanceof RequestTimeoutException) {
      return refuse(ctx, ctx.request().headers(), rejection(ctx, cause, false, null));
    }
    return null;
  }

  /**
   * A status Armeria answers by itself (408/503 for a timeout) in the receiver's format, counted
   * like every other refusal. (Armeria enforces no body limit here: {@link BoundedBody} does.)
   */
  @Override
  public AggregatedHttpResponse renderStatus(
      ServiceRequestContext ctx,
      RequestHeaders headers,
      HttpStatus status,
      String description,
      Throwable cause) {
    Rejection rejection =
        switch (status.code()) {
          case 408 -> rejection(ctx, RequestTimeoutException.get(), false, null);
          case 503 -> Rejection.shuttingDown();
          default ->
              new Rejection(
                  status.code(),
                  Rejection.UNKNOWN,
                  "http_" + status.code(),
                  description == null ? status.reasonPhrase() : description);
        };
    return refuse(ctx, headers, rejection).aggregate().join();
  }

  /** What to answer for {@code error}; {@code sender} is who sent the request, if known. */
  private Rejection rejection(
      ServiceRequestContext ctx, Throwable error, boolean bodyRead, String sender) {
    Throwable cause = Exceptions.peel(error);
    if (cause instanceof Rejection rejection) {
      return rejection;
    }
    if (cause instanceof SinkException e) {
      return e.retryable()
          ? Rejection.unavailable("data not stored, retry later: " + e.getMessage())
          : Rejection.tooLarge("data cannot be stored: " + e.getMessage());
    }
    if (cause instanceof BoundedBody.OverBudget) {
      return overBudget();
    }
    if (cause instanceof BoundedBody.TooLarge tooLarge) {
      String key =
          tooLarge.limit < maxBodyBytes
              ? RateLimitSettings.maxBodyBytesKey(sender)
              : limitsKey + ".max_body_bytes";
      // Read and thrown away, then the HTTP/1 connection closed after the 413 (Connection:
      // close): a sender that keeps no count of what it wrote cannot be trusted to be at a request
      // boundary. An HTTP/2 stream ends on its own; the connection's other streams go on.
      if (!ctx.sessionProtocol().isMultiplex()) {
        ctx.initiateConnectionShutdown();
      }
      return Rejection.tooLarge(
          "request body of "
              + tooLarge.bytes
              + " bytes exceeds the limit of "
              + tooLarge.limit
              + " bytes ("
              + key
              + ")");
    }
    if (cause instanceof RequestTimeoutException || cause instanceof CancellationException) {
      Duration deadline = ctx.attr(SENDER_DEADLINE);
      if (deadline != null) {
        return Rejection.timeout(
            "the sender's deadline ("
                + deadline.toMillis()
                + " ms) passed before the data was stored");
      }
      if (bodyRead) {
        return Rejection.unavailable("data not stored in time, retry later");
      }
      // A sender too slow to send its body is not kept on after its 408: otherwise the rest of
      // the body, trickling in, keeps the connection open for as long as the sender likes.
      ctx.initiateConnectionShutdown();
      return Rejection.timeout(
          "request body not received within the request timeout ("
              + limitsKey
              + ".request_timeout)");
    }
    if (ctx.isCancelled() || ctx.eventLoop().isShuttingDown()) {
      return Rejection.shuttingDown();
    }
    failures.warn(
        "unexpected error serving {} {} from {}", transport, signal, ctx.remoteAddress(), cause);
    return Rejection.internal("internal error: " + cause);
  }

  private HttpResponse refuse(ServiceRequestContext ctx, RequestHeaders headers, Rejection r) {
    metrics.rejected(transport, signal, r.reason());
    if (r.httpStatus() != 500) { // a 500 was logged with its stack trace where it was caught
      refusals.warn(
          "refused {} {} request from {} with {}: {}",
          transport,
          signal,
          ctx.remoteAddress(),
          status(r),
          r.getMessage());
    }
    metrics.answered(transport, signal, status(r));
    return refused(headers, r);
  }
}
