package io.vigil.processor;

import static io.vigil.processor.OtlpRequests.cumulative;
import static io.vigil.processor.OtlpRequests.point;
import static io.vigil.processor.OtlpRequests.request;
import static io.vigil.processor.OtlpRequests.resource;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.runtime.AdminSettings;
import io.vigil.model.signal.GoldenSignal;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@WithKafka
class ProcessorServiceIT {
  private static final Duration DEADLINE = Duration.ofSeconds(90);

  @TempDir static Path stateDir;

  private static EmbeddedKafka kafka;
  private static ProcessorService processor;
  private static KafkaProducer<byte[], byte[]> producer;
  private static final PrometheusRegistry registry = new PrometheusRegistry();
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start(EmbeddedKafka broker) throws IOException {
    kafka = broker;
    ProcessorConfig config =
        new ProcessorConfig(
            KafkaSettings.of(kafka.bootstrapServers()),
            "vigil-processor-it",
            stateDir.toString(),
            Duration.ofSeconds(10),
            Duration.ofSeconds(2),
            null,
            null,
            null,
            new AdminSettings("127.0.0.1", 0));
    processor = ProcessorService.start(config, registry);
    Properties props = kafka.clientProperties();
    producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  @AfterAll
  static void stop() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
    if (processor != null) {
      processor.close();
    }
  }

  @Test
  void emitsALiveSignalAtOnceAndClosesTheWindowsOnTheWallClock() throws Exception {
    awaitReady();
    // A new service (own series) that sends twice and falls silent: nothing else moves its windows.
    String service = "checkout-" + UUID.randomUUID().toString().substring(0, 8);
    var checkout = resource(service, "shop", "it-cluster");
    String series = "it-cluster/shop/" + service + "/";
    // It starts after the processor (whose state began when it first ran), a little ahead.
    Instant sdkStart = Instant.now().plusSeconds(1);
    Instant first = sdkStart.plusMillis(500);
    Instant second = first.plusSeconds(1);
    send(
        request(
            checkout,
            cumulative(point(sdkStart, first, 200, 100), point(sdkStart, first, 503, 5))));
    send(
        request(
            checkout,
            cumulative(point(sdkStart, second, 200, 140), point(sdkStart, second, 503, 15))));

    try (KafkaConsumer<String, GoldenSignal> consumer =
        consumer(new StringDeserializer(), JsonSerde.of(GoldenSignal.class).deserializer())) {
      consumer.subscribe(List.of(Topics.SIGNALS, Topics.SIGNALS_LIVE));
      // The SDK started after the processor: its first points count in full.
      ConsumerRecord<String, GoldenSignal> live =
          pollUntil(
              consumer,
              r ->
                  r.topic().equals(Topics.SIGNALS_LIVE)
                      && r.key().equals(series)
                      && r.value().traffic().requests() == 155);
      assertThat(live.value().errors().count()).isEqualTo(15);
      assertThat(live.value().window().seconds()).isEqualTo(10);

      long requests = 0;
      long errors = 0;
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (requests < 155 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, GoldenSignal> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.topic().equals(Topics.SIGNALS) && r.key().equals(series)) {
            requests += r.value().traffic().requests();
            errors += r.value().errors().count();
            assertThat(r.value().latencyMs().p50()).isBetween(10.0, 25.0);
          }
        }
      }
      assertThat(requests).as("requests in the final windows").isEqualTo(155);
      assertThat(errors).isEqualTo(15);
    }

    assertThat(processor.signalsEmitted()).isPositive();
    assertThat(processor.liveSignalsEmitted()).isPositive();
    String api = get("/api/signals").body();
    List<?> shown = Json.mapper().readValue(api, List.class);
    assertThat(shown).isNotEmpty();
    assertThat(api).contains("\"service\":\"" + service + "\"");
    assertThat(get("/metrics").body())
        .contains("vigil_processor_data_points_total")
        .contains("vigil_processor_signals_emitted_total{kind=\"live\"}");
  }

  @Test
  void countsATracingOnlyServiceFromTheServerSpansOnItsTopic() throws Exception {
    awaitReady();
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      assertThat(admin.listTopics().names().get()).contains(Topics.OTLP_SPANS);
    }
    String service = "cart-" + UUID.randomUUID().toString().substring(0, 8);
    String series = "it-cluster/shop/" + service + "/";
    Instant end = Instant.now();
    ScopeSpans.Builder spans = ScopeSpans.newBuilder();
    for (int i = 0; i < 12; i++) {
      Instant spanEnd = end.plusMillis(50L * i);
      Span.Builder span =
          Span.newBuilder()
              .setName("GET /cart")
              .setKind(Span.SpanKind.SPAN_KIND_SERVER)
              .setStartTimeUnixNano(OtlpRequests.nanos(spanEnd.minusMillis(20)))
              .setEndTimeUnixNano(OtlpRequests.nanos(spanEnd));
      if (i % 4 == 0) {
        span.setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR));
      }
      spans.addSpans(span);
    }
    ExportTraceServiceRequest request =
        ExportTraceServiceRequest.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .setResource(resource(service, "shop", "it-cluster"))
                    .addScopeSpans(spans))
            .build();
    producer.send(new ProducerRecord<>(Topics.OTLP_SPANS, null, request.toByteArray())).get();

    try (KafkaConsumer<String, GoldenSignal> consumer =
        consumer(new StringDeserializer(), JsonSerde.of(GoldenSignal.class).deserializer())) {
      consumer.subscribe(List.of(Topics.SIGNALS));
      long requests = 0;
      long errors = 0;
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (requests < 12 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, GoldenSignal> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.key().equals(series)) {
            requests += r.value().traffic().requests();
            errors += r.value().errors().count();
            assertThat(r.value().latencyMs().p50()).isBetween(10.0, 25.0);
          }
        }
      }
      assertThat(requests).as("requests in the final windows").isEqualTo(12);
      assertThat(errors).isEqualTo(3);
    }
  }

  @Test
  void turnsOpenLineageEventsIntoPipelineRuns() throws Exception {
    awaitReady();
    String runId = UUID.randomUUID().toString();
    Instant start = Instant.now().minusSeconds(42);
    for (String[] e :
        new String[][] {{"START", start.toString()}, {"FAIL", start.plusSeconds(42).toString()}}) {
      producer
          .send(
              new ProducerRecord<>(
                  Topics.LINEAGE,
                  null,
                  ("{\"eventType\":\"%s\",\"eventTime\":\"%s\",\"run\":{\"runId\":\"%s\"},"
                          + "\"job\":{\"namespace\":\"it\",\"name\":\"nightly\"}}")
                      .formatted(e[0], e[1], runId)
                      .getBytes(StandardCharsets.UTF_8)))
          .get();
    }

    try (KafkaConsumer<String, PipelineRun> consumer =
        consumer(new StringDeserializer(), JsonSerde.of(PipelineRun.class).deserializer())) {
      consumer.subscribe(List.of(Topics.PIPELINE_RUNS));
      ConsumerRecord<String, PipelineRun> failed =
          pollUntil(
              consumer,
              r ->
                  r.value().run() != null
                      && runId.equals(r.value().run().id())
                      && "failed".equals(r.value().state()));
      assertThat(failed.key()).isEqualTo("it/nightly");
      assertThat(failed.value().durationS()).isEqualTo(42.0);
    }
  }

  @Test
  void sendsRecordsThatAreNotOtlpToTheDeadLetterTopic() throws Exception {
    byte[] garbage = ("not otlp " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
    producer.send(new ProducerRecord<>(Topics.OTLP_METRICS, null, garbage)).get();

    try (KafkaConsumer<byte[], byte[]> consumer =
        consumer(new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.DLQ));
      ConsumerRecord<byte[], byte[]> dead =
          pollUntil(consumer, r -> java.util.Arrays.equals(r.value(), garbage));
      assertThat(header(dead, Topics.DLQ_REASON_HEADER)).startsWith("invalid_protobuf");
      assertThat(header(dead, Topics.DLQ_SOURCE_TOPIC_HEADER)).isEqualTo(Topics.OTLP_METRICS);
    }
    awaitReady();
    assertThat(processor.isRunning()).isTrue();
  }

  @Test
  void countsEveryRequestWhetherItsRecordIsKeyedByItsServiceOrNot() throws Exception {
    awaitReady();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String keyed = "cart-" + suffix;
    String elsewhere = "search-" + suffix;
    int partitions;
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      partitions =
          admin
              .describeTopics(List.of(Topics.OTLP_METRICS))
              .allTopicNames()
              .get()
              .get(Topics.OTLP_METRICS)
              .partitions()
              .size();
    }
    assertThat(partitions).as("otlp_metrics partitions, as the processor created it").isEqualTo(3);
    // Where the producer's own partitioner puts a record keyed by the service name, and one
    // partition past it: a record there must go through the repartition topic.
    int owner =
        BuiltInPartitioner.partitionForKey(elsewhere.getBytes(StandardCharsets.UTF_8), partitions);
    int other = (owner + 1) % partitions;
    long directBefore = processor.dataPointsRouted("direct");
    long repartitionedBefore = processor.dataPointsRouted("repartition");
    Instant sdkStart = Instant.now().plusSeconds(1);
    for (int i = 1; i <= 5; i++) {
      Instant at = sdkStart.plusMillis(400L * i);
      for (String service : List.of(keyed, elsewhere)) {
        byte[] value =
            request(
                    resource(service, "shop", "it-cluster"),
                    cumulative(point(sdkStart, at, 200, 10L * i), point(sdkStart, at, 503, i)))
                .toByteArray();
        byte[] key = service.getBytes(StandardCharsets.UTF_8);
        producer
            .send(
                service.equals(keyed)
                    ? new ProducerRecord<>(Topics.OTLP_METRICS, key, value)
                    : new ProducerRecord<>(Topics.OTLP_METRICS, other, key, value))
            .get();
      }
    }

    // The last exports' totals, 50 requests and 5 errors each, counted either way.
    try (KafkaConsumer<String, GoldenSignal> consumer =
        consumer(new StringDeserializer(), JsonSerde.of(GoldenSignal.class).deserializer())) {
      consumer.subscribe(List.of(Topics.SIGNALS));
      Map<String, long[]> counted = new HashMap<>();
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (System.nanoTime() < deadline
          && !(Arrays.equals(counted.get(keyed), new long[] {55, 5})
              && Arrays.equals(counted.get(elsewhere), new long[] {55, 5}))) {
        for (ConsumerRecord<String, GoldenSignal> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.value().operation() == null
              && (r.value().service().equals(keyed) || r.value().service().equals(elsewhere))) {
            long[] sum = counted.computeIfAbsent(r.value().service(), k -> new long[2]);
            sum[0] += r.value().traffic().requests();
            sum[1] += r.value().errors().count();
          }
        }
      }
      assertThat(counted.get(keyed)).as("requests, errors of " + keyed).containsExactly(55, 5);
      assertThat(counted.get(elsewhere))
          .as("requests, errors of " + elsewhere)
          .containsExactly(55, 5);
    }
    // Each export holds two points.
    assertThat(processor.dataPointsRouted("direct") - directBefore).isEqualTo(10);
    assertThat(processor.dataPointsRouted("repartition") - repartitionedBefore).isEqualTo(10);
  }

  private static void send(ExportMetricsServiceRequest request) throws Exception {
    // Null key: the processor must not rely on producers keying by service.
    producer.send(new ProducerRecord<>(Topics.OTLP_METRICS, null, request.toByteArray())).get();
  }

  private static <K, V> KafkaConsumer<K, V> consumer(Deserializer<K> keys, Deserializer<V> values) {
    Properties props = kafka.clientProperties();
    props.putAll(
        Map.of(
            ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
    return new KafkaConsumer<>(props, keys, values);
  }

  private static <K, V> ConsumerRecord<K, V> pollUntil(
      KafkaConsumer<K, V> consumer, Predicate<ConsumerRecord<K, V>> wanted) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<K, V> r : consumer.poll(Duration.ofMillis(500))) {
        if (wanted.test(r)) {
          return r;
        }
      }
    }
    throw new AssertionError("no matching record within " + DEADLINE);
  }

  private static void awaitReady() throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    int status = 0;
    while (System.nanoTime() < deadline) {
      status = get("/readyz").statusCode();
      if (status == 200) {
        return;
      }
      Thread.sleep(100); // poll interval, not synchronisation: the loop checks the condition
    }
    throw new AssertionError("processor not ready within " + DEADLINE + ", /readyz " + status);
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + processor.adminPort() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
