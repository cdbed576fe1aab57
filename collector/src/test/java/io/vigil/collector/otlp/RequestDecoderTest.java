package io.vigil.collector.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.vigil.collector.TestRequests;
import io.vigil.collector.ingress.Rejection;
import io.vigil.collector.otlp.RequestDecoder.Encoding;
import io.vigil.model.otlp.OtlpAttributes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class RequestDecoderTest {
  private static final int MAX = 64 * 1024;
  private static final byte[] FIXTURE = TestRequests.fixture("fixtures/otlp/metrics.json");

  @Test
  void decodesProtobufRequest() throws Exception {
    ExportMetricsServiceRequest sent = TestRequests.metrics(3, "checkout", "payments");

    Message decoded =
        RequestDecoder.decode(OtlpSignal.METRICS, Encoding.PROTOBUF, sent.toByteArray());

    assertThat(decoded).isEqualTo(sent);
    assertThat(OtlpSignal.METRICS.count(decoded)).isEqualTo(6);
    assertThat(OtlpSignal.METRICS.resources(decoded)).isEqualTo(2);
  }

  @Test
  void decodesUpstreamOtlpJsonExample() throws Exception {
    Message decoded = RequestDecoder.decode(OtlpSignal.METRICS, Encoding.JSON, FIXTURE);

    ExportMetricsServiceRequest request = (ExportMetricsServiceRequest) decoded;
    assertThat(request.getResourceMetricsCount()).isEqualTo(1);
    assertThat(OtlpAttributes.serviceName(request.getResourceMetrics(0).getResource()))
        .isEqualTo("my.service");
    assertThat(request.getResourceMetrics(0).getScopeMetrics(0).getMetricsList())
        .extracting(Metric::getName)
        .containsExactly("my.counter", "my.gauge", "my.histogram", "my.exponential.histogram");
    Metric histogram = request.getResourceMetrics(0).getScopeMetrics(0).getMetrics(2);
    assertThat(histogram.getHistogram().getDataPoints(0).getBucketCountsList())
        .containsExactly(1L, 1L);
    assertThat(OtlpSignal.METRICS.count(decoded)).isEqualTo(4);
  }

  @Test
  void readsGzipBody() throws Exception {
    byte[] body =
        RequestDecoder.readBody(new ByteArrayInputStream(gzip(FIXTURE)), null, "gzip", MAX);

    assertThat(body).isEqualTo(FIXTURE);
  }

  @Test
  void readsIdentityBodyWithContentLength() throws Exception {
    byte[] body =
        RequestDecoder.readBody(
            new ByteArrayInputStream(FIXTURE), Integer.toString(FIXTURE.length), "identity", MAX);

    assertThat(body).isEqualTo(FIXTURE);
  }

  @Test
  void emptyProtobufBodyIsAValidEmptyRequest() throws Exception {
    // Protobuf encodes a message with no fields set as zero bytes, so OTLP/HTTP must accept it.
    Message decoded = RequestDecoder.decode(OtlpSignal.LOGS, Encoding.PROTOBUF, new byte[0]);

    assertThat(decoded).isEqualTo(ExportLogsServiceRequest.getDefaultInstance());
    assertThat(OtlpSignal.LOGS.resources(decoded)).isZero();
  }

  @Test
  void emptyJsonBodyIsMalformed() {
    assertRejected(
        () -> RequestDecoder.decode(OtlpSignal.METRICS, Encoding.JSON, new byte[0]),
        400,
        "cannot decode OTLP/JSON ExportMetricsServiceRequest: ");
  }

  @Test
  void rejectsGarbageProtobuf() {
    byte[] garbage = "not protobuf at all".getBytes(StandardCharsets.UTF_8);

    assertRejected(
        () -> RequestDecoder.decode(OtlpSignal.METRICS, Encoding.PROTOBUF, garbage),
        400,
        "cannot decode OTLP protobuf ExportMetricsServiceRequest: ");
  }

  @Test
  void rejectsTruncatedProtobuf() {
    byte[] full = TestRequests.metrics(5, "checkout").toByteArray();
    byte[] truncated = java.util.Arrays.copyOf(full, full.length - 3);

    assertRejected(
        () -> RequestDecoder.decode(OtlpSignal.METRICS, Encoding.PROTOBUF, truncated),
        400,
        "cannot decode OTLP protobuf ExportMetricsServiceRequest: ");
  }

  @Test
  void rejectsGarbageJson() {
    byte[] garbage = "{\"resourceMetrics\": [".getBytes(StandardCharsets.UTF_8);

    assertRejected(
        () -> RequestDecoder.decode(OtlpSignal.METRICS, Encoding.JSON, garbage),
        400,
        "cannot decode OTLP/JSON ExportMetricsServiceRequest: not valid JSON");
  }

  @Test
  void rejectsJsonWithWrongFieldType() {
    byte[] body = "{\"resourceMetrics\": 42}".getBytes(StandardCharsets.UTF_8);

    assertRejected(
        () -> RequestDecoder.decode(OtlpSignal.METRICS, Encoding.JSON, body),
        400,
        "cannot decode OTLP/JSON ExportMetricsServiceRequest: ");
  }

  @Test
  void rejectsNonHexTraceIdInExemplar() {
    byte[] body = exemplarJson("not-a-hex-trace-id-at-all-zzzzzz");

    Rejection r = rejection(() -> RequestDecoder.decode(OtlpSignal.METRICS, Encoding.JSON, body));
    assertThat(r.httpStatus()).isEqualTo(400);
    assertThat(r.getMessage())
        .startsWith("cannot decode OTLP/JSON ExportMetricsServiceRequest: ")
        .contains("traceId")
        .contains("not-a-hex-trace-id-at-all-zzzzzz");
  }

  @Test
  void decodesATraceIdOfWrongLengthForTheReceiverToLeaveOut() throws Exception {
    byte[] body = exemplarJson("0af7651916cd43dd");

    Message decoded = RequestDecoder.decode(OtlpSignal.METRICS, Encoding.JSON, body);

    OtlpIds.Filtered filtered = OtlpIds.filter(decoded);
    assertThat(filtered.problem())
        .isEqualTo(
            "exemplar of metric 'latency': trace_id must be 16 bytes (32 hex digits in JSON), was"
                + " 8");
    assertThat(filtered.rejected()).as("the point stays, without its exemplar").isZero();
    assertThat(
            ((ExportMetricsServiceRequest) filtered.request())
                .getResourceMetrics(0)
                .getScopeMetrics(0)
                .getMetrics(0)
                .getGauge()
                .getDataPoints(0)
                .getExemplarsCount())
        .isZero();
  }

  @Test
  void acceptsWellFormedExemplarIds() throws Exception {
    byte[] body = exemplarJson("0af7651916cd43dd8448eb211c80319c");

    Message decoded = RequestDecoder.decode(OtlpSignal.METRICS, Encoding.JSON, body);

    assertThat(
            ((ExportMetricsServiceRequest) decoded)
                .getResourceMetrics(0)
                .getScopeMetrics(0)
                .getMetrics(0)
                .getGauge()
                .getDataPoints(0)
                .getExemplars(0)
                .getTraceId()
                .size())
        .isEqualTo(16);
  }

  @Test
  void rejectsBodyOverLimitFromContentLengthWithoutReadingIt() {
    InputStream unreadable =
        new InputStream() {
          @Override
          public int read() throws IOException {
            throw new IOException("must not be read");
          }
        };

    assertRejected(
        () -> RequestDecoder.readBody(unreadable, Integer.toString(MAX + 1), null, MAX),
        413,
        "request body of " + (MAX + 1) + " bytes exceeds the limit of " + MAX + " bytes");
  }

  @Test
  void rejectsChunkedBodyOverLimitWhileReading() {
    byte[] big = new byte[MAX + 1];

    assertRejected(
        () -> RequestDecoder.readBody(new ByteArrayInputStream(big), null, null, MAX),
        413,
        "request body of more than " + MAX + " bytes exceeds the limit");
  }

  @Test
  void rejectsGzipBodyThatInflatesOverLimit() throws Exception {
    byte[] bomb = gzip(new byte[MAX * 10]);
    assertThat(bomb.length).isLessThan(MAX);

    assertRejected(
        () -> RequestDecoder.readBody(new ByteArrayInputStream(bomb), null, "gzip", MAX),
        413,
        "request body of more than " + MAX + " bytes after gunzip exceeds the limit");
  }

  @Test
  void rejectsBodyThatIsNotGzipAlthoughDeclared() {
    assertRejected(
        () -> RequestDecoder.readBody(new ByteArrayInputStream(FIXTURE), null, "gzip", MAX),
        400,
        "cannot gunzip body");
  }

  @Test
  void rejectsTruncatedGzip() throws Exception {
    byte[] zipped = gzip(FIXTURE);
    byte[] truncated = java.util.Arrays.copyOf(zipped, zipped.length / 2);

    assertRejected(
        () -> RequestDecoder.readBody(new ByteArrayInputStream(truncated), null, "gzip", MAX),
        400,
        "cannot gunzip body");
  }

  @Test
  void rejectsUnsupportedContentEncoding() {
    Rejection r =
        rejection(
            () -> RequestDecoder.readBody(new ByteArrayInputStream(FIXTURE), null, "br", MAX));
    assertThat(r.httpStatus()).isEqualTo(415);
    assertThat(r.reason()).isEqualTo("unsupported_encoding");
    assertThat(r.getMessage()).contains("'br'");
  }

  @Test
  void recognisesContentTypesWithParameters() throws Exception {
    assertThat(RequestDecoder.encoding("application/x-protobuf")).isEqualTo(Encoding.PROTOBUF);
    assertThat(RequestDecoder.encoding("Application/JSON; charset=utf-8")).isEqualTo(Encoding.JSON);
  }

  @Test
  void rejectsUnsupportedOrMissingContentType() {
    Rejection plain = rejection(() -> RequestDecoder.encoding("text/plain"));
    assertThat(plain.httpStatus()).isEqualTo(415);
    assertThat(plain.reason()).isEqualTo("unsupported_media_type");
    assertThat(plain.getMessage()).contains("'text/plain'");
    assertThat(rejection(() -> RequestDecoder.encoding(null)).httpStatus()).isEqualTo(415);
    assertThat(RequestDecoder.responseEncoding("application/x-ndjson")).isEqualTo(Encoding.JSON);
    assertThat(RequestDecoder.responseEncoding(null)).isEqualTo(Encoding.PROTOBUF);
  }

  private static byte[] exemplarJson(String traceId) {
    String json =
        """
        {"resourceMetrics":[{"resource":{},"scopeMetrics":[{"metrics":[{"name":"latency",
          "gauge":{"dataPoints":[{"asDouble":1.5,"timeUnixNano":"1",
            "exemplars":[{"asDouble":1.5,"timeUnixNano":"1",
              "traceId":"%s","spanId":"b7ad6b7169203331"}]}]}}]}]}]}
        """
            .formatted(traceId);
    return json.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  private static Rejection rejection(ThrowingCallable call) {
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(call);
    assertThat(thrown).isInstanceOf(Rejection.class);
    return (Rejection) thrown;
  }

  private static void assertRejected(ThrowingCallable call, int status, String messagePart) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.httpStatus()).isEqualTo(status))
        .hasMessageContaining(messagePart);
  }
}
