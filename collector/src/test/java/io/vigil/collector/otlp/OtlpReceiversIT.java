package io.vigil.collector.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.CodedInputStream;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.ReceiversUnderTest;
import io.vigil.collector.TestRequests;
import io.vigil.collector.TopicTail;
import io.vigil.collector.kafka.KafkaShipper;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.kafka.KafkaProbe;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.TopicInitializer;
import io.vigil.model.otlp.OtlpAttributes;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OTLP receivers and the Kafka shipper together, against a real broker. */
@WithKafka
class OtlpReceiversIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static EmbeddedKafka kafka;

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private KafkaProbe probe;
  private KafkaShipper shipper;
  private ReceiversUnderTest receiver;

  @BeforeAll
  static void useBroker(EmbeddedKafka broker) {
    kafka = broker;
    TopicInitializer.ensureTopics(
        KafkaSettings.of(kafka.bootstrapServers()),
        Set.of(Topics.OTLP_METRICS, Topics.OTLP_LOGS, Topics.OTLP_SPANS),
        Map.of());
  }

  @AfterEach
  void stop() {
    if (receiver != null) {
      receiver.close();
    }
    if (shipper != null) {
      shipper.close();
    }
    if (probe != null) {
      probe.close();
    }
  }

  private void startCollector(String bootstrapServers, Duration timeout) throws Exception {
    KafkaSettings settings = KafkaSettings.of(bootstrapServers);
    probe = KafkaProbe.start("collector", settings, registry);
    shipper = KafkaShipper.create(settings, timeout, probe, registry);
    receiver =
        ReceiversUnderTest.start(
            shipper,
            OtlpHttpSettings.of("127.0.0.1", 0).withRequestTimeout(timeout),
            OtlpGrpcSettings.of("127.0.0.1", 0));
  }

  @Test
  void otelSdkHistogramReachesKafkaKeyedByService() throws Exception {
    startCollector(kafka.bootstrapServers(), Duration.ofSeconds(10));
    OtlpHttpMetricExporter exporter =
        OtlpHttpMetricExporter.builder()
            .setEndpoint("http://127.0.0.1:" + receiver.httpPort() + "/v1/metrics")
            .setTimeout(Duration.ofSeconds(15))
            .build();
    SdkMeterProvider meters =
        SdkMeterProvider.builder()
            .setResource(Resource.getDefault().toBuilder().put("service.name", "checkout").build())
            .registerMetricReader(
                PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build())
            .build();
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_METRICS)) {
      DoubleHistogram duration =
          meters
              .get("io.vigil.test")
              .histogramBuilder("http.server.request.duration")
              .setUnit("s")
              .build();
      Attributes ok =
          Attributes.of(
              AttributeKey.stringKey("http.request.method"), "POST",
              AttributeKey.stringKey("http.route"), "/pay",
              AttributeKey.longKey("http.response.status_code"), 200L);
      duration.record(0.120, ok);
      duration.record(0.300, ok);
      duration.record(
          1.5,
          Attributes.of(
              AttributeKey.stringKey("http.request.method"), "POST",
              AttributeKey.stringKey("http.route"), "/pay",
              AttributeKey.longKey("http.response.status_code"), 500L));

      CompletableResultCode flushed = meters.forceFlush().join(30, TimeUnit.SECONDS);
      assertThat(flushed.isSuccess()).as("export answered 200").isTrue();

      List<ConsumerRecord<byte[], byte[]>> records = tail.await(1, WAIT);
      assertThat(records).hasSize(1);
      ConsumerRecord<byte[], byte[]> record = records.get(0);
      assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("checkout");
      ExportMetricsServiceRequest request = ExportMetricsServiceRequest.parseFrom(record.value());
      assertThat(request.getResourceMetricsCount()).isEqualTo(1);
      assertThat(OtlpAttributes.serviceName(request.getResourceMetrics(0).getResource()))
          .isEqualTo("checkout");
      Metric metric = request.getResourceMetrics(0).getScopeMetrics(0).getMetrics(0);
      assertThat(metric.getName()).isEqualTo("http.server.request.duration");
      assertThat(metric.getUnit()).isEqualTo("s");
      List<HistogramDataPoint> points = metric.getHistogram().getDataPointsList();
      assertThat(points).hasSize(2);
      HistogramDataPoint okPoint =
          points.stream()
              .filter(
                  p -> "200".equals(attribute(p.getAttributesList(), "http.response.status_code")))
              .findFirst()
              .orElseThrow();
      assertThat(okPoint.getCount()).isEqualTo(2);
      assertThat(okPoint.getSum()).isCloseTo(0.42, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(attribute(okPoint.getAttributesList(), "http.route")).isEqualTo("/pay");
      assertThat(attribute(okPoint.getAttributesList(), "http.request.method")).isEqualTo("POST");
      assertThat(receiver.accepted("metrics")).isEqualTo(2);
      assertThat(probe.isReachable()).isTrue();
    } finally {
      meters.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void otelSdkGrpcExportersOfAllThreeSignalsReachKafka() throws Exception {
    startCollector(kafka.bootstrapServers(), Duration.ofSeconds(10));
    String endpoint = "http://127.0.0.1:" + receiver.grpcPort();
    Resource resource = Resource.getDefault().toBuilder().put("service.name", "payments").build();
    SdkMeterProvider meters =
        SdkMeterProvider.builder()
            .setResource(resource)
            .registerMetricReader(
                PeriodicMetricReader.builder(
                        OtlpGrpcMetricExporter.builder()
                            .setEndpoint(endpoint)
                            .setCompression("gzip")
                            .setTimeout(Duration.ofSeconds(15))
                            .build())
                    .setInterval(Duration.ofHours(1))
                    .build())
            .build();
    SdkLoggerProvider logs =
        SdkLoggerProvider.builder()
            .setResource(resource)
            .addLogRecordProcessor(
                SimpleLogRecordProcessor.create(
                    OtlpGrpcLogRecordExporter.builder()
                        .setEndpoint(endpoint)
                        .setTimeout(Duration.ofSeconds(15))
                        .build()))
            .build();
    SdkTracerProvider traces =
        SdkTracerProvider.builder()
            .setResource(resource)
            .addSpanProcessor(
                SimpleSpanProcessor.create(
                    OtlpGrpcSpanExporter.builder()
                        .setEndpoint(endpoint)
                        .setCompression("gzip")
                        .setTimeout(Duration.ofSeconds(15))
                        .build()))
            .build();
    try (TopicTail metricsTail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_METRICS);
        TopicTail logsTail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_LOGS);
        TopicTail spansTail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_SPANS)) {
      meters
          .get("io.vigil.test")
          .counterBuilder("payments.processed")
          .build()
          .add(7, Attributes.of(AttributeKey.stringKey("outcome"), "ok"));
      logs.get("io.vigil.test")
          .logRecordBuilder()
          .setSeverity(Severity.ERROR)
          .setBody("card declined")
          .emit();

      traces
          .get("io.vigil.test")
          .spanBuilder("POST /pay")
          .setSpanKind(SpanKind.SERVER)
          .startSpan()
          .setStatus(StatusCode.ERROR)
          .end();

      assertThat(traces.forceFlush().join(30, TimeUnit.SECONDS).isSuccess())
          .as("gzip gRPC traces export answered OK")
          .isTrue();
      assertThat(meters.forceFlush().join(30, TimeUnit.SECONDS).isSuccess())
          .as("gzip gRPC metrics export answered OK")
          .isTrue();
      assertThat(logs.forceFlush().join(30, TimeUnit.SECONDS).isSuccess())
          .as("gRPC logs export answered OK")
          .isTrue();

      ConsumerRecord<byte[], byte[]> metric = metricsTail.await(1, WAIT).get(0);
      assertThat(new String(metric.key(), StandardCharsets.UTF_8)).isEqualTo("payments");
      Metric counter =
          ExportMetricsServiceRequest.parseFrom(metric.value())
              .getResourceMetrics(0)
              .getScopeMetrics(0)
              .getMetrics(0);
      assertThat(counter.getName()).isEqualTo("payments.processed");
      assertThat(counter.getSum().getDataPoints(0).getAsInt()).isEqualTo(7);
      ConsumerRecord<byte[], byte[]> log = logsTail.await(1, WAIT).get(0);
      assertThat(
              ExportLogsServiceRequest.parseFrom(log.value())
                  .getResourceLogs(0)
                  .getScopeLogs(0)
                  .getLogRecords(0)
                  .getBody()
                  .getStringValue())
          .isEqualTo("card declined");
      Span span =
          ExportTraceServiceRequest.parseFrom(spansTail.await(1, WAIT).get(0).value())
              .getResourceSpans(0)
              .getScopeSpans(0)
              .getSpans(0);
      assertThat(span.getName()).isEqualTo("POST /pay");
      assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
      assertThat(span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
      assertThat(receiver.accepted("metrics")).isEqualTo(1);
      assertThat(receiver.accepted("logs")).isEqualTo(1);
      assertThat(receiver.accepted("traces")).isEqualTo(1);
      assertThat(receiver.scrape())
          .contains(
              "vigil_collector_requests_total{signal=\"metrics\",status=\"OK\",transport=\"grpc\"} 1.0");
    } finally {
      meters.shutdown().join(10, TimeUnit.SECONDS);
      logs.shutdown().join(10, TimeUnit.SECONDS);
      traces.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aRequestOverKafkasMessageSizeIsStoredInPartsNotRefused() throws Exception {
    startCollector(kafka.bootstrapServers(), Duration.ofSeconds(10));
    ExportMetricsServiceRequest big = TestRequests.metrics(200_000, "bulk"); // about 3.5 MB
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_METRICS)) {
      HttpResponse<byte[]> response =
          post("/v1/metrics", "application/x-protobuf", big.toByteArray());

      assertThat(response.statusCode()).isEqualTo(200);
      long points = 0;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (points < 200_000 && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : tail.await(1, Duration.ofMillis(200))) {
          points += OtlpSignal.METRICS.count(ExportMetricsServiceRequest.parseFrom(r.value()));
        }
      }
      assertThat(points).isEqualTo(200_000);
      assertThat(receiver.accepted("metrics")).isEqualTo(200_000);
    }
  }

  @Test
  void otlpJsonFixtureIsAcceptedAndShipped() throws Exception {
    startCollector(kafka.bootstrapServers(), Duration.ofSeconds(10));
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_METRICS)) {
      HttpResponse<byte[]> response =
          post(
              "/v1/metrics",
              "application/json",
              TestRequests.fixture("fixtures/otlp/metrics.json"));

      assertThat(response.statusCode()).isEqualTo(200);
      List<ConsumerRecord<byte[], byte[]>> records = tail.await(1, WAIT);
      assertThat(records).hasSize(1);
      assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("my.service");
      ExportMetricsServiceRequest shipped =
          ExportMetricsServiceRequest.parseFrom(records.get(0).value());
      assertThat(OtlpSignal.METRICS.count(shipped)).isEqualTo(4);
    }
  }

  @Test
  void malformedProtobufGets400AndNothingReachesKafka() throws Exception {
    startCollector(kafka.bootstrapServers(), Duration.ofSeconds(10));
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_METRICS)) {
      HttpResponse<byte[]> response =
          post("/v1/metrics", "application/x-protobuf", new byte[] {0x0a, 0x7f, 0x01, 0x02});

      assertThat(response.statusCode()).isEqualTo(400);
      assertThat(statusMessage(response.body()))
          .startsWith("cannot decode OTLP protobuf ExportMetricsServiceRequest: ");
      assertThat(receiver.rejected()).isEqualTo(1);

      // A good request afterwards is the only thing that lands in Kafka.
      assertThat(
              post(
                      "/v1/metrics",
                      "application/x-protobuf",
                      TestRequests.metrics(1, "after").toByteArray())
                  .statusCode())
          .isEqualTo(200);
      List<ConsumerRecord<byte[], byte[]>> records = tail.await(1, WAIT);
      assertThat(records)
          .singleElement()
          .satisfies(
              r -> assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("after"));
      assertThat(tail.await(1, Duration.ofMillis(500))).isEmpty();
    }
  }

  @Test
  void unreachableBrokerGets503AtOnceNotSuccess() throws Exception {
    startCollector("127.0.0.1:" + closedPort(), Duration.ofSeconds(10));

    long start = System.nanoTime();
    HttpResponse<byte[]> response =
        post("/v1/metrics", "application/x-protobuf", TestRequests.metrics(1, "a").toByteArray());
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("Retry-After")).isPresent();
    assertThat(statusMessage(response.body())).contains("retry later", "Kafka is unreachable");
    assertThat(took).as("refused without waiting for the 10 s send timeout").isLessThan(WAIT);
    assertThat(receiver.accepted("metrics")).isZero();
    assertThat(probe.isReachable()).isFalse();
  }

  private HttpResponse<byte[]> post(String path, String contentType, byte[] body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + receiver.httpPort() + path))
            .header("Content-Type", contentType)
            .timeout(WAIT)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String attribute(List<KeyValue> attributes, String key) {
    return OtlpAttributes.get(attributes, key);
  }

  private static String statusMessage(byte[] body) throws Exception {
    CodedInputStream in = CodedInputStream.newInstance(body);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag >>> 3 == 2) {
        return in.readString();
      }
      in.skipField(tag);
    }
    return "";
  }

  private static int closedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      return socket.getLocalPort();
    }
  }
}
