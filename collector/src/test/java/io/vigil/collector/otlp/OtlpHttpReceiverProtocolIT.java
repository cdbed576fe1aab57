package io.vigil.collector.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Message;
import io.vigil.collector.ReceiversUnderTest;
import io.vigil.collector.TestRequests;
import io.vigil.collector.sink.RecordSink;
import io.vigil.collector.sink.SinkException;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.json.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OTLP/HTTP receiver over real HTTP, with an in-memory sink instead of Kafka. */
class OtlpHttpReceiverProtocolIT {
  private static final byte[] FIXTURE = TestRequests.fixture("fixtures/otlp/metrics.json");

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final List<Message> stored = new CopyOnWriteArrayList<>();
  private volatile RecordSink behaviour = this::storeInMemory;
  private ReceiversUnderTest receiver;

  @BeforeEach
  void start() throws Exception {
    receiver =
        ReceiversUnderTest.start(
            records -> behaviour.store(records),
            OtlpHttpSettings.of("127.0.0.1", 0).withMaxBodyBytes(64 * 1024),
            OtlpGrpcSettings.of("127.0.0.1", 0));
  }

  private CompletableFuture<Void> storeInMemory(List<SinkRecord> records) {
    for (SinkRecord record : records) {
      stored.add(TestRequests.parse(record));
    }
    return CompletableFuture.completedFuture(null);
  }

  @AfterEach
  void stop() {
    receiver.close();
  }

  @Test
  void acceptsProtobufAndAnswersWithEmptyProtobufResponse() throws Exception {
    HttpResponse<byte[]> response =
        post("/v1/metrics", "application/x-protobuf", TestRequests.metrics(3, "a").toByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-protobuf");
    assertThat(response.body()).isEmpty();
    assertThat(stored).containsExactly(TestRequests.metrics(3, "a"));
    assertThat(receiver.accepted("metrics")).isEqualTo(3);
    assertThat(receiver.scrape())
        .contains("vigil_collector_received_data_points_total{signal=\"metrics\"} 3.0")
        .contains(
            "vigil_collector_requests_total{signal=\"metrics\",status=\"200\",transport=\"http\"} 1.0");
  }

  @Test
  void aPointStampedInTheFutureIsStoredAtItsArrivalAndCounted() throws Exception {
    long fiveMinutesAhead = (System.currentTimeMillis() + 300_000) * 1_000_000L;
    var ahead = TestRequests.metrics(1, "clock-ahead").toBuilder();
    ahead
        .getResourceMetricsBuilder(0)
        .getScopeMetricsBuilder(0)
        .getMetricsBuilder(0)
        .getGaugeBuilder()
        .getDataPointsBuilder(0)
        .setTimeUnixNano(fiveMinutesAhead);
    long before = System.currentTimeMillis() * 1_000_000L;

    HttpResponse<byte[]> response =
        post("/v1/metrics", "application/x-protobuf", ahead.build().toByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    long storedAt =
        ((io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest) stored.get(0))
            .getResourceMetrics(0)
            .getScopeMetrics(0)
            .getMetrics(0)
            .getGauge()
            .getDataPoints(0)
            .getTimeUnixNano();
    assertThat(storedAt).isBetween(before, System.currentTimeMillis() * 1_000_000L);
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_timestamps_adjusted_total{reason=\"future\",signal=\"metrics\"} 1.0");
  }

  @Test
  void acceptsOtlpJsonAndAnswersInJson() throws Exception {
    HttpResponse<byte[]> response = post("/v1/metrics", "application/json", FIXTURE);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("{}");
    assertThat(receiver.accepted("metrics")).isEqualTo(4);
  }

  @Test
  void logRecordsWithMalformedIdsAreLeftOutAndReportedAsPartialSuccess() throws Exception {
    String json =
        """
        {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name",
          "value":{"stringValue":"checkout"}}]},"scopeLogs":[{"logRecords":[
          {"body":{"stringValue":"kept"},"traceId":"4bf92f3577b34da6a3ce929d0e0e4736"},
          {"body":{"stringValue":"bad id"},"traceId":"4bf92f3577b34da6"},
          {"body":{"stringValue":"kept too"}}]}]}]}
        """;

    HttpResponse<byte[]> response =
        post("/v1/logs", "application/json", json.getBytes(StandardCharsets.UTF_8));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new String(response.body(), StandardCharsets.UTF_8))
        .contains("\"partialSuccess\":{\"rejectedLogRecords\":\"1\"")
        .contains("trace_id must be 16 bytes");
    assertThat(receiver.accepted("logs")).isEqualTo(2);
    var logs =
        ((io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest) stored.get(0))
            .getResourceLogs(0)
            .getScopeLogs(0)
            .getLogRecordsList();
    assertThat(logs)
        .extracting(r -> r.getBody().getStringValue())
        .containsExactly("kept", "kept too");
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_items_rejected_total{reason=\"invalid_id\",signal=\"logs\"} 1.0");

    // Nothing well-formed in it: the whole request is refused, naming the problem.
    String allBad =
        "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"spanId\":\"00f0\"}]}]}]}";
    HttpResponse<byte[]> refused =
        post("/v1/logs", "application/json", allBad.getBytes(StandardCharsets.UTF_8));
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(new String(refused.body(), StandardCharsets.UTF_8))
        .contains("span_id must be 8 bytes");
  }

  @Test
  void acceptsGzipBodiesSentChunked() throws Exception {
    byte[] zipped = gzip(TestRequests.logs("a").toByteArray());
    HttpRequest request =
        HttpRequest.newBuilder(uri("/v1/logs"))
            .header("Content-Type", "application/x-protobuf")
            .header("Content-Encoding", "gzip")
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(zipped)))
            .build();

    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(stored).containsExactly(TestRequests.logs("a"));
    assertThat(receiver.accepted("logs")).isEqualTo(1);
  }

  @Test
  void joinsABodySentInManySmallChunksByteForByte() throws Exception {
    Message sent = TestRequests.metrics(2_000, "a");
    byte[] body = sent.toByteArray();
    assertThat(body.length).as("several chunks, under the 64 KiB limit").isBetween(8_000, 60_000);
    HttpRequest request =
        HttpRequest.newBuilder(uri("/v1/metrics"))
            .header("Content-Type", "application/x-protobuf")
            .POST(
                HttpRequest.BodyPublishers.ofInputStream(
                    () ->
                        new ByteArrayInputStream(body) {
                          @Override
                          public synchronized int read(byte[] b, int off, int len) {
                            return super.read(b, off, Math.min(len, 1_000));
                          }
                        }))
            .build();

    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(stored).containsExactly(sent);
    assertThat(receiver.accepted("metrics")).isEqualTo(2_000);
  }

  @Test
  void servesTracesOnTheSamePath() throws Exception {
    HttpResponse<byte[]> response =
        post("/v1/traces", "application/x-protobuf", TestRequests.traces("a").toByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(receiver.accepted("traces")).isEqualTo(1);
  }

  @Test
  void emptyProtobufRequestSucceedsWithoutStoringAnything() throws Exception {
    HttpResponse<byte[]> response = post("/v1/metrics", "application/x-protobuf", new byte[0]);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(stored).isEmpty();
  }

  @Test
  void malformedJsonGets400WithJsonStatusAndIsCounted() throws Exception {
    HttpResponse<byte[]> response =
        post("/v1/metrics", "application/json", "{\"resourceMetrics\":[".getBytes());

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode status = Json.mapper().readTree(response.body());
    assertThat(status.get("code").asInt()).isEqualTo(3);
    assertThat(status.get("message").asText())
        .startsWith("cannot decode OTLP/JSON ExportMetricsServiceRequest: not valid JSON");
    assertThat(stored).isEmpty();
    assertThat(receiver.rejected()).isEqualTo(1);
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_requests_rejected_total{reason=\"malformed\",signal=\"metrics\",transport=\"http\"} 1.0");
  }

  @Test
  void malformedProtobufGets400WithProtobufStatus() throws Exception {
    HttpResponse<byte[]> response =
        post("/v1/logs", "application/x-protobuf", "garbage, not protobuf".getBytes());

    assertThat(response.statusCode()).isEqualTo(400);
    Status status = Status.parse(response.body());
    assertThat(status.code).isEqualTo(3);
    assertThat(status.message).startsWith("cannot decode OTLP protobuf ExportLogsServiceRequest: ");
  }

  @Test
  void oversizedBodyGets413() throws Exception {
    HttpResponse<byte[]> response =
        post("/v1/metrics", "application/x-protobuf", new byte[64 * 1024 + 1]);

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(Status.parse(response.body()).message).contains("exceeds the limit of 65536 bytes");
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_requests_rejected_total{reason=\"too_large\",signal=\"metrics\",transport=\"http\"} 1.0");
  }

  @Test
  void unsupportedContentTypeGets415() throws Exception {
    HttpResponse<byte[]> response = post("/v1/metrics", "text/plain", "x".getBytes());

    assertThat(response.statusCode()).isEqualTo(415);
    assertThat(Status.parse(response.body()).message).contains("'text/plain'");
  }

  @Test
  void wrongMethodGets405WithAllowHeader() throws Exception {
    HttpResponse<byte[]> response =
        http.send(
            HttpRequest.newBuilder(uri("/v1/metrics")).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.headers().firstValue("Allow")).hasValue("POST");
  }

  @Test
  void unknownPathGets404() throws Exception {
    HttpResponse<byte[]> response = post("/v1/profiles", "application/x-protobuf", new byte[0]);

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(Status.parse(response.body()).code).isEqualTo(5);
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_requests_rejected_total{reason=\"not_found\",signal=\"unknown\",transport=\"http\"} 1.0");
  }

  @Test
  void unavailableSinkGets503WithRetryAfter() throws Exception {
    behaviour =
        records ->
            CompletableFuture.failedFuture(
                SinkException.unavailable("Kafka did not acknowledge within 10s", null));

    HttpResponse<byte[]> response =
        post("/v1/metrics", "application/x-protobuf", TestRequests.metrics(1, "a").toByteArray());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
    Status status = Status.parse(response.body());
    assertThat(status.code).isEqualTo(14);
    assertThat(status.message).contains("Kafka did not acknowledge within 10s");
    assertThat(receiver.accepted("metrics")).isZero();
  }

  @Test
  void unexpectedFailureGets500() throws Exception {
    behaviour =
        records -> {
          throw new IllegalStateException("boom");
        };

    HttpResponse<byte[]> response =
        post("/v1/metrics", "application/x-protobuf", TestRequests.metrics(1, "a").toByteArray());

    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(Status.parse(response.body()).message).contains("boom");
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_requests_rejected_total{reason=\"internal\",signal=\"metrics\",transport=\"http\"} 1.0");
  }

  @Test
  void closeAnswersRequestsInFlightFirst() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CompletableFuture<Void> stalled = new CompletableFuture<>();
    behaviour =
        records -> {
          entered.countDown();
          return stalled.thenCompose(released -> storeInMemory(records));
        };
    CompletableFuture<HttpResponse<byte[]>> inFlight =
        http.sendAsync(
            HttpRequest.newBuilder(uri("/v1/metrics"))
                .header("Content-Type", "application/x-protobuf")
                .POST(
                    HttpRequest.BodyPublishers.ofByteArray(
                        TestRequests.metrics(1, "a").toByteArray()))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Void> closing = CompletableFuture.runAsync(receiver::close);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (receiver.isServing() && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
    assertThat(receiver.isServing()).isFalse();
    assertThat(closing).as("close waits for the request in flight").isNotDone();
    stalled.complete(null);

    assertThat(inFlight.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    closing.get(10, TimeUnit.SECONDS);
    assertThat(stored).hasSize(1);
  }

  private HttpResponse<byte[]> post(String path, String contentType, byte[] body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + receiver.httpPort() + path);
  }

  private static byte[] gzip(byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  /** A decoded {@code google.rpc.Status}, read field by field as a client would. */
  private record Status(int code, String message) {
    static Status parse(byte[] body) throws Exception {
      CodedInputStream in = CodedInputStream.newInstance(body);
      int code = 0;
      String message = "";
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        switch (tag >>> 3) {
          case 1 -> code = in.readInt32();
          case 2 -> message = in.readString();
          default -> in.skipField(tag);
        }
      }
      return new Status(code, message);
    }
  }
}
