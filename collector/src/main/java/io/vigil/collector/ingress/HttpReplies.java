package io.vigil.collector.ingress;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;

/**
 * Answers of the plain-HTTP receivers (OTLP/HTTP, OpenLineage): a {@code google.rpc.Status} body in
 * protobuf or JSON, as OTLP/HTTP specifies, {@code Retry-After} on a 503 or 429, {@code Allow} on a
 * 405.
 */
public final class HttpReplies {
  /** OTLP/HTTP's protobuf media type. */
  public static final MediaType PROTOBUF = MediaType.parse("application/x-protobuf");

  private HttpReplies() {}

  /** 200 with {@code body} of {@code type}. */
  public static HttpResponse ok(MediaType type, byte[] body) {
    return HttpResponse.of(HttpStatus.OK, type, body);
  }

  /** The refusal {@code r} with a Status body, JSON if {@code json}, else protobuf. */
  public static HttpResponse refused(Rejection r, boolean json) {
    ResponseHeadersBuilder headers =
        ResponseHeaders.builder(r.httpStatus()).contentType(json ? MediaType.JSON : PROTOBUF);
    if (r.retryable()) {
      headers.set(HttpHeaderNames.RETRY_AFTER, r.retryAfter());
    }
    if (r.httpStatus() == 405) {
      headers.set(HttpHeaderNames.ALLOW, "POST");
    }
    if (r.httpStatus() == 401) {
      headers.set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"vigil\"");
    }
    byte[] body =
        json
            ? StatusBody.json(r.grpcCode(), r.getMessage())
            : StatusBody.protobuf(r.grpcCode(), r.getMessage());
    return HttpResponse.of(headers.build(), com.linecorp.armeria.common.HttpData.wrap(body));
  }
}
