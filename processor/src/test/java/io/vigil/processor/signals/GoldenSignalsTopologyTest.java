package io.vigil.processor.signals;

import static io.vigil.processor.OtlpRequests.cumulative;
import static io.vigil.processor.OtlpRequests.delta;
import static io.vigil.processor.OtlpRequests.duration;
import static io.vigil.processor.OtlpRequests.point;
import static io.vigil.processor.OtlpRequests.request;
import static io.vigil.processor.OtlpRequests.resource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.Topics;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.DeadLetterHandler;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorMetrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GoldenSignalsTopologyTest {
  /** Aligned to the 10 s windows. */
  private static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");

  /** A process that started long before the test's windows. */
  private static final Instant LONG_AGO = T0.minus(Duration.ofHours(2));

  private static final Resource CHECKOUT = resource("checkout", "shop", "c1");
  private static final String CHECKOUT_KEY = "c1/shop/checkout/";

  @TempDir Path stateDir;

  private final ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private final MockProducer<byte[], byte[]> handlerDlq =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> input;
  private TestOutputTopic<String, GoldenSignal> signals;
  private TestOutputTopic<byte[], byte[]> dlq;

  @BeforeEach
  void startDriver() {
    ProcessorConfig config =
        new ProcessorConfig(
            null,
            "vigil-test",
            stateDir.toString(),
            Duration.ofSeconds(10),
            Duration.ofSeconds(5),
            null);
    Properties props = config.streamsProperties();
    props.put(DeadLetterHandler.METRICS_CONFIG, metrics);
    props.put(DeadLetterHandler.PRODUCER_CONFIG, handlerDlq);
    driver =
        new TopologyTestDriver(
            GoldenSignalsTopology.build(config, metrics, signal -> {}), props, T0);
    input =
        driver.createInputTopic(
            Topics.OTLP_METRICS, new ByteArraySerializer(), new ByteArraySerializer());
    signals =
        driver.createOutputTopic(
            Topics.SIGNALS,
            new StringDeserializer(),
            JsonSerde.of(GoldenSignal.class).deserializer());
    dlq =
        driver.createOutputTopic(
            Topics.DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  /**
   * Sends {@code request} as the collector would at {@code at}. The wall clock moves on a little
   * with every record, as in real life (the window aggregation checks for closed windows at most
   * once per wall-clock second).
   */
  private void send(ExportMetricsServiceRequest request, Instant at) {
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    input.pipeInput(
        new TestRecord<>("checkout".getBytes(StandardCharsets.UTF_8), request.toByteArray(), at));
  }

  private void sendPoints(Instant at, HistogramDataPoint... points) {
    send(request(CHECKOUT, cumulative(points)), at);
  }

  private static Instant t(double seconds) {
    return T0.plusMillis(Math.round(seconds * 1000));
  }

  @Test
  void turnsCumulativePointsIntoPerWindowDeltas() {
    sendPoints(t(1), point(LONG_AGO, t(1), 200, 100)); // seeds the stream
    sendPoints(t(5), point(LONG_AGO, t(5), 200, 130)); // +30 in [0s, 10s)
    sendPoints(t(12), point(LONG_AGO, t(12), 200, 150)); // +20 in [10s, 20s)
    sendPoints(t(25), point(LONG_AGO, t(25), 200, 160)); // closes [0s, 10s)
    sendPoints(t(36), point(LONG_AGO, t(36), 200, 170)); // closes [10s, 20s) and [20s, 30s)

    List<TestRecord<String, GoldenSignal>> out = signals.readRecordsToList();
    assertThat(out).extracting(TestRecord::key).containsOnly(CHECKOUT_KEY);
    assertThat(out).extracting(r -> r.value().window().start()).containsExactly(t(0), t(10), t(20));
    GoldenSignal first = out.get(0).value();
    assertThat(first.traffic().requests()).isEqualTo(30);
    assertThat(first.traffic().ratePerS()).isEqualTo(3.0);
    assertThat(first.window().end()).isEqualTo(t(10));
    assertThat(first.window().seconds()).isEqualTo(10);
    assertThat(first.timestamp()).isEqualTo(t(10));
    assertThat(first.cluster()).isEqualTo("c1");
    assertThat(first.namespace()).isEqualTo("shop");
    assertThat(first.service()).isEqualTo("checkout");
    assertThat(first.operation()).isNull();
    assertThat(first.errors().count()).isZero();
    // All 30 requests in (10ms, 25ms]: the median interpolates to the bucket's middle.
    assertThat(first.latencyMs().p50()).isCloseTo(17.5, within(1e-9));
    assertThat(first.latencyMs().max()).isNull();
    assertThat(out.get(1).value().traffic().requests()).isEqualTo(20);
    assertThat(out.get(2).value().traffic().requests()).isEqualTo(10);
    assertThat(metrics.signalsEmitted()).isEqualTo(3);
  }

  @Test
  void emitsEveryWindowWhenPointsArriveOncePerMinute() {
    // The SDKs' default export interval: stream time jumps 60 s with every point.
    sendPoints(t(5), point(LONG_AGO, t(5), 200, 100));
    sendPoints(t(65), point(LONG_AGO, t(65), 200, 160));
    sendPoints(t(125), point(LONG_AGO, t(125), 200, 180));
    sendPoints(t(185), point(LONG_AGO, t(185), 200, 240));

    List<GoldenSignal> out = signals.readValuesToList();
    assertThat(out).extracting(s -> s.window().start()).containsExactly(t(60), t(120));
    assertThat(out).extracting(s -> s.traffic().requests()).containsExactly(60L, 20L);
  }

  @Test
  void usesDeltaPointsAsTheyAre() {
    HistogramDataPoint withMax =
        point(t(0), t(4), 200, new double[] {0.01, 0.1}, 3, 5, 0).toBuilder().setMax(0.08).build();
    send(request(CHECKOUT, delta(withMax)), t(4));
    send(request(CHECKOUT, delta(point(t(4), t(8), 200, new double[] {0.01, 0.1}, 1, 1, 0))), t(8));
    send(
        request(CHECKOUT, delta(point(t(8), t(16), 200, new double[] {0.01, 0.1}, 1, 0, 0))),
        t(16));

    GoldenSignal signal = signals.readValue();
    assertThat(signal.traffic().requests()).isEqualTo(10);
    // The second point carries no max, so the window's max is unknown.
    assertThat(signal.latencyMs().max()).isNull();
    assertThat(signals.isEmpty()).isTrue();
  }

  @Test
  void keepsMaxWhenEveryDeltaPointCarriesIt() {
    HistogramDataPoint p =
        point(t(0), t(4), 200, new double[] {0.01, 0.1}, 3, 5, 2).toBuilder().setMax(0.25).build();
    send(request(CHECKOUT, delta(p)), t(4));
    send(request(CHECKOUT, delta(point(t(10), t(20), 200, new double[] {0.01}, 1, 0))), t(20));

    GoldenSignal signal = signals.readValue();
    assertThat(signal.latencyMs().max()).isEqualTo(250.0);
    // 8 of 10 at or below 100 ms; p99 lands in the overflow bucket: its lower bound.
    assertThat(signal.latencyMs().p99()).isEqualTo(100.0);
  }

  @Test
  void countsServerErrorsAndTheirRatio() {
    sendPoints(t(1), point(t(0.5), t(1), 200, 0), point(t(0.5), t(1), 503, 0));
    sendPoints(
        t(6),
        point(t(0.5), t(6), 200, 90),
        point(t(0.5), t(6), 503, 10),
        point(t(0.5), t(6), 404, 20));
    sendPoints(t(16), point(t(0.5), t(16), 200, 90));

    GoldenSignal signal = signals.readValue();
    assertThat(signal.traffic().requests()).isEqualTo(120);
    assertThat(signal.errors().count()).isEqualTo(10);
    assertThat(signal.errors().ratio()).isCloseTo(10.0 / 120, within(1e-12));
  }

  @Test
  void honoursTheOldStatusCodeAttribute() {
    HistogramDataPoint old =
        HistogramDataPoint.newBuilder()
            .setStartTimeUnixNano(io.vigil.processor.OtlpRequests.nanos(t(0)))
            .setTimeUnixNano(io.vigil.processor.OtlpRequests.nanos(t(3)))
            .addAttributes(
                KeyValue.newBuilder()
                    .setKey("http.status_code")
                    .setValue(AnyValue.newBuilder().setStringValue("500")))
            .setCount(4)
            .build();
    send(request(CHECKOUT, delta(old)), t(3));
    send(request(CHECKOUT, delta(point(t(15), t(15), 200, new double[] {1}, 1, 0))), t(15));

    GoldenSignal signal = signals.readValue();
    assertThat(signal.errors().count()).isEqualTo(4);
    assertThat(signal.errors().ratio()).isEqualTo(1.0);
    // No buckets and no max: no latency section at all.
    assertThat(signal.latencyMs()).isNull();
  }

  @Test
  void estimatesQuantilesFromBucketsInMillisecondsWhateverTheUnit() {
    double[] boundsMs = {5, 10, 25, 50, 100};
    double[] boundsS = {0.005, 0.01, 0.025, 0.05, 0.1};
    Resource inMs = resource("legacy", null, null);
    send(
        request(
            inMs,
            duration(
                "ms",
                AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA,
                point(t(0), t(5), 200, boundsMs, 10, 20, 30, 30, 9, 1))),
        t(5));
    send(request(CHECKOUT, delta(point(t(0), t(5), 200, boundsS, 10, 20, 30, 30, 9, 1))), t(5));
    send(request(CHECKOUT, delta(point(t(15), t(15), 200, boundsS, 1, 0, 0, 0, 0, 0))), t(15));

    List<GoldenSignal> out = signals.readValuesToList();
    assertThat(out)
        .extracting(GoldenSignal::service)
        .containsExactlyInAnyOrder("legacy", "checkout");
    for (GoldenSignal signal : out) {
      GoldenSignal.Latency latency = signal.latencyMs();
      assertThat(latency.p50()).isCloseTo(20.0, within(1e-9));
      assertThat(latency.p90()).isCloseTo(50.0, within(1e-9));
      assertThat(latency.p95()).isCloseTo(50 + 50 * 5 / 9.0, within(1e-9));
      assertThat(latency.p99()).isCloseTo(100.0, within(1e-9));
    }
    GoldenSignal legacy = out.stream().filter(s -> s.service().equals("legacy")).findFirst().get();
    assertThat(legacy.seriesKey()).isEqualTo("//legacy/");
  }

  @Test
  void emitsAWindowOnlyOnceStreamTimePassesItsEndPlusGrace() {
    send(request(CHECKOUT, delta(point(t(0), t(1), 200, 5))), t(1));
    send(request(CHECKOUT, delta(point(t(1), t(10), 200, 1))), t(10));
    send(request(CHECKOUT, delta(point(t(10), t(14.999), 200, 1))), t(14.999));
    assertThat(signals.isEmpty()).isTrue();

    send(request(CHECKOUT, delta(point(t(14.999), t(15), 200, 1))), t(15));
    List<GoldenSignal> out = signals.readValuesToList();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).window().start()).isEqualTo(t(0));
    assertThat(out.get(0).traffic().requests()).isEqualTo(5);

    // Stream time moving on does not emit the same window again.
    send(request(CHECKOUT, delta(point(t(15), t(16), 200, 1))), t(16));
    assertThat(signals.isEmpty()).isTrue();
  }

  @Test
  void sendsCorruptRecordsToTheDeadLetterTopicAndKeepsGoing() {
    byte[] garbage = "{\"resourceMetrics\": [}".getBytes(StandardCharsets.UTF_8);
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    input.pipeInput(new TestRecord<>("k".getBytes(StandardCharsets.UTF_8), garbage, t(1)));
    send(request(CHECKOUT, delta(point(t(0), t(2), 200, 7))), t(2));
    send(request(CHECKOUT, delta(point(t(2), t(16), 200, 1))), t(16));

    TestRecord<byte[], byte[]> dead = dlq.readRecord();
    assertThat(dead.value()).isEqualTo(garbage);
    assertThat(dead.key()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
    assertThat(header(dead, Topics.DLQ_REASON_HEADER)).startsWith("invalid_protobuf: ");
    assertThat(header(dead, Topics.DLQ_SOURCE_TOPIC_HEADER)).isEqualTo(Topics.OTLP_METRICS);
    assertThat(metrics.recordsRejected("invalid_protobuf")).isEqualTo(1);
    assertThat(signals.readValue().traffic().requests()).isEqualTo(7);
  }

  @Test
  void sendsNullValuesToTheDeadLetterTopic() {
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    input.pipeInput(new TestRecord<byte[], byte[]>(null, null, t(1)));

    TestRecord<byte[], byte[]> dead = dlq.readRecord();
    assertThat(dead.value()).isNull();
    assertThat(header(dead, Topics.DLQ_REASON_HEADER)).startsWith("null_value");
    assertThat(metrics.recordsRejected("null_value")).isEqualTo(1);
  }

  @Test
  void sendsUndeserializableRepartitionRecordsToTheDeadLetterTopic() {
    TestInputTopic<byte[], byte[]> repartition =
        driver.createInputTopic(
            "vigil-test-" + GoldenSignalsTopology.REPARTITION + "-repartition",
            new ByteArraySerializer(),
            new ByteArraySerializer());
    byte[] poison = "not json".getBytes(StandardCharsets.UTF_8);
    repartition.pipeInput(
        new TestRecord<>("c1/shop/checkout/".getBytes(StandardCharsets.UTF_8), poison, t(1)));
    send(request(CHECKOUT, delta(point(t(0), t(2), 200, 7))), t(2));
    send(request(CHECKOUT, delta(point(t(2), t(16), 200, 1))), t(16));

    List<ProducerRecord<byte[], byte[]>> sent = handlerDlq.history();
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).topic()).isEqualTo(Topics.DLQ);
    assertThat(sent.get(0).value()).isEqualTo(poison);
    assertThat(
            new String(
                sent.get(0).headers().lastHeader(Topics.DLQ_REASON_HEADER).value(),
                StandardCharsets.UTF_8))
        .startsWith("deserialization_failed");
    assertThat(metrics.recordsRejected("deserialization_failed")).isEqualTo(1);
    assertThat(signals.readValue().traffic().requests()).isEqualTo(7);
  }

  @Test
  void countsARestartedProcessFromItsNewStart() {
    sendPoints(t(1), point(LONG_AGO, t(1), 200, 100));
    sendPoints(t(3), point(LONG_AGO, t(3), 200, 150)); // +50
    sendPoints(t(6), point(t(5), t(6), 200, 7)); // restarted at 5s: +7
    sendPoints(t(8), point(t(5), t(8), 200, 9)); // +2
    sendPoints(t(16), point(t(5), t(16), 200, 9));

    assertThat(signals.readValue().traffic().requests()).isEqualTo(59);
  }

  @Test
  void treatsADecreasedCountAsAReset() {
    sendPoints(t(1), point(LONG_AGO, t(1), 200, 100));
    sendPoints(t(3), point(LONG_AGO, t(3), 200, 4)); // same start, lower count
    sendPoints(t(16), point(LONG_AGO, t(16), 200, 4));

    assertThat(signals.readValue().traffic().requests()).isEqualTo(4);
  }

  @Test
  void countsAFirstPointThatStartedInsideItsWindowInFull() {
    sendPoints(t(4), point(t(2), t(4), 200, 5));
    sendPoints(t(16), point(t(2), t(16), 200, 5));

    assertThat(signals.readValue().traffic().requests()).isEqualTo(5);
  }

  @Test
  void skipsDuplicateAndOutOfOrderPoints() {
    sendPoints(t(1), point(LONG_AGO, t(1), 200, 100));
    sendPoints(t(3), point(LONG_AGO, t(3), 200, 110));
    sendPoints(t(3), point(LONG_AGO, t(3), 200, 110)); // redelivered
    sendPoints(t(2), point(LONG_AGO, t(2), 200, 105)); // late and older
    sendPoints(t(16), point(LONG_AGO, t(16), 200, 110));

    assertThat(signals.readValue().traffic().requests()).isEqualTo(10);
    assertThat(metrics.dataPointsSkipped("out_of_order")).isEqualTo(2);
  }

  @Test
  void skipsPointsWhoseWindowHasClosed() {
    send(request(CHECKOUT, delta(point(t(0), t(20), 200, 1))), t(20));
    send(request(CHECKOUT, delta(point(t(0), t(4), 200, 3))), t(4)); // [0s,10s) closed at 15s
    send(request(CHECKOUT, delta(point(t(20), t(40), 200, 1))), t(40));

    assertThat(signals.readValuesToList())
        .extracting(s -> s.window().start())
        .containsExactly(t(20));
    assertThat(metrics.dataPointsSkipped("late")).isEqualTo(1);
  }

  @Test
  void skipsNonsensicalPointsButKeepsTheRestOfTheRequest() {
    HistogramDataPoint mismatch =
        point(t(0), t(2), 200, 4).toBuilder().addBucketCounts(1).build(); // one bucket too many
    HistogramDataPoint wrongTotal = point(t(0), t(2), 500, 4).toBuilder().setCount(3).build();
    HistogramDataPoint negative = point(t(0), t(2), 502, 4).toBuilder().setCount(-1).build();
    send(request(CHECKOUT, delta(mismatch, wrongTotal, negative, point(t(0), t(2), 201, 6))), t(2));
    send(request(CHECKOUT, delta(point(t(2), t(16), 200, 1))), t(16));

    GoldenSignal signal = signals.readValue();
    assertThat(signal.traffic().requests()).isEqualTo(6);
    assertThat(signal.errors().count()).isZero();
    assertThat(metrics.dataPointsSkipped("bucket_mismatch")).isEqualTo(2);
    assertThat(metrics.dataPointsSkipped("negative_count")).isEqualTo(1);
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void ignoresOtherMetricsAndAcceptsRecordsWithoutKey() {
    ExportMetricsServiceRequest mixed =
        request(
            CHECKOUT,
            duration(
                "s",
                AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA,
                point(t(0), t(2), 200, 3)),
            duration(
                    "s",
                    AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA,
                    point(t(0), t(2), 200, 50))
                .toBuilder()
                .setName("http.client.request.duration")
                .build());
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    input.pipeInput(new TestRecord<byte[], byte[]>(null, mixed.toByteArray(), t(2)));
    send(request(CHECKOUT, delta(point(t(2), t(16), 200, 1))), t(16));

    assertThat(signals.readValue().traffic().requests()).isEqualTo(3);
  }

  @Test
  void skipsPointsFarAheadOfTheWallClock() {
    Instant future = T0.plus(Duration.ofHours(3));
    send(request(CHECKOUT, delta(point(future, future, 200, 3))), t(1));

    assertThat(metrics.dataPointsSkipped("future_timestamp")).isEqualTo(1);
    assertThat(metrics.dataPoints()).isZero();
  }

  @Test
  void repartitionsOnceByTheSeries() {
    TopologyDescription description =
        GoldenSignalsTopology.build(
                ProcessorConfig.defaults(), ProcessorMetrics.unexported(), signal -> {})
            .describe();
    Set<String> sourceTopics =
        description.subtopologies().stream()
            .flatMap(s -> s.nodes().stream())
            .filter(TopologyDescription.Source.class::isInstance)
            .flatMap(n -> ((TopologyDescription.Source) n).topicSet().stream())
            .collect(Collectors.toSet());
    assertThat(description.subtopologies()).hasSize(2);
    assertThat(sourceTopics)
        .containsExactlyInAnyOrder(Topics.OTLP_METRICS, "signals-by-series-repartition");
  }

  private static String header(TestRecord<byte[], byte[]> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
