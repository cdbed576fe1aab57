package io.vigil.collector.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.vigil.collector.ReceiversUnderTest;
import io.vigil.collector.TestRequests;
import io.vigil.collector.sink.RecordSink;
import io.vigil.collector.sink.SinkException;
import io.vigil.collector.sink.SinkRecord;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OTLP/gRPC receiver's wire protocol over real HTTP/2 (Armeria's client, prior knowledge), with
 * an in-memory sink: framing, compression, and the grpc-status of every refusal. The OpenTelemetry
 * SDK's gRPC exporters against a real broker are in {@link OtlpReceiversIT}.
 */
class OtlpGrpcProtocolIT {
  private static final String METRICS = OtlpSignal.METRICS.grpcPath();
  private static final int LIMIT = 64 * 1024;

  private final List<Message> stored = new CopyOnWriteArrayList<>();
  private volatile RecordSink behaviour = this::storeInMemory;
  private ReceiversUnderTest receiver;
  private WebClient client;

  @BeforeEach
  void start() throws Exception {
    receiver =
        ReceiversUnderTest.start(
            records -> behaviour.store(records),
            OtlpHttpSettings.of("127.0.0.1", 0),
            new OtlpGrpcSettings(null, "127.0.0.1", 0, LIMIT, null, null));
    client = WebClient.of("h2c://127.0.0.1:" + receiver.grpcPort());
  }

  @AfterEach
  void stop() {
    receiver.close();
  }

  private CompletableFuture<Void> storeInMemory(List<SinkRecord> records) {
    for (SinkRecord record : records) {
      stored.add(TestRequests.parse(record));
    }
    return CompletableFuture.completedFuture(null);
  }

  @Test
  void answersAnExportWithTheEmptyResponseAndStatusOk() throws Exception {
    AggregatedHttpResponse response =
        call(METRICS, frame(TestRequests.metrics(3, "a", "b").toByteArray(), false), null);

    assertThat(response.status().code()).isEqualTo(200);
    assertThat(grpcStatus(response)).isEqualTo("0");
    byte[] body = response.content().array();
    assertThat(body).hasSize(5); // one frame holding the empty response
    assertThat(ExportMetricsServiceResponse.parseFrom(Arrays.copyOfRange(body, 5, body.length)))
        .isEqualTo(ExportMetricsServiceResponse.getDefaultInstance());
    assertThat(stored).hasSize(2);
    assertThat(receiver.accepted("metrics")).isEqualTo(6);
  }

  @Test
  void spansWithMalformedIdsAreLeftOutAndReportedInTheResponse() throws Exception {
    var request = TestRequests.traces("checkout").toBuilder();
    var spans = request.getResourceSpansBuilder(0).getScopeSpansBuilder(0);
    spans.getSpansBuilder(0).setTraceId(com.google.protobuf.ByteString.copyFrom(new byte[16]));
    spans.addSpans(
        spans.getSpans(0).toBuilder()
            .setName("bad parent")
            .setParentSpanId(com.google.protobuf.ByteString.copyFrom(new byte[3])));

    AggregatedHttpResponse response =
        call(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            frame(request.build().toByteArray(), false),
            null);

    assertThat(grpcStatus(response)).isEqualTo("0");
    byte[] body = response.content().array();
    var answer =
        io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse.parseFrom(
            Arrays.copyOfRange(body, 5, body.length));
    assertThat(answer.getPartialSuccess().getRejectedSpans()).isEqualTo(1);
    assertThat(answer.getPartialSuccess().getErrorMessage())
        .contains("span 'bad parent': parent_span_id must be 8 bytes");
    assertThat(receiver.accepted("traces")).isEqualTo(1);
  }

  @Test
  void theSendersDeadlineEndsTheWaitForKafkaWithDeadlineExceeded() {
    behaviour = records -> new CompletableFuture<>(); // Kafka never acknowledges

    // The listener's request_timeout is 10 s; the sender gives up after 300 ms.
    AggregatedHttpResponse response =
        call(METRICS, frame(TestRequests.metrics(1, "a").toByteArray(), false), null, "300m");

    assertThat(grpcStatus(response)).isEqualTo("4"); // DEADLINE_EXCEEDED
    assertThat(response.headers().get("grpc-message"))
        .contains("the sender's deadline (300 ms) passed before the data was stored");
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_requests_rejected_total{reason=\"timeout\",signal=\"metrics\",transport=\"grpc\"} 1.0");
  }

  @Test
  void aMalformedGrpcTimeoutIsInvalidArgument() {
    AggregatedHttpResponse response =
        call(METRICS, frame(TestRequests.metrics(1, "a").toByteArray(), false), null, "soon");

    assertThat(grpcStatus(response)).isEqualTo("3");
    assertThat(response.headers().get("grpc-message")).contains("malformed grpc-timeout 'soon'");
    assertThat(stored).isEmpty();
  }

  @Test
  void decompressesAGzipMessage() throws Exception {
    AggregatedHttpResponse response =
        call(METRICS, frame(gzip(TestRequests.metrics(2, "a").toByteArray()), true), "gzip");

    assertThat(grpcStatus(response)).isEqualTo("0");
    assertThat(stored).containsExactly(TestRequests.metrics(2, "a"));
  }

  @Test
  void garbageIsInvalidArgumentNamingTheProblem() {
    AggregatedHttpResponse response = call(METRICS, frame("garbage".getBytes(), false), null);

    assertThat(grpcStatus(response)).isEqualTo("3");
    assertThat(response.headers().get("grpc-message"))
        .startsWith("cannot decode OTLP protobuf ExportMetricsServiceRequest");
    assertThat(stored).isEmpty();
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_requests_rejected_total{reason=\"malformed\",signal=\"metrics\",transport=\"grpc\"} 1.0")
        .contains(
            "vigil_collector_requests_total{signal=\"metrics\",status=\"INVALID_ARGUMENT\",transport=\"grpc\"} 1.0");
  }

  @Test
  void aFrameLengthThatDoesNotMatchTheBodyIsInvalidArgument() {
    byte[] frame = frame(TestRequests.metrics(1, "a").toByteArray(), false);

    AggregatedHttpResponse response = call(METRICS, Arrays.copyOf(frame, frame.length - 1), null);

    assertThat(grpcStatus(response)).isEqualTo("3");
    assertThat(response.headers().get("grpc-message")).contains("exactly one message");
  }

  @Test
  void anUnknownCompressionIsUnimplemented() {
    AggregatedHttpResponse response =
        call(METRICS, frame(TestRequests.metrics(1, "a").toByteArray(), true), "snappy");

    assertThat(grpcStatus(response)).isEqualTo("12");
    assertThat(response.headers().get("grpc-message")).contains("grpc-encoding 'snappy'");
  }

  @Test
  void aMessageOverTheLimitIsResourceExhausted() {
    AggregatedHttpResponse response = call(METRICS, frame(new byte[LIMIT], false), null);

    assertThat(grpcStatus(response)).isEqualTo("8");
    assertThat(response.headers().get("grpc-message"))
        .contains("exceeds the limit of 65536 bytes (collector.otlp.grpc.max_body_bytes)");
  }

  @Test
  void aGzipBombIsResourceExhausted() throws Exception {
    AggregatedHttpResponse response =
        call(METRICS, frame(gzip(new byte[LIMIT * 20]), true), "gzip");

    assertThat(grpcStatus(response)).isEqualTo("8");
  }

  @Test
  void aSinkThatCannotStoreIsUnavailableSoTheExporterRetries() throws Exception {
    behaviour =
        records ->
            CompletableFuture.failedFuture(
                SinkException.unavailable("Kafka did not acknowledge within 10s", null));

    AggregatedHttpResponse response =
        call(METRICS, frame(TestRequests.metrics(1, "a").toByteArray(), false), null);

    assertThat(grpcStatus(response)).isEqualTo("14");
    assertThat(response.headers().get("grpc-message"))
        .isEqualTo("data not stored, retry later: Kafka did not acknowledge within 10s");
    // google.rpc.Status {code 14, message, details: [RetryInfo {retry_delay: 5 s}]}
    UnknownFieldSet status =
        UnknownFieldSet.parseFrom(
            Base64.getDecoder().decode(response.headers().get("grpc-status-details-bin")));
    assertThat(status.getField(1).getVarintList()).containsExactly(14L);
    assertThat(status.getField(2).getLengthDelimitedList().get(0).toStringUtf8())
        .isEqualTo("data not stored, retry later: Kafka did not acknowledge within 10s");
    Any detail = Any.parseFrom(status.getField(3).getLengthDelimitedList().get(0));
    assertThat(detail.getTypeUrl()).isEqualTo("type.googleapis.com/google.rpc.RetryInfo");
    com.google.protobuf.Duration delay =
        com.google.protobuf.Duration.parseFrom(
            UnknownFieldSet.parseFrom(detail.getValue())
                .getField(1)
                .getLengthDelimitedList()
                .get(0));
    assertThat(delay.getSeconds()).isEqualTo(5);
  }

  @Test
  void anUnknownMethodIsUnimplemented() {
    AggregatedHttpResponse response =
        call(
            "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export",
            frame(new byte[0], false),
            null);

    assertThat(grpcStatus(response)).isEqualTo("12");
  }

  @Test
  void aNonGrpcContentTypeGetsAPlainHttp415() {
    AggregatedHttpResponse response =
        client
            .execute(
                HttpRequest.of(
                    RequestHeaders.of(HttpMethod.POST, METRICS),
                    com.linecorp.armeria.common.HttpData.wrap(new byte[0])))
            .aggregate()
            .join();

    assertThat(response.status().code()).isEqualTo(415);
  }

  @Test
  void grpcMessagesArePercentEncoded() {
    assertThat(OtlpGrpcService.percentEncode("100% é\n")).isEqualTo("100%25 %C3%A9%0A");
  }

  private AggregatedHttpResponse call(String path, byte[] body, String encoding) {
    return call(path, body, encoding, null);
  }

  private AggregatedHttpResponse call(
      String path, byte[] body, String encoding, String grpcTimeout) {
    RequestHeaders headers =
        RequestHeaders.builder(HttpMethod.POST, path)
            .contentType(MediaType.parse("application/grpc"))
            .set("te", "trailers")
            .build();
    if (encoding != null) {
      headers = headers.toBuilder().set("grpc-encoding", encoding).build();
    }
    if (grpcTimeout != null) {
      headers = headers.toBuilder().set("grpc-timeout", grpcTimeout).build();
    }
    return client
        .execute(HttpRequest.of(headers, com.linecorp.armeria.common.HttpData.wrap(body)))
        .aggregate()
        .join();
  }

  /** grpc-status from the trailers, or from the headers of a trailers-only answer. */
  private static String grpcStatus(AggregatedHttpResponse response) {
    HttpHeaders trailers = response.trailers();
    String status = trailers.get("grpc-status");
    return status != null ? status : response.headers().get("grpc-status");
  }

  private static byte[] frame(byte[] message, boolean compressed) {
    return ByteBuffer.allocate(5 + message.length)
        .put((byte) (compressed ? 1 : 0))
        .putInt(message.length)
        .put(message)
        .array();
  }

  private static byte[] gzip(byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }
}
