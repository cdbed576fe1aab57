package io.vigil.processor.signals;

import static io.vigil.processor.OtlpRequests.cumulative;
import static io.vigil.processor.OtlpRequests.point;
import static io.vigil.processor.OtlpRequests.request;
import static io.vigil.processor.OtlpRequests.resource;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.Topics;
import io.vigil.model.otlp.OtlpAttributes;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorMetrics;
import io.vigil.processor.SignalsDriver;
import io.vigil.processor.TopologyTests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The direct route: requests read on the partition of the task that holds their series go to the
 * signals step without the repartition topic, and count exactly as they do through it.
 */
class DirectRouteTopologyTest {
  private static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");
  private static final Instant LONG_AGO = T0.minusSeconds(3600);
  private static final List<Resource> SERVICES =
      List.of(resource("checkout", "shop", "c1"), resource("cart", "shop", "c1"));

  @TempDir Path repartitionedState;
  @TempDir Path directState;

  /** What a run put out, and how its points reached the signals step. */
  private record Run(
      List<TestRecord<String, GoldenSignal>> signals,
      List<TestRecord<String, GoldenSignal>> live,
      long direct,
      long repartitioned) {}

  /**
   * Two services' cumulative exports, one a second for 40 s, with two routes each and errors on
   * one, through the topology with a repartition topic of {@code partitions} (0: unknown, so every
   * series through the topic; 1: every series read where it is held, as in the test driver every
   * record is read from partition 0).
   */
  private static Run run(Path stateDir, int partitions) {
    ProcessorMetrics metrics = ProcessorMetrics.unexported();
    ProcessorConfig config = SignalsDriver.config(stateDir);
    try (SignalsDriver topology =
        new SignalsDriver(
            config,
            metrics,
            TopologyTests.dlqProducer(),
            c -> GoldenSignalsTopology.build(c, metrics, signal -> {}, T0, partitions),
            Topics.OTLP_METRICS,
            T0)) {
      for (int s = 1; s <= 40; s++) {
        Instant at = T0.plusSeconds(s);
        for (int svc = 0; svc < SERVICES.size(); svc++) {
          byte[] value =
              request(
                      SERVICES.get(svc),
                      cumulative(
                          route("/pay", 200, 10L * s * (svc + 1), at),
                          route("/pay", 503, s / 3, at),
                          route("/cart", 200, 4L * s, at)))
                  .toByteArray();
          topology.clockTo(at);
          topology.input.pipeInput(
              new TestRecord<>(
                  OtlpAttributes.serviceName(SERVICES.get(svc)).getBytes(StandardCharsets.UTF_8),
                  value,
                  at));
          topology.clockTo(at.plusMillis(600));
        }
      }
      topology.clockTo(T0.plusSeconds(60));
      return new Run(
          topology.signals.readRecordsToList(),
          topology.live.readRecordsToList(),
          metrics.dataPointsRouted("direct"),
          metrics.dataPointsRouted("repartition"));
    }
  }

  private static HistogramDataPoint route(String route, int status, long count, Instant at) {
    return point(LONG_AGO, at, status, count).toBuilder()
        .setAttributes(
            1,
            KeyValue.newBuilder()
                .setKey("http.route")
                .setValue(AnyValue.newBuilder().setStringValue(route)))
        .build();
  }

  @Test
  void aSeriesReadWhereItIsHeldCountsExactlyAsThroughTheRepartitionTopic() {
    Run repartitioned = run(repartitionedState, 0);
    Run direct = run(directState, 1);

    assertThat(repartitioned.direct()).isZero();
    assertThat(repartitioned.repartitioned()).isEqualTo(2 * 40 * 3);
    assertThat(direct.repartitioned()).isZero();
    assertThat(direct.direct()).isEqualTo(2 * 40 * 3);
    // Services and their operations, final windows with their counts and latencies, live signals
    // at the same moments: the same records, in the same order.
    assertThat(direct.signals()).isNotEmpty().isEqualTo(repartitioned.signals());
    assertThat(direct.live()).isNotEmpty().isEqualTo(repartitioned.live());
    List<String> series = new ArrayList<>();
    direct.signals().forEach(r -> series.add(r.key()));
    assertThat(series).contains("c1/shop/checkout/", "c1/shop/cart/", "c1/shop/checkout/GET /pay");
  }

  @Test
  void theSignalsStepReadsTheRepartitionTopicInTheTaskThatDecodes() {
    TopologyDescription description =
        GoldenSignalsTopology.build(
                ProcessorConfig.defaults(), ProcessorMetrics.unexported(), signal -> {}, T0, 3)
            .describe();
    // One sub-topology: decoding, both repartition topics' readers and the steps after them (the
    // signals and the saturation step write to the same sinks, which joins them).
    assertThat(description.subtopologies()).hasSize(1);
    TopologyDescription.Subtopology all = description.subtopologies().iterator().next();
    Set<String> sources =
        all.nodes().stream()
            .filter(TopologyDescription.Source.class::isInstance)
            .flatMap(n -> ((TopologyDescription.Source) n).topicSet().stream())
            .collect(Collectors.toSet());
    assertThat(sources)
        .containsExactlyInAnyOrder(
            Topics.OTLP_METRICS,
            Topics.OTLP_SPANS,
            "signals-by-series-repartition",
            "saturation-by-series-repartition");
    assertThat(all.nodes()).extracting(TopologyDescription.Node::name).contains("signals");
  }
}
