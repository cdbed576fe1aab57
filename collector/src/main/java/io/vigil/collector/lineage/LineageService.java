package io.vigil.collector.lineage;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import io.vigil.collector.ingress.HttpReplies;
import io.vigil.collector.ingress.IngressService;
import io.vigil.collector.ingress.Receiving;
import io.vigil.collector.ingress.Rejection;
import io.vigil.collector.otlp.RequestDecoder;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.Topics;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code POST /api/v1/lineage}, OpenLineage's HTTP transport: the event is checked ({@link
 * LineageEvents}) and stored on {@code vigil.lineage}, keyed by job, before the 200; a bad event
 * gets 400 naming the field. Served on the OTLP/HTTP listener, with its limits.
 */
public final class LineageService extends IngressService {
  /** {@code signal} label of OpenLineage events. */
  public static final String SIGNAL = "lineage";

  private static final byte[] EMPTY_JSON_RESPONSE = "{}".getBytes(StandardCharsets.UTF_8);

  public LineageService(int maxBodyBytes, Receiving receiving) {
    super("http", SIGNAL, "collector.otlp.http", maxBodyBytes, receiving);
  }

  @Override
  protected void checkHeaders(RequestHeaders headers) throws Rejection {
    String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
    if (contentType != null && !RequestDecoder.mediaType(contentType).contains("json")) {
      throw Rejection.unsupportedMediaType(
          "OpenLineage events are JSON (application/json), was '" + contentType + "'");
    }
    RequestDecoder.gzip(headers.get(HttpHeaderNames.CONTENT_ENCODING));
  }

  @Override
  protected Batch parse(RequestHeaders headers, byte[] raw) throws Rejection {
    byte[] body = decompressed(raw, headers.get(HttpHeaderNames.CONTENT_ENCODING));
    byte[] key;
    try {
      key = LineageEvents.key(body);
    } catch (LineageEvents.Invalid e) {
      throw Rejection.malformed(e.getMessage());
    }
    return new Batch(List.of(new SinkRecord(Topics.LINEAGE, key, body)), 1, null);
  }

  @Override
  protected HttpResponse accepted(RequestHeaders headers, Batch batch) {
    return HttpReplies.ok(MediaType.JSON, EMPTY_JSON_RESPONSE);
  }

  @Override
  protected HttpResponse refused(RequestHeaders headers, Rejection rejection) {
    return HttpReplies.refused(rejection, true);
  }
}
