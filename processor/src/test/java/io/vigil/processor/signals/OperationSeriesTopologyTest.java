package io.vigil.processor.signals;

import static io.vigil.processor.OtlpRequests.delta;
import static io.vigil.processor.OtlpRequests.request;
import static io.vigil.processor.OtlpRequests.resource;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.Topics;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.OtlpRequests;
import io.vigil.processor.ProcessorMetrics;
import io.vigil.processor.SignalsDriver;
import io.vigil.processor.TopologyTests;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-operation series: each route counted in its own series and in its service's. */
class OperationSeriesTopologyTest {
  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  private static final Resource CHECKOUT = resource("checkout", "shop", "c1");

  @TempDir Path stateDir;

  private final ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private SignalsDriver topology;
  private TestInputTopic<byte[], byte[]> input;
  private TestOutputTopic<String, GoldenSignal> signals;
  private TestOutputTopic<String, GoldenSignal> live;

  private void start(int maxOperations) {
    topology =
        new SignalsDriver(
            SignalsDriver.config(stateDir).withMaxOperationsPerService(maxOperations),
            metrics,
            TopologyTests.dlqProducer(),
            c -> GoldenSignalsTopology.build(c, metrics, signal -> {}, T0),
            Topics.OTLP_METRICS,
            T0);
    input = topology.input;
    signals = topology.signals;
    live = topology.live;
  }

  @AfterEach
  void closeDriver() {
    if (topology != null) {
      topology.close();
    }
  }

  private void clockTo(Instant at) {
    topology.clockTo(at);
  }

  private void send(Instant at, HistogramDataPoint... points) {
    clockTo(at);
    ExportMetricsServiceRequest r = request(CHECKOUT, delta(points));
    input.pipeInput(new TestRecord<>(null, r.toByteArray(), at));
  }

  /**
   * {@code count} requests of {@code method route} answered {@code status}, in the second before.
   */
  private static HistogramDataPoint requests(
      String method, String route, int status, long count, Instant at) {
    return OtlpRequests.point(at.minusSeconds(1), at, status, count).toBuilder()
        .setAttributes(0, attr("http.request.method", method))
        .setAttributes(1, attr("http.route", route))
        .build();
  }

  private static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  /** Requests / errors of each series' final windows, by record key. */
  private static Map<String, String> counts(List<TestRecord<String, GoldenSignal>> records) {
    Map<String, long[]> sums = new TreeMap<>();
    for (TestRecord<String, GoldenSignal> r : records) {
      long[] sum = sums.computeIfAbsent(r.key(), k -> new long[2]);
      sum[0] += r.value().traffic().requests();
      sum[1] += r.value().errors().count();
    }
    Map<String, String> out = new TreeMap<>();
    sums.forEach((key, sum) -> out.put(key, sum[0] + "/" + sum[1]));
    return out;
  }

  @Test
  void emitsAnOperationsLiveSignalAtMostEveryFiveSecondsItsServicesEveryEmitInterval() {
    start(100);
    for (int second = 2; second <= 8; second++) {
      send(T0.plusSeconds(second), requests("GET", "/cart", 200, 1, T0.plusSeconds(second)));
      clockTo(T0.plusSeconds(second).plusMillis(600));
    }
    List<GoldenSignal> emitted = live.readValuesToList();
    // The service: with each second's request (the emit interval, 500 ms, has passed each time).
    assertThat(emitted).filteredOn(s -> s.operation() == null).hasSize(7);
    // Its operation: with the first request (at 2 s), then at the tick 5 s later, with the
    // requests of seconds 2 to 6 — not every second.
    assertThat(emitted)
        .filteredOn(s -> "GET /cart".equals(s.operation()))
        .extracting(s -> s.traffic().requests())
        .containsExactly(1L, 5L);
  }

  /** The requests of each live signal of operation {@code GET /cart} emitted since last read. */
  private List<Long> cartRequestsLive() {
    return live.readValuesToList().stream()
        .filter(s -> "GET /cart".equals(s.operation()))
        .map(s -> s.traffic().requests())
        .toList();
  }

  /**
   * An operation's series that fell quiet is forgotten once its zero went out; when the operation
   * comes back, its requests go out from a series of its own again, which falls to zero once more
   * when it falls quiet.
   */
  @Test
  void anOperationBackAfterFallingQuietHasItsLiveSignalsAgain() {
    start(100);
    send(T0.plusSeconds(2), requests("GET", "/cart", 200, 3, T0.plusSeconds(2)));
    clockTo(T0.plusSeconds(30));
    assertThat(cartRequestsLive()).containsExactly(3L, 0L);

    send(T0.plusSeconds(31), requests("GET", "/cart", 200, 4, T0.plusSeconds(31)));
    clockTo(T0.plusSeconds(60));
    assertThat(cartRequestsLive()).containsExactly(4L, 0L);
  }

  @Test
  void countsEachRouteInItsOwnSeriesAndInItsServices() {
    start(100);
    send(
        T0.plusSeconds(2),
        requests("GET", "/products/{id}", 200, 5, T0.plusSeconds(2)),
        requests("POST", "/pay", 200, 2, T0.plusSeconds(2)),
        requests("POST", "/pay", 503, 1, T0.plusSeconds(2)));
    clockTo(T0.plusSeconds(3));

    List<GoldenSignal> now = live.readValuesToList();
    assertThat(now)
        .extracting(GoldenSignal::operation, s -> s.traffic().requests())
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(null, 8L),
            org.assertj.core.groups.Tuple.tuple("GET /products/{id}", 5L),
            org.assertj.core.groups.Tuple.tuple("POST /pay", 3L));
    GoldenSignal pay =
        now.stream().filter(s -> "POST /pay".equals(s.operation())).findFirst().orElseThrow();
    assertThat(pay.seriesKey()).isEqualTo("c1/shop/checkout/POST /pay");
    assertThat(pay.errors().ratio()).isEqualTo(1 / 3.0);

    clockTo(T0.plusSeconds(16));
    assertThat(counts(signals.readRecordsToList()))
        .containsExactlyEntriesOf(
            new TreeMap<>(
                Map.of(
                    "c1/shop/checkout/", "8/1",
                    "c1/shop/checkout/GET /products/{id}", "5/0",
                    "c1/shop/checkout/POST /pay", "3/1")));
    assertThat(metrics.lateRequests()).isZero();
  }

  @Test
  void foldsOperationsPastTheLimitIntoTheOverflowSeries() {
    start(2);
    send(
        T0.plusSeconds(2),
        requests("GET", "/a", 200, 1, T0.plusSeconds(2)),
        requests("GET", "/b", 200, 2, T0.plusSeconds(2)),
        requests("GET", "/c", 500, 3, T0.plusSeconds(2)),
        requests("GET", "/d", 200, 4, T0.plusSeconds(2)),
        requests("GET", "/d", 500, 1, T0.plusSeconds(2)));
    clockTo(T0.plusSeconds(16));

    assertThat(counts(signals.readRecordsToList()))
        .containsExactlyEntriesOf(
            new TreeMap<>(
                Map.of(
                    "c1/shop/checkout/", "11/4",
                    "c1/shop/checkout/GET /a", "1/0",
                    "c1/shop/checkout/GET /b", "2/0",
                    "c1/shop/checkout/(overflow)", "8/4")));
    assertThat(metrics.dataPointsAdjusted("operation_overflow")).as("per point").isEqualTo(3);
    GoldenSignal overflowLive =
        live.readValuesToList().stream()
            .filter(signal -> OperationGuard.OVERFLOW.equals(signal.operation()))
            .findFirst()
            .orElseThrow();
    assertThat(overflowLive.traffic().requests()).isEqualTo(8);
    assertThat(overflowLive.errors().count()).isEqualTo(4);
  }

  @Test
  void anOperationUnseenForAnHourFreesItsPlace() {
    start(1);
    send(T0.plusSeconds(2), requests("GET", "/old", 200, 1, T0.plusSeconds(2)));
    clockTo(T0.plus(Duration.ofMinutes(62)));
    signals.readRecordsToList();

    Instant later = T0.plus(Duration.ofMinutes(62)).plusSeconds(2);
    send(later, requests("GET", "/new", 200, 4, later));
    clockTo(later.plusSeconds(20));

    assertThat(counts(signals.readRecordsToList()))
        .containsKey("c1/shop/checkout/GET /new")
        .doesNotContainKey("c1/shop/checkout/(overflow)");
  }

  @Test
  void noOperationSeriesWhenTheLimitIsZero() {
    start(0);
    send(T0.plusSeconds(2), requests("GET", "/a", 200, 1, T0.plusSeconds(2)));
    clockTo(T0.plusSeconds(16));

    assertThat(counts(signals.readRecordsToList())).containsOnlyKeys("c1/shop/checkout/");
  }
}
