package io.vigil.collector.otlp;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.common.util.TimeoutMode;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.vigil.collector.ingress.HttpReplies;
import io.vigil.collector.ingress.IngressService;
import io.vigil.collector.ingress.ReceiverMetrics;
import io.vigil.collector.ingress.Receiving;
import io.vigil.collector.ingress.Rejection;
import io.vigil.collector.otlp.RequestDecoder.Encoding;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;

/**
 * One OTLP/gRPC {@code Export} method, e.g. {@code
 * /opentelemetry.proto.collector.metrics.v1.MetricsService/Export}: a unary call over HTTP/2, its
 * one length-prefixed message optionally compressed ({@code grpc-encoding: gzip}). Answered with
 * the empty {@code Export*ServiceResponse} and {@code grpc-status: 0} once every resource is
 * stored; otherwise a trailers-only answer whose {@code grpc-status} says what the OTLP
 * specification expects: {@code INVALID_ARGUMENT} for a bad request, {@code RESOURCE_EXHAUSTED} for
 * one over the limit, {@code UNAVAILABLE} (retry) when it could not be stored.
 *
 * <p>The framing of a unary call is a few lines, so it is done here rather than through grpc-java
 * (ADR 0006); Armeria's own unary gRPC service has no decompression.
 */
final class OtlpGrpcService extends IngressService {
  /** The gRPC content type; {@code application/grpc+proto} is accepted too. */
  static final String GRPC = "application/grpc";

  private static final MediaType GRPC_TYPE = MediaType.parse(GRPC);

  private static final int HEADER_BYTES = 5;
  private static final String[] CODE_NAMES = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED"
  };

  private final OtlpSignal signal;
  private final long maxClockSkewNanos;
  private final ReceiverMetrics metrics;

  OtlpGrpcService(
      OtlpSignal signal, int maxMessageBytes, Duration maxClockSkew, Receiving receiving) {
    super("grpc", signal.label(), "collector.otlp.grpc", maxMessageBytes, receiving);
    this.signal = signal;
    this.maxClockSkewNanos = maxClockSkew.toNanos();
    this.metrics = receiving.metrics();
  }

  @Override
  protected void checkHeaders(RequestHeaders headers) throws Rejection {
    if (!isGrpc(headers)) {
      String type = headers.get(HttpHeaderNames.CONTENT_TYPE);
      throw Rejection.unsupportedMediaType(
          "unsupported Content-Type '" + (type == null ? "" : type) + "', use " + GRPC);
    }
    compressed(headers);
  }

  /**
   * gRPC's {@code grpc-timeout} ({@code <up to 8 digits><H|M|S|m|u|n>}): the request is answered
   * {@code DEADLINE_EXCEEDED} when the sender's deadline passes, if that is sooner than the
   * listener's {@code request_timeout} — not held on for a sender that has given up (the
   * OpenTelemetry SDKs send their export timeout this way). A malformed value is refused.
   */
  @Override
  protected void applyDeadline(ServiceRequestContext ctx, RequestHeaders headers) throws Rejection {
    String value = headers.get("grpc-timeout");
    if (value == null) {
      return;
    }
    Duration deadline = grpcTimeout(value.trim());
    if (deadline == null) {
      throw Rejection.malformed(
          "malformed grpc-timeout '" + value + "': up to 8 digits and one of H, M, S, m, u, n");
    }
    long current = ctx.requestTimeoutMillis();
    if (current == 0 || deadline.toMillis() < current) {
      ctx.setAttr(SENDER_DEADLINE, deadline);
      ctx.setRequestTimeout(
          TimeoutMode.SET_FROM_NOW, deadline.isZero() ? Duration.ofNanos(1) : deadline);
    }
  }

  /** A {@code grpc-timeout} value as a duration, or null when it is not one. */
  static Duration grpcTimeout(String value) {
    int n = value.length();
    if (n < 2 || n > 9) {
      return null;
    }
    for (int i = 0; i < n - 1; i++) {
      if (value.charAt(i) < '0' || value.charAt(i) > '9') {
        return null;
      }
    }
    long amount = Long.parseLong(value.substring(0, n - 1));
    return switch (value.charAt(n - 1)) {
      case 'H' -> Duration.ofHours(amount);
      case 'M' -> Duration.ofMinutes(amount);
      case 'S' -> Duration.ofSeconds(amount);
      case 'm' -> Duration.ofMillis(amount);
      case 'u' -> Duration.ofNanos(amount * 1000);
      case 'n' -> Duration.ofNanos(amount);
      default -> null;
    };
  }

  @Override
  protected Batch parse(RequestHeaders headers, byte[] body) throws Rejection {
    if (body.length < HEADER_BYTES) {
      throw Rejection.malformed(
          "gRPC request of " + body.length + " bytes holds no message frame (5-byte prefix)");
    }
    int flags = body[0];
    long length =
        ((body[1] & 0xffL) << 24)
            | ((body[2] & 0xff) << 16)
            | ((body[3] & 0xff) << 8)
            | (body[4] & 0xff);
    if (length != body.length - HEADER_BYTES) {
      throw Rejection.malformed(
          "a unary gRPC request holds exactly one message: frame says "
              + length
              + " bytes, "
              + (body.length - HEADER_BYTES)
              + " follow");
    }
    byte[] message = Arrays.copyOfRange(body, HEADER_BYTES, body.length);
    if ((flags & 1) != 0) {
      if (!compressed(headers)) {
        throw Rejection.malformed("compressed gRPC message without grpc-encoding");
      }
      message = decompressed(message, "gzip");
    }
    return RequestDecoder.batch(signal, Encoding.PROTOBUF, message, maxClockSkewNanos, metrics);
  }

  @Override
  protected HttpResponse accepted(RequestHeaders headers, Batch batch) {
    FutureTimes.Accepted answer = (FutureTimes.Accepted) batch.answer();
    byte[] response = signal.response(answer.rejected(), answer.message()).toByteArray();
    byte[] frame = new byte[HEADER_BYTES + response.length];
    frame[1] = (byte) (response.length >>> 24);
    frame[2] = (byte) (response.length >>> 16);
    frame[3] = (byte) (response.length >>> 8);
    frame[4] = (byte) response.length;
    System.arraycopy(response, 0, frame, HEADER_BYTES, response.length);
    return HttpResponse.of(
        ResponseHeaders.builder(200).contentType(GRPC_TYPE).build(),
        HttpData.wrap(frame),
        HttpHeaders.of("grpc-status", "0"));
  }

  @Override
  protected HttpResponse refused(RequestHeaders headers, Rejection rejection) {
    if (!isGrpc(headers) || rejection.httpStatus() == 405) {
      return HttpReplies.refused(rejection, false); // not a gRPC client: plain HTTP
    }
    return trailersOnly(rejection);
  }

  /**
   * A gRPC error answer: the status travels in the one HEADERS frame that ends the stream. A
   * refusal worth retrying also says when, as a {@code google.rpc.RetryInfo} in {@code
   * grpc-status-details-bin} (what OTLP asks of a server that pushes back; the OpenTelemetry
   * Collector's exporters wait that long before their next try).
   */
  static HttpResponse trailersOnly(Rejection rejection) {
    ResponseHeadersBuilder trailers =
        ResponseHeaders.builder(200)
            .contentType(GRPC_TYPE)
            .set("grpc-status", Integer.toString(rejection.grpcCode()))
            .set("grpc-message", percentEncode(rejection.getMessage()));
    if (rejection.retryable()) {
      trailers.set(STATUS_DETAILS, retryDetails(rejection));
    }
    return HttpResponse.of(trailers.build());
  }

  /** The header of a status's details: a {@code google.rpc.Status}, base64 without padding. */
  static final String STATUS_DETAILS = "grpc-status-details-bin";

  /** The type URL of a {@code google.rpc.RetryInfo} in an {@code Any}. */
  static final String RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo";

  /**
   * {@code google.rpc.Status {code, message, details: [RetryInfo {retry_delay}]}} with the
   * rejection's wait, encoded here: the two small messages are not worth a dependency on Google's
   * common protos.
   */
  private static String retryDetails(Rejection rejection) {
    ByteString delay =
        com.google.protobuf.Duration.newBuilder()
            .setSeconds(rejection.retryAfterSeconds())
            .build()
            .toByteString();
    Any detail =
        Any.newBuilder().setTypeUrl(RETRY_INFO).setValue(field(1, delay)).build(); // retry_delay
    ByteString.Output status = ByteString.newOutput();
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(status);
      out.writeInt32(1, rejection.grpcCode()); // code
      out.writeString(2, rejection.getMessage()); // message
      out.writeMessage(3, detail); // details
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // in memory: cannot fail
    }
    return Base64.getEncoder().withoutPadding().encodeToString(status.toByteString().toByteArray());
  }

  /** A message holding {@code value} as its length-delimited field {@code number}. */
  private static ByteString field(int number, ByteString value) {
    ByteString.Output bytes = ByteString.newOutput();
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.writeBytes(number, value);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteString();
  }

  @Override
  protected String okStatus() {
    return "OK";
  }

  @Override
  protected String status(Rejection rejection) {
    int code = rejection.grpcCode();
    return code >= 0 && code < CODE_NAMES.length ? CODE_NAMES[code] : Integer.toString(code);
  }

  private static boolean isGrpc(RequestHeaders headers) {
    String type = headers.get(HttpHeaderNames.CONTENT_TYPE);
    if (type == null) {
      return false;
    }
    String media = RequestDecoder.mediaType(type);
    return media.equals(GRPC) || media.equals(GRPC + "+proto");
  }

  /** Whether messages may be gzip-compressed; refuses any other {@code grpc-encoding}. */
  private static boolean compressed(RequestHeaders headers) throws Rejection {
    String encoding = headers.get("grpc-encoding");
    if (encoding == null) {
      return false;
    }
    String coding = encoding.trim().toLowerCase(Locale.ROOT);
    if (coding.equals("identity")) {
      return false;
    }
    if (coding.equals("gzip")) {
      return true;
    }
    throw new Rejection(
        415,
        Rejection.UNIMPLEMENTED,
        "unsupported_encoding",
        "unsupported grpc-encoding '" + encoding + "', use gzip or identity");
  }

  /** {@code grpc-message} encoding: printable ASCII except '%' as is, every other byte %XX. */
  static String percentEncode(String message) {
    StringBuilder out = new StringBuilder(message.length());
    for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(String.format(Locale.ROOT, "%02X", c));
      }
    }
    return out.toString();
  }
}
