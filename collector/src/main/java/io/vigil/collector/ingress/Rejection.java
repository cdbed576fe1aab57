package io.vigil.collector.ingress;

/**
 * Why a request is refused: the HTTP status, the {@code google.rpc.Status} code, the {@code reason}
 * label of {@code vigil_collector_requests_rejected_total}, and a message for the sender.
 */
public final class Rejection extends Exception {
  // google.rpc.Code values, as OTLP/HTTP carries them in the Status body.
  public static final int UNKNOWN = 2;
  public static final int INVALID_ARGUMENT = 3;
  public static final int DEADLINE_EXCEEDED = 4;
  public static final int NOT_FOUND = 5;
  public static final int RESOURCE_EXHAUSTED = 8;
  public static final int UNIMPLEMENTED = 12;
  public static final int INTERNAL = 13;
  public static final int UNAVAILABLE = 14;
  public static final int UNAUTHENTICATED = 16;

  private final int httpStatus;
  private final int grpcCode;
  private final String reason;
  private final long retryAfterSeconds;

  public Rejection(int httpStatus, int grpcCode, String reason, String message) {
    this(httpStatus, grpcCode, reason, message, 0);
  }

  private Rejection(
      int httpStatus, int grpcCode, String reason, String message, long retryAfterSeconds) {
    super(message, null, false, false);
    this.httpStatus = httpStatus;
    this.grpcCode = grpcCode;
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static Rejection malformed(String message) {
    return new Rejection(400, INVALID_ARGUMENT, "malformed", message);
  }

  public static Rejection tooLarge(String message) {
    return new Rejection(413, RESOURCE_EXHAUSTED, "too_large", message);
  }

  public static Rejection unsupportedMediaType(String message) {
    return new Rejection(415, INVALID_ARGUMENT, "unsupported_media_type", message);
  }

  public static Rejection unsupportedEncoding(String message) {
    return new Rejection(415, INVALID_ARGUMENT, "unsupported_encoding", message);
  }

  /** No endpoint at {@code path}; {@code use} lists the ones there are. */
  public static Rejection notFound(String path, String use) {
    return new Rejection(
        404, NOT_FOUND, "not_found", "no endpoint at '" + path + "' (use " + use + ")");
  }

  /** The request carries no known bearer token. */
  public static Rejection unauthenticated() {
    return new Rejection(
        401,
        UNAUTHENTICATED,
        "unauthenticated",
        "a valid bearer token is required (Authorization: Bearer …)");
  }

  /** The sender did not deliver its request within the request timeout. */
  public static Rejection timeout(String message) {
    return new Rejection(408, DEADLINE_EXCEEDED, "timeout", message);
  }

  public static Rejection methodNotAllowed(String method) {
    return new Rejection(
        405, UNIMPLEMENTED, "method_not_allowed", "method " + method + " not allowed, use POST");
  }

  public static Rejection unavailable(String message) {
    return new Rejection(503, UNAVAILABLE, "kafka_unavailable", message);
  }

  /** The ingress holds as many bytes as it may; the sender should retry later. */
  public static Rejection memoryLimit(String message) {
    return new Rejection(503, UNAVAILABLE, "memory_limit", message);
  }

  /**
   * The sender went over its rate ({@code collector.otlp.rate_limit}): 429 with the seconds to
   * wait; over gRPC UNAVAILABLE, which every OTLP exporter retries with backoff.
   */
  public static Rejection rateLimited(String sender, long waitSeconds) {
    return new Rejection(
        429,
        UNAVAILABLE,
        "rate_limited",
        "sender '"
            + sender
            + "' is over its rate (collector.otlp.rate_limit), retry in "
            + waitSeconds
            + " s",
        waitSeconds);
  }

  public static Rejection shuttingDown() {
    return new Rejection(503, UNAVAILABLE, "shutting_down", "the collector is shutting down");
  }

  public static Rejection internal(String message) {
    return new Rejection(500, INTERNAL, "internal", message);
  }

  public int httpStatus() {
    return httpStatus;
  }

  public int grpcCode() {
    return grpcCode;
  }

  public String reason() {
    return reason;
  }

  public boolean retryable() {
    return httpStatus == 503 || httpStatus == 429;
  }

  /** What {@code Retry-After} says: this refusal's own wait, else the default for a 503. */
  public String retryAfter() {
    return Long.toString(retryAfterSeconds());
  }

  /** The seconds to wait before retrying: this refusal's own wait, else the default for a 503. */
  public long retryAfterSeconds() {
    return retryAfterSeconds > 0 ? retryAfterSeconds : IngressService.RETRY_AFTER_SECONDS;
  }
}
