package io.vigil.collector.otlp;

import com.google.protobuf.Message;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import io.vigil.collector.ingress.HttpReplies;
import io.vigil.collector.ingress.IngressService;
import io.vigil.collector.ingress.ReceiverMetrics;
import io.vigil.collector.ingress.Receiving;
import io.vigil.collector.ingress.Rejection;
import io.vigil.collector.otlp.RequestDecoder.Encoding;
import io.vigil.model.otlp.OtlpJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * {@code POST /v1/metrics}, {@code /v1/logs} or {@code /v1/traces} as the OTLP/HTTP specification
 * says: protobuf or JSON, optionally gzip; 200 with an empty {@code Export*ServiceResponse} in the
 * request's encoding once every resource of the request is stored (one record per resource, {@link
 * ResourceSplitter}); otherwise a {@code google.rpc.Status} body.
 */
final class OtlpHttpService extends IngressService {
  private static final byte[] EMPTY_JSON_RESPONSE = "{}".getBytes(StandardCharsets.UTF_8);

  private final OtlpSignal signal;
  private final long maxClockSkewNanos;
  private final ReceiverMetrics metrics;

  OtlpHttpService(OtlpSignal signal, int maxBodyBytes, Duration maxClockSkew, Receiving receiving) {
    super("http", signal.label(), "collector.otlp.http", maxBodyBytes, receiving);
    this.signal = signal;
    this.maxClockSkewNanos = maxClockSkew.toNanos();
    this.metrics = receiving.metrics();
  }

  @Override
  protected void checkHeaders(RequestHeaders headers) throws Rejection {
    RequestDecoder.encoding(headers.get(HttpHeaderNames.CONTENT_TYPE));
    RequestDecoder.gzip(headers.get(HttpHeaderNames.CONTENT_ENCODING));
  }

  @Override
  protected Batch parse(RequestHeaders headers, byte[] raw) throws Rejection {
    Encoding encoding = RequestDecoder.encoding(headers.get(HttpHeaderNames.CONTENT_TYPE));
    byte[] body = decompressed(raw, headers.get(HttpHeaderNames.CONTENT_ENCODING));
    return RequestDecoder.batch(signal, encoding, body, maxClockSkewNanos, metrics);
  }

  @Override
  protected HttpResponse accepted(RequestHeaders headers, Batch batch) {
    FutureTimes.Accepted answer = (FutureTimes.Accepted) batch.answer();
    Message response = signal.response(answer.rejected(), answer.message());
    if (answer.encoding() == Encoding.PROTOBUF) {
      return HttpReplies.ok(HttpReplies.PROTOBUF, response.toByteArray());
    }
    if (answer.message() == null) {
      return HttpReplies.ok(MediaType.JSON, EMPTY_JSON_RESPONSE);
    }
    return HttpReplies.ok(MediaType.JSON, OtlpJson.print(response));
  }

  @Override
  protected HttpResponse refused(RequestHeaders headers, Rejection rejection) {
    return HttpReplies.refused(
        rejection,
        RequestDecoder.responseEncoding(headers.get(HttpHeaderNames.CONTENT_TYPE))
            == Encoding.JSON);
  }
}
