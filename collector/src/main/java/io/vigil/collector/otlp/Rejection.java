package io.vigil.collector.otlp;

/**
 * Why a request is refused: the HTTP status, the {@code google.rpc.Status} code, the {@code reason}
 * label of {@code vigil_collector_requests_rejected_total}, and a message for the sender.
 */
final class Rejection extends Exception {
  // google.rpc.Code values, as OTLP/HTTP carries them in the Status body.
  static final int INVALID_ARGUMENT = 3;
  static final int NOT_FOUND = 5;
  static final int RESOURCE_EXHAUSTED = 8;
  static final int UNIMPLEMENTED = 12;
  static final int INTERNAL = 13;
  static final int UNAVAILABLE = 14;

  private final int httpStatus;
  private final int grpcCode;
  private final String reason;

  Rejection(int httpStatus, int grpcCode, String reason, String message) {
    super(message, null, false, false);
    this.httpStatus = httpStatus;
    this.grpcCode = grpcCode;
    this.reason = reason;
  }

  static Rejection malformed(String message) {
    return new Rejection(400, INVALID_ARGUMENT, "malformed", message);
  }

  static Rejection tooLarge(String message) {
    return new Rejection(413, RESOURCE_EXHAUSTED, "too_large", message);
  }

  static Rejection unsupportedMediaType(String message) {
    return new Rejection(415, INVALID_ARGUMENT, "unsupported_media_type", message);
  }

  static Rejection unsupportedEncoding(String message) {
    return new Rejection(415, INVALID_ARGUMENT, "unsupported_encoding", message);
  }

  static Rejection notFound(String path) {
    return new Rejection(
        404,
        NOT_FOUND,
        "not_found",
        "no OTLP endpoint at '" + path + "' (use /v1/metrics, /v1/logs or /v1/traces)");
  }

  static Rejection methodNotAllowed(String method) {
    return new Rejection(
        405, UNIMPLEMENTED, "method_not_allowed", "method " + method + " not allowed, use POST");
  }

  static Rejection unavailable(String message) {
    return new Rejection(503, UNAVAILABLE, "kafka_unavailable", message);
  }

  static Rejection shuttingDown() {
    return new Rejection(503, UNAVAILABLE, "shutting_down", "the collector is shutting down");
  }

  static Rejection internal(String message) {
    return new Rejection(500, INTERNAL, "internal", message);
  }

  int httpStatus() {
    return httpStatus;
  }

  int grpcCode() {
    return grpcCode;
  }

  String reason() {
    return reason;
  }

  boolean retryable() {
    return httpStatus == 503;
  }
}
