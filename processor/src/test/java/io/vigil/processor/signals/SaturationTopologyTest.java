package io.vigil.processor.signals;

import static io.vigil.processor.OtlpRequests.cumulative;
import static io.vigil.processor.OtlpRequests.point;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.Topics;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorMetrics;
import io.vigil.processor.PromText;
import io.vigil.processor.SignalsDriver;
import io.vigil.processor.TopologyTests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Saturation through the whole signals topology: node-exporter scrapes (the real page, then the
 * same page with known increases) become live and final records of the node's own series.
 */
class SaturationTopologyTest {
  private static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");
  private static final String PAGE = PromText.resource("/fixtures/prometheus/node-exporter.txt");
  private static final String NODE_KEY = "c1////worker-1/";

  /** The fixture's MemAvailable / MemTotal. */
  private static final double MEMORY = 1 - 2.4844877824e10 / 2.5276063744e10;

  @TempDir Path stateDir;

  private final ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private SignalsDriver topology;
  private TestInputTopic<byte[], byte[]> input;
  private TestOutputTopic<String, GoldenSignal> signals;
  private TestOutputTopic<String, GoldenSignal> live;

  // These tests are about node and pod series; OperationSeriesTopologyTest covers operations.

  @BeforeEach
  void startDriver() {
    ProcessorConfig config = SignalsDriver.config(stateDir).withMaxOperationsPerService(0);
    topology =
        new SignalsDriver(
            config,
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
    topology.close();
  }

  private void clockTo(Instant at) {
    topology.clockTo(at);
  }

  /**
   * Sends a scrape of the node-exporter page made at {@code at}, each CPU having spent {@code
   * busyS} more seconds busy (user) and {@code idleS} more idle than in the fixture.
   */
  private void scrape(Instant at, double busyS, double idleS, Metric... more) {
    scrape(at, 1, busyS, idleS, more);
  }

  /** The same, every CPU counter of the fixture first multiplied by {@code factor}. */
  private void scrape(Instant at, double factor, double busyS, double idleS, Metric... more) {
    List<Metric> metrics =
        new java.util.ArrayList<>(
            PromText.metrics(
                PAGE,
                nanos(T0.minusSeconds(3600)),
                nanos(at),
                (name, labels, v) -> {
                  if (!name.equals("node_cpu_seconds_total")) {
                    return v;
                  }
                  String mode = labels.get("mode");
                  return v * factor
                      + (mode.equals("user") ? busyS : mode.equals("idle") ? idleS : 0);
                }));
    metrics.addAll(List.of(more));
    send(request(node(), metrics), at);
  }

  private void send(ExportMetricsServiceRequest request, Instant at) {
    clockTo(at);
    input.pipeInput(
        new TestRecord<>("node".getBytes(StandardCharsets.UTF_8), request.toByteArray(), at));
  }

  private static Resource node() {
    return Resource.newBuilder()
        .addAttributes(attr("service.name", "node"))
        .addAttributes(attr("k8s.node.name", "worker-1"))
        .addAttributes(attr("k8s.cluster.name", "c1"))
        .build();
  }

  private static ExportMetricsServiceRequest request(Resource resource, List<Metric> metrics) {
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .setResource(resource)
                .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(metrics)))
        .build();
  }

  private static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  private static Instant t(double seconds) {
    return T0.plusMillis(Math.round(seconds * 1000));
  }

  @Test
  void aNodesCpuIsItsBusyShareBetweenTwoScrapesAndItsMemoryIsInUseAtOnce() {
    scrape(t(1), 0, 0);
    // The first scrape only seeds the CPU counters; memory is a reading by itself.
    List<GoldenSignal> first = live.readValuesToList();
    assertThat(first).hasSize(1);
    assertThat(first.get(0).saturation().cpuUtilization()).isNull();
    assertThat(first.get(0).saturation().memoryUtilization()).isCloseTo(MEMORY, within(1e-12));

    // 10 s later each of the 2 CPUs spent 3 s busy and 7 s idle: 30 %.
    scrape(t(11), 3, 7);
    List<GoldenSignal> second =
        live.readKeyValuesToMap().entrySet().stream()
            .filter(e -> e.getKey().equals(NODE_KEY))
            .map(Map.Entry::getValue)
            .toList();
    assertThat(second).hasSize(1);
    GoldenSignal s = second.get(0);
    assertThat(s.node()).isEqualTo("worker-1");
    assertThat(s.cluster()).isEqualTo("c1");
    assertThat(s.service()).isNull();
    assertThat(s.pod()).isNull();
    assertThat(s.traffic()).isNull();
    assertThat(s.errors()).isNull();
    assertThat(s.latencyMs()).isNull();
    assertThat(s.saturation().cpuUtilization()).isCloseTo(0.3, within(1e-9));
    assertThat(s.saturation().memoryUtilization()).isCloseTo(MEMORY, within(1e-12));
    assertThat(s.timestamp()).isEqualTo(t(11));
    assertThat(s.seriesKey()).isEqualTo(NODE_KEY);
  }

  @Test
  void finalWindowsCarryTheMeanOfTheReadingsMeasuredInThemAndCloseOnTheWallClock() {
    scrape(t(1), 0, 0);
    scrape(t(3), 1.0, 1.0); // 50 %
    scrape(t(5), 1.8, 1.2); // 0.8 s more busy of 1 s per CPU: 80 %
    scrape(t(12), 3.2, 6.8); // 1.4 of 7 s per CPU: 20 %, in the next window

    clockTo(t(15)); // [0, 10) ends at 10, + 5 s grace
    List<GoldenSignal> closed = signals.readValuesToList();
    assertThat(closed).hasSize(1);
    GoldenSignal w = closed.get(0);
    assertThat(w.window().start()).isEqualTo(T0);
    assertThat(w.window().end()).isEqualTo(t(10));
    assertThat(w.revision()).isNull();
    assertThat(w.saturation().cpuUtilization()).isCloseTo((0.5 + 0.8) / 2, within(1e-9));
    assertThat(w.saturation().memoryUtilization()).isCloseTo(MEMORY, within(1e-12));
    assertThat(w.id()).isEqualTo(NODE_KEY + "@" + T0.toEpochMilli());

    clockTo(t(25));
    List<GoldenSignal> next = signals.readValuesToList();
    assertThat(next).hasSize(1);
    assertThat(next.get(0).saturation().cpuUtilization()).isCloseTo(0.2, within(1e-9));
  }

  @Test
  void aCounterThatWentDownIsAResetThatSeedsAgainInsteadOfANegativeUtilization() {
    scrape(t(1), 0, 0);
    scrape(t(11), 3, 7);
    live.readValuesToList();

    // The node rebooted: its counters start again, at a hundredth of what they were.
    scrape(t(21), 0.01, 0, 0);
    assertThat(metrics.dataPointsSkipped("counter_reset")).isEqualTo(1);
    scrape(t(31), 0.01, 5, 5); // 5 of 10 s busy per CPU since the reset
    List<GoldenSignal> after = live.readValuesToList();
    assertThat(after)
        .extracting(s -> s.saturation().cpuUtilization())
        .last()
        .satisfies(cpu -> assertThat(cpu).isCloseTo(0.5, within(1e-9)));
    assertThat(after)
        .allSatisfy(s -> assertThat(s.saturation().cpuUtilization()).isBetween(0.0, 1.0));
  }

  @Test
  void aFullyBusyNodeIsAtMostOneWhateverTheSumsRound() {
    // node_cpu_seconds_total {user, idle}: 25.51 and 1e6, then 26.5 and 1e6. Summed in doubles,
    // busy grew by 0.99 and all by a hair less.
    double used = 26.5 - 25.51;
    double capacity = (26.5 + 1e6) - (25.51 + 1e6);
    assertThat(used / capacity).as("the rounding").isGreaterThan(1);

    assertThat(SaturationProcessor.utilization(used, capacity)).isEqualTo(1.0);
    assertThat(SaturationProcessor.utilization(1.2, 1.0)).as("a real excess").isEqualTo(1.2);
    assertThat(SaturationProcessor.utilization(0.3, 1.0)).isEqualTo(0.3);
  }

  @Test
  void aNodeThatStopsReportingIsDroppedAfterTheLookbackWithOneRecordSayingSo() {
    scrape(t(1), 0, 0);
    scrape(t(11), 3, 7);
    live.readValuesToList();

    clockTo(t(11).plus(SaturationProcessor.STALE).minusSeconds(10));
    assertThat(live.readValuesToList()).isEmpty();

    clockTo(t(11).plus(SaturationProcessor.STALE).plus(SaturationProcessor.STALE_CHECK));
    List<GoldenSignal> gone = live.readValuesToList();
    assertThat(gone).hasSize(1);
    assertThat(gone.get(0).seriesKey()).isEqualTo(NODE_KEY);
    assertThat(gone.get(0).saturation()).isNull();

    clockTo(t(11).plus(SaturationProcessor.STALE.multipliedBy(3)));
    assertThat(live.readValuesToList()).isEmpty();
  }

  @Test
  void aServicesRequestsAndItsNodesSaturationStayInTheirOwnSeries() {
    Instant start = T0.minusSeconds(3600);
    scrape(t(1), 0, 0, requests(start, t(1), 10));
    scrape(t(11), 3, 7, requests(start, t(11), 30));
    clockTo(t(11.5)); // request series go out on the next live tick

    Map<String, GoldenSignal> latest = live.readKeyValuesToMap();
    assertThat(latest).containsOnlyKeys(NODE_KEY, "c1//node/");
    GoldenSignal requests = latest.get("c1//node/");
    assertThat(requests.saturation()).isNull();
    assertThat(requests.node()).isNull();
    assertThat(requests.traffic().requests()).isPositive();
    assertThat(latest.get(NODE_KEY).traffic()).isNull();
  }

  /** A server-duration histogram of the scraped resource itself (its service is "node"). */
  private static Metric requests(Instant start, Instant at, long count) {
    return cumulative(point(start, at, 200, count));
  }
}
