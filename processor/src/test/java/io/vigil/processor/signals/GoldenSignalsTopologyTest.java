package io.vigil.processor.signals;

import static io.vigil.processor.OtlpRequests.cumulative;
import static io.vigil.processor.OtlpRequests.delta;
import static io.vigil.processor.OtlpRequests.duration;
import static io.vigil.processor.OtlpRequests.point;
import static io.vigil.processor.OtlpRequests.request;
import static io.vigil.processor.OtlpRequests.resource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.Topics;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.otlp.OtlpAttributes;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.OtlpRequests;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorMetrics;
import io.vigil.processor.SignalsDriver;
import io.vigil.processor.TopologyTests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GoldenSignalsTopologyTest {
  /** Aligned to the 10 s windows; the wall clock (and so the processor's state) starts here. */
  private static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");

  /** A process that started long before the processor: its first point only seeds. */
  private static final Instant LONG_AGO = T0.minus(Duration.ofHours(2));

  private static final Resource CHECKOUT = resource("checkout", "shop", "c1");
  private static final String CHECKOUT_KEY = "c1/shop/checkout/";

  @TempDir Path stateDir;

  private final ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private final MockProducer<byte[], byte[]> handlerDlq = TopologyTests.dlqProducer();
  private SignalsDriver topology;
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> input;
  private TestOutputTopic<String, GoldenSignal> signals;
  private TestOutputTopic<String, GoldenSignal> live;
  private TestOutputTopic<byte[], byte[]> dlq;

  @BeforeEach
  void startDriver() {
    // These tests are about the service series; OperationSeriesTopologyTest covers operations.
    ProcessorConfig config = SignalsDriver.config(stateDir).withMaxOperationsPerService(0);
    topology =
        new SignalsDriver(
            config,
            metrics,
            handlerDlq,
            c -> GoldenSignalsTopology.build(c, metrics, signal -> {}, T0),
            Topics.OTLP_METRICS,
            T0);
    driver = topology.driver;
    input = topology.input;
    signals = topology.signals;
    live = topology.live;
    dlq = topology.dlq;
  }

  @AfterEach
  void closeDriver() {
    topology.close();
  }

  /** Moves the wall clock to {@code at} (never back), firing the punctuations that are due. */
  private void clockTo(Instant at) {
    topology.clockTo(at);
  }

  /**
   * Sends {@code request} as the collector would when it received it at {@code at}: the record's
   * timestamp, and the wall clock moved there first (unless it is already later: a backlog).
   */
  private void send(ExportMetricsServiceRequest request, Instant at) {
    clockTo(at);
    input.pipeInput(
        new TestRecord<>("checkout".getBytes(StandardCharsets.UTF_8), request.toByteArray(), at));
  }

  private void sendPoints(Instant at, HistogramDataPoint... points) {
    send(request(CHECKOUT, cumulative(points)), at);
  }

  /** Checkout's resource as its replica {@code id} sends it ({@code service.instance.id}). */
  private static Resource replica(String id) {
    return CHECKOUT.toBuilder()
        .addAttributes(OtlpAttributes.string("service.instance.id", id))
        .build();
  }

  private static Instant t(double seconds) {
    return T0.plusMillis(Math.round(seconds * 1000));
  }

  private static long total(List<GoldenSignal> out) {
    return out.stream().mapToLong(s -> s.traffic().requests()).sum();
  }

  /**
   * A stream silent for an hour is forgotten, leaving a marker: when it comes back its first point
   * only seeds, so what it counted while silent (never seen here) is not counted all at once.
   */
  @Test
  void aStreamSilentForAnHourOnlySeedsWhenItComesBack() {
    sendPoints(t(1), point(LONG_AGO, t(1), 200, 100)); // seeds the stream
    sendPoints(t(5), point(LONG_AGO, t(5), 200, 130)); // +30
    Instant back = T0.plus(Duration.ofMinutes(62));
    clockTo(back);
    assertThat(total(signals.readValuesToList())).isEqualTo(30);

    sendPoints(back, point(LONG_AGO, back, 200, 400)); // +270 over the silent hour: seeds again
    sendPoints(back.plusSeconds(2), point(LONG_AGO, back.plusSeconds(2), 200, 410)); // +10
    clockTo(back.plusSeconds(30));

    assertThat(total(signals.readValuesToList())).isEqualTo(10);
  }

  @Test
  void countsEachServiceOfARequestInItsOwnSeriesWhereverItsResourcesLie() {
    // Two instances of checkout with cart's resource between them, in one request.
    Resource checkoutA = replica("a");
    Resource checkoutB = replica("b");
    ExportMetricsServiceRequest mixed =
        request(checkoutA, delta(point(t(0), t(2), 200, 3))).toBuilder()
            .addResourceMetrics(
                request(resource("cart", "shop", "c1"), delta(point(t(0), t(2), 500, 5)))
                    .getResourceMetrics(0))
            .addResourceMetrics(
                request(checkoutB, delta(point(t(0), t(2), 200, 4))).getResourceMetrics(0))
            .build();
    send(mixed, t(2));
    clockTo(t(15));

    assertThat(signals.readValuesToList())
        .extracting(GoldenSignal::service, s -> s.traffic().requests(), s -> s.errors().count())
        .containsExactlyInAnyOrder(tuple("checkout", 7L, 0L), tuple("cart", 5L, 5L));
  }

  @Test
  void keepsEachReplicasStreamsInAnEntryOfItsOwn() {
    Resource a = replica("a");
    Resource b = replica("b");
    send(request(a, cumulative(point(LONG_AGO, t(1), 200, 100))), t(1)); // seeds
    send(request(b, cumulative(point(LONG_AGO, t(1.5), 200, 40))), t(1.5)); // seeds
    send(request(a, cumulative(point(LONG_AGO, t(3), 200, 130))), t(3)); // +30
    send(request(b, cumulative(point(LONG_AGO, t(3.5), 200, 45))), t(3.5)); // +5
    send(request(a, cumulative(point(LONG_AGO, t(5), 500, 2))), t(5)); // seeds
    send(request(a, cumulative(point(LONG_AGO, t(7), 500, 3))), t(7)); // +1
    clockTo(t(15));

    GoldenSignal window = signals.readValue();
    assertThat(window.traffic().requests()).isEqualTo(36);
    assertThat(window.errors().count()).isEqualTo(1);
    // Each replica's streams in its own entry, written with its own requests alone; the series'
    // entry keeps when it last sent metrics.
    KeyValueStore<String, SeriesState> states =
        driver.getKeyValueStore(GoldenSignalsTopology.CUMULATIVE_STORE);
    Map<String, Integer> streams = new HashMap<>();
    try (KeyValueIterator<String, SeriesState> all = states.all()) {
      all.forEachRemaining(e -> streams.put(e.key, e.value.size()));
    }
    assertThat(streams)
        .containsEntry(CHECKOUT_KEY, 0)
        .containsEntry(SignalsProcessor.SINCE_KEY, 1)
        .hasSize(4);
    assertThat(streams.entrySet())
        .filteredOn(e -> e.getKey().startsWith(CHECKOUT_KEY + "#"))
        .extracting(Map.Entry::getValue)
        .containsExactlyInAnyOrder(2, 1);
    assertThat(states.get(CHECKOUT_KEY).metricsSeenNanos()).isPositive();
  }

  @Test
  void spreadsCumulativeDeltasOverTheSecondsTheyCover() {
    sendPoints(t(1), point(LONG_AGO, t(1), 200, 100)); // seeds the stream
    sendPoints(t(5), point(LONG_AGO, t(5), 200, 130)); // +30 during [1s, 5s)
    sendPoints(t(12), point(LONG_AGO, t(12), 200, 151)); // +21 during [5s, 12s): 15 + 6
    clockTo(t(15));

    List<TestRecord<String, GoldenSignal>> out = signals.readRecordsToList();
    assertThat(out).extracting(TestRecord::key).containsExactly(CHECKOUT_KEY);
    GoldenSignal first = out.get(0).value();
    assertThat(first.window().start()).isEqualTo(t(0));
    assertThat(first.traffic().requests()).isEqualTo(45);
    assertThat(first.traffic().ratePerS()).isEqualTo(4.5);
    assertThat(first.window().end()).isEqualTo(t(10));
    assertThat(first.window().seconds()).isEqualTo(10);
    assertThat(first.timestamp()).isEqualTo(t(10));
    assertThat(first.id()).isEqualTo(CHECKOUT_KEY + "@" + t(0).toEpochMilli());
    assertThat(first.revision()).isNull();
    assertThat(first.cluster()).isEqualTo("c1");
    assertThat(first.namespace()).isEqualTo("shop");
    assertThat(first.service()).isEqualTo("checkout");
    assertThat(first.operation()).isNull();
    assertThat(first.errors().count()).isZero();
    // All requests in (10ms, 25ms]: the median interpolates to the bucket's middle.
    assertThat(first.latencyMs().p50()).isCloseTo(17.5, within(1e-9));
    assertThat(first.latencyMs().max()).isNull();

    clockTo(t(25));
    assertThat(signals.readValuesToList())
        .extracting(s -> s.window().start(), s -> s.traffic().requests())
        .containsExactly(tuple(t(10), 6L));
    assertThat(metrics.signalsEmitted("final")).isEqualTo(2);
  }

  @Test
  void closesWindowsOnTheWallClockWithoutFurtherTraffic() {
    // A service that sends a burst and falls silent still gets its window.
    send(request(CHECKOUT, delta(point(t(0), t(1), 503, 5))), t(1));
    clockTo(t(14.9));
    assertThat(signals.isEmpty()).isTrue();

    clockTo(t(15));
    List<GoldenSignal> out = signals.readValuesToList();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).window().start()).isEqualTo(t(0));
    assertThat(out.get(0).traffic().requests()).isEqualTo(5);
    assertThat(out.get(0).errors().ratio()).isEqualTo(1.0);

    clockTo(t(60));
    assertThat(signals.isEmpty()).isTrue();
  }

  @Test
  void spreadsASixtySecondExportOverTheSixWindowsItCovers() {
    // The SDKs' default export interval: one point a minute.
    sendPoints(t(5), point(LONG_AGO, t(5), 200, 100));
    sendPoints(t(65), point(LONG_AGO, t(65), 200, 160));
    clockTo(t(80));

    List<GoldenSignal> out = signals.readValuesToList();
    assertThat(out)
        .extracting(s -> s.window().start())
        .containsExactly(t(0), t(10), t(20), t(30), t(40), t(50), t(60));
    assertThat(out)
        .extracting(s -> s.traffic().requests())
        .containsExactly(5L, 10L, 10L, 10L, 10L, 10L, 5L);
  }

  @Test
  void countsTheFirstPointOfAStreamThatStartedWhileWatching() {
    // The SDK started after the processor; its first 5xx is a new stream (a new attribute set).
    sendPoints(t(2), point(t(1), t(2), 200, 10));
    sendPoints(t(12), point(t(1), t(12), 200, 30), point(t(1), t(12), 503, 2));
    clockTo(t(25));

    List<GoldenSignal> out = signals.readValuesToList();
    assertThat(total(out)).isEqualTo(32);
    assertThat(out.stream().mapToLong(s -> s.errors().count()).sum()).isEqualTo(2);
  }

  @Test
  void onlySeedsTheFirstPointOfAStreamThatStartedBeforeTheProcessor() {
    sendPoints(t(2), point(LONG_AGO, t(2), 200, 1000));
    sendPoints(t(4), point(LONG_AGO, t(4), 200, 1003));
    clockTo(t(15));

    assertThat(signals.readValue().traffic().requests()).isEqualTo(3);
  }

  @Test
  void keepsTwoWritersOfOneStreamApartByTheirStartTimes() {
    // Two replicas without service.instance.id: same resource, same attributes, own start times.
    sendPoints(t(2), point(t(0.5), t(2), 200, 10));
    sendPoints(t(3), point(t(1.5), t(3), 200, 4));
    sendPoints(t(4), point(t(0.5), t(4), 200, 20));
    sendPoints(t(5), point(t(1.5), t(5), 200, 9));
    sendPoints(t(6), point(t(0.5), t(6), 200, 25));
    clockTo(t(25));

    assertThat(total(signals.readValuesToList())).isEqualTo(25 + 9);
    assertThat(metrics.dataPointsSkipped("duplicate_writer")).isZero();
  }

  @Test
  void neverInflatesTwoWritersWithTheSameStartTime() {
    sendPoints(t(2), point(t(1), t(2), 200, 10));
    sendPoints(t(3), point(t(1), t(3), 200, 4)); // the other writer: lower count, same start
    sendPoints(t(4), point(t(1), t(4), 200, 20));
    clockTo(t(15));

    assertThat(signals.readValue().traffic().requests()).isEqualTo(20);
    assertThat(metrics.dataPointsSkipped("duplicate_writer")).isEqualTo(1);
  }

  @Test
  void countsARestartedProcessFromItsNewStart() {
    sendPoints(t(1), point(LONG_AGO, t(1), 200, 100));
    sendPoints(t(3), point(LONG_AGO, t(3), 200, 150)); // +50
    sendPoints(t(6), point(t(5), t(6), 200, 7)); // restarted at 5s: +7
    sendPoints(t(8), point(t(5), t(8), 200, 9)); // +2
    clockTo(t(15));

    assertThat(signals.readValue().traffic().requests()).isEqualTo(59);
  }

  @Test
  void treatsADecreasedCountWithoutStartTimeAsAReset() {
    sendPoints(t(1), point(Instant.EPOCH, t(1), 200, 100));
    sendPoints(t(3), point(Instant.EPOCH, t(3), 200, 4));
    clockTo(t(15));

    assertThat(signals.readValue().traffic().requests()).isEqualTo(4);
  }

  @Test
  void skipsDuplicateAndOutOfOrderPoints() {
    sendPoints(t(1), point(LONG_AGO, t(1), 200, 100));
    sendPoints(t(3), point(LONG_AGO, t(3), 200, 110));
    sendPoints(t(3), point(LONG_AGO, t(3), 200, 110)); // redelivered
    sendPoints(t(3), point(LONG_AGO, t(2), 200, 105)); // older
    clockTo(t(15));

    assertThat(signals.readValue().traffic().requests()).isEqualTo(10);
    assertThat(metrics.dataPointsSkipped("out_of_order")).isEqualTo(2);
  }

  @Test
  void aLateSupplementThatKeepsFillingGoesOutAfterAWindowsLength() {
    send(request(CHECKOUT, delta(point(t(0), t(4), 200, 1))), t(4));
    clockTo(t(20));
    assertThat(signals.readValue().traffic().requests()).isEqualTo(1);

    // Late data for the same window every 2 s of wall clock, never quiet for the grace period.
    for (int at = 20; at < 30; at += 2) {
      send(request(CHECKOUT, delta(point(t(4 + at / 10.0), t(5 + at / 10.0), 200, 1))), t(at));
      assertThat(signals.isEmpty()).as("held at %ss", at).isTrue();
    }
    clockTo(t(30));

    GoldenSignal late = signals.readValue();
    assertThat(late.revision()).isEqualTo(t(30).toEpochMilli());
    assertThat(late.traffic().requests()).isEqualTo(5);
    assertThat(signals.isEmpty()).isTrue();
  }

  @Test
  void sendsDataForAWindowAlreadyEmittedAsALateSupplement() {
    send(request(CHECKOUT, delta(point(t(0), t(4), 200, 3))), t(4));
    clockTo(t(20));
    TestRecord<String, GoldenSignal> onTimeRecord = signals.readRecord();
    GoldenSignal onTime = onTimeRecord.value();
    assertThat(onTime.traffic().requests()).isEqualTo(3);
    assertThat(onTimeRecord.getRecordTime()).as("stamped with the window's end").isEqualTo(t(10));

    // A backlog: the collector had this at 8s, the processor sees it at 20s, and more at 23s.
    send(request(CHECKOUT, delta(point(t(4), t(8), 503, 2))), t(8));
    clockTo(t(23));
    assertThat(signals.isEmpty()).as("held while the catch-up may bring more").isTrue();
    send(request(CHECKOUT, delta(point(t(8), t(9), 200, 1))), t(9));
    clockTo(t(27));
    assertThat(signals.isEmpty()).as("held for the grace period after its latest data").isTrue();
    clockTo(t(28));

    TestRecord<String, GoldenSignal> lateRecord = signals.readRecord();
    assertThat(lateRecord.getRecordTime())
        .as("stamped when it went out: the topic's retention counts from then")
        .isEqualTo(t(28));
    GoldenSignal late = lateRecord.value();
    assertThat(late.window().start()).isEqualTo(t(0));
    assertThat(late.traffic().requests()).as("both late parts in one supplement").isEqualTo(3);
    assertThat(late.errors().count()).isEqualTo(2);
    assertThat(late.revision()).isEqualTo(t(28).toEpochMilli());
    assertThat(late.id()).isNotEqualTo(onTime.id()).startsWith(onTime.id() + "~");
    assertThat(metrics.lateRequests()).isEqualTo(3);
    assertThat(metrics.signalsEmitted("late")).isEqualTo(1);
    assertThat(signals.isEmpty()).isTrue();
  }

  @Test
  void countsASenderWithAWrongClockWhenItsDataArrived() {
    Resource catalog = resource("catalog", "shop", "c1");
    Instant ahead = t(20).plus(Duration.ofMinutes(5));
    Instant behind = t(21).minus(Duration.ofHours(1));
    send(request(CHECKOUT, delta(point(ahead, ahead, 200, 3))), t(20));
    send(request(catalog, delta(point(t(20), t(21), 200, 4))), t(21));
    send(request(CHECKOUT, delta(point(behind, behind, 200, 2))), t(21));
    clockTo(t(35));

    List<GoldenSignal> out = signals.readValuesToList();
    assertThat(out)
        .extracting(GoldenSignal::service, s -> s.window().start(), s -> s.traffic().requests())
        .containsExactlyInAnyOrder(tuple("checkout", t(20), 5L), tuple("catalog", t(20), 4L));
    assertThat(metrics.dataPointsAdjusted("clock_skew")).isEqualTo(2);
    assertThat(signals.isEmpty()).isTrue();
  }

  @Test
  void emitsLiveSignalsOverTheTrailingWindowAtMostOncePerEmitInterval() {
    send(request(CHECKOUT, delta(point(t(0.5), t(1), 200, 8), point(t(0.5), t(1), 503, 2))), t(1));

    // A new series goes out with its first record, not at the next tick (the leading edge): one
    // live signal with both points of the request, over the 10 s ending with this second.
    TestRecord<String, GoldenSignal> first = live.readRecord();
    assertThat(first.key()).isEqualTo(CHECKOUT_KEY);
    assertThat(first.value().traffic().requests()).isEqualTo(10);
    assertThat(first.value().errors().ratio()).isEqualTo(0.2);
    assertThat(first.value().window().start()).isEqualTo(t(-8));
    assertThat(first.value().window().end()).isEqualTo(t(2));
    // Stamped with the newest data the task has seen (it is busy, not idle).
    assertThat(first.value().timestamp()).isEqualTo(t(1));
    assertThat(live.isEmpty()).isTrue();

    send(request(CHECKOUT, delta(point(t(1), t(1.2), 200, 5))), t(1.2));
    clockTo(t(1.3));
    assertThat(live.isEmpty()).as("within the emit interval").isTrue();
    clockTo(t(1.6));
    assertThat(live.readValue().traffic().requests()).isEqualTo(15);

    // Quiet: the window slides past the data, the signal falls to zero once, then stops.
    clockTo(t(10.5));
    assertThat(live.readValue().traffic().requests()).isEqualTo(5);
    clockTo(t(11.5));
    GoldenSignal quiet = live.readValue();
    assertThat(quiet.traffic().requests()).isZero();
    assertThat(quiet.errors().ratio()).isZero();
    clockTo(t(20));
    assertThat(live.isEmpty()).isTrue();
    assertThat(metrics.signalsEmitted("live")).isEqualTo(4);
  }

  @Test
  void sendsTheOnsetOfErrorsAtOnceInsideTheEmitInterval() {
    send(request(CHECKOUT, delta(point(t(0.5), t(1), 200, 8))), t(1));
    assertThat(live.readValue().errors().count()).isZero();

    // 100 ms later, well inside the emit interval, the first errors: they go out with their record.
    send(request(CHECKOUT, delta(point(t(1), t(1.1), 503, 2))), t(1.1));
    GoldenSignal onset = live.readValue();
    assertThat(onset.errors().count()).isEqualTo(2);
    assertThat(onset.traffic().requests()).isEqualTo(10);

    // Once the errors are out, more of them wait for the interval as any other change does.
    send(request(CHECKOUT, delta(point(t(1.1), t(1.2), 503, 3))), t(1.2));
    clockTo(t(1.5));
    assertThat(live.isEmpty()).as("within the emit interval").isTrue();
    clockTo(t(1.7));
    assertThat(live.readValue().errors().count()).isEqualTo(5);

    // Healthy again once the errors slid out of the window; a new onset goes out at once again.
    clockTo(t(12.5));
    assertThat(live.readValuesToList())
        .last()
        .satisfies(s -> assertThat(s.errors().count()).isZero());
    send(request(CHECKOUT, delta(point(t(12.5), t(12.6), 200, 4))), t(12.6));
    send(request(CHECKOUT, delta(point(t(12.6), t(12.7), 503, 1))), t(12.7));
    // (the healthy record may have gone out on the tick before it; the errors did at once)
    assertThat(live.readValuesToList())
        .last()
        .satisfies(s -> assertThat(s.errors().count()).isEqualTo(1));
  }

  @Test
  void showsABacklogInTheLiveSignalsAtItsOwnTime() {
    // After an outage the processor works through data from 80 s ago: the live window follows
    // the data, so a burst of errors in the backlog still reaches the rules, stamped when it was.
    clockTo(t(100));
    send(request(CHECKOUT, delta(point(t(19), t(20), 503, 4))), t(20));
    clockTo(t(100.1));

    GoldenSignal backlog = live.readValue();
    assertThat(backlog.traffic().requests()).isEqualTo(4);
    assertThat(backlog.errors().ratio()).isEqualTo(1.0);
    assertThat(backlog.timestamp()).isEqualTo(t(20));
    assertThat(backlog.window().end()).isEqualTo(t(21));

    // Caught up (idle for a second): live windows end at the wall clock again.
    clockTo(t(101.5));
    GoldenSignal now = live.readValue();
    assertThat(now.traffic().requests()).isZero();
    assertThat(now.window().end()).isEqualTo(t(102));
  }

  @Test
  void usesDeltaPointsAsTheyAre() {
    HistogramDataPoint withMax =
        point(t(0), t(4), 200, new double[] {0.01, 0.1}, 3, 5, 0).toBuilder().setMax(0.08).build();
    send(request(CHECKOUT, delta(withMax)), t(4));
    send(request(CHECKOUT, delta(point(t(4), t(8), 200, new double[] {0.01, 0.1}, 1, 1, 0))), t(8));
    clockTo(t(15));

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
    clockTo(t(15));

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
    clockTo(t(15));

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
    clockTo(t(15));

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
    clockTo(t(15));

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
  void sendsCorruptRecordsToTheDeadLetterTopicAndKeepsGoing() {
    byte[] garbage = "{\"resourceMetrics\": [}".getBytes(StandardCharsets.UTF_8);
    clockTo(t(1));
    input.pipeInput(new TestRecord<>("k".getBytes(StandardCharsets.UTF_8), garbage, t(1)));
    send(request(CHECKOUT, delta(point(t(0), t(2), 200, 7))), t(2));
    clockTo(t(15));

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
    clockTo(t(1));
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
    clockTo(t(15));

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
  void skipsNonsensicalPointsButKeepsTheRestOfTheRequest() {
    HistogramDataPoint mismatch =
        point(t(0), t(2), 200, 4).toBuilder().addBucketCounts(1).build(); // one bucket too many
    HistogramDataPoint wrongTotal = point(t(0), t(2), 500, 4).toBuilder().setCount(3).build();
    HistogramDataPoint negative = point(t(0), t(2), 502, 4).toBuilder().setCount(-1).build();
    send(request(CHECKOUT, delta(mismatch, wrongTotal, negative, point(t(0), t(2), 201, 6))), t(2));
    clockTo(t(15));

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
    clockTo(t(2));
    input.pipeInput(new TestRecord<byte[], byte[]>(null, mixed.toByteArray(), t(2)));
    clockTo(t(15));

    assertThat(signals.readValue().traffic().requests()).isEqualTo(3);
  }

  @Test
  void consumerGroupLagGoesToThePipelineRunsAsTheGroupsLagOnEachTopic() {
    TestOutputTopic<String, PipelineRun> runs =
        driver.createOutputTopic(
            Topics.PIPELINE_RUNS,
            new StringDeserializer(),
            JsonSerde.of(PipelineRun.class).deserializer());
    Resource group =
        Resource.newBuilder()
            .addAttributes(OtlpAttributes.string("messaging.consumer.group.name", "enricher"))
            .addAttributes(OtlpAttributes.string("kafka.cluster.name", "main"))
            .build();
    Metric lagSum =
        Metric.newBuilder()
            .setName("kafka.consumer_group.lag_sum")
            .setGauge(
                Gauge.newBuilder()
                    .addDataPoints(
                        NumberDataPoint.newBuilder()
                            .setTimeUnixNano(OtlpRequests.nanos(t(2)))
                            .setAsInt(250)
                            .addAttributes(OtlpAttributes.string("topic", "orders"))))
            .build();

    send(request(group, lagSum), t(2));

    List<TestRecord<String, PipelineRun>> out = runs.readRecordsToList();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).key()).isEqualTo("main/enricher");
    assertThat(out.get(0).value().kind()).isEqualTo(PipelineRun.LAG);
    assertThat(out.get(0).value().lag()).isEqualTo(new PipelineRun.Lag("orders", 250, null));
    assertThat(out.get(0).value().timestamp()).isEqualTo(t(2));
    // Nothing else comes of it: no golden signal, no saturation.
    clockTo(t(30));
    assertThat(live.readValuesToList()).isEmpty();
    assertThat(signals.readValuesToList()).isEmpty();
  }

  @Test
  void repartitionsOnceByTheSeriesOfRequestsAndOnceByTheNodeOrPodOfSaturation() {
    TopologyDescription description =
        GoldenSignalsTopology.build(
                ProcessorConfig.defaults(), ProcessorMetrics.unexported(), signal -> {}, T0)
            .describe();
    Set<String> sourceTopics =
        description.subtopologies().stream()
            .flatMap(s -> s.nodes().stream())
            .filter(TopologyDescription.Source.class::isInstance)
            .flatMap(n -> ((TopologyDescription.Source) n).topicSet().stream())
            .collect(Collectors.toSet());
    assertThat(description.subtopologies()).hasSize(2);
    assertThat(sourceTopics)
        .containsExactlyInAnyOrder(
            Topics.OTLP_METRICS,
            Topics.OTLP_SPANS,
            "signals-by-series-repartition",
            "saturation-by-series-repartition");
  }

  private static String header(TestRecord<byte[], byte[]> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
