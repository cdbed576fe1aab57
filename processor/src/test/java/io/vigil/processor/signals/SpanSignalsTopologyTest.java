package io.vigil.processor.signals;

import static io.vigil.processor.OtlpRequests.delta;
import static io.vigil.processor.OtlpRequests.nanos;
import static io.vigil.processor.OtlpRequests.point;
import static io.vigil.processor.OtlpRequests.request;
import static io.vigil.processor.OtlpRequests.resource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.vigil.model.Topics;
import io.vigil.model.otlp.OtlpAttributes;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorMetrics;
import io.vigil.processor.SignalsDriver;
import io.vigil.processor.TopologyTests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden signals from server spans on {@code otlp_spans}: a service instrumented with tracing only
 * is counted exactly, and a service that also sends request metrics is counted from its metrics
 * alone.
 */
class SpanSignalsTopologyTest {
  /** Aligned to the 10 s windows; the wall clock starts here. */
  private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");

  private static final Resource CART = resource("cart", "shop", "c1");
  private static final Resource CHECKOUT = resource("checkout", "shop", "c1");

  @TempDir Path stateDir;

  private final ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private SignalsDriver topology;
  private TestInputTopic<byte[], byte[]> otlpMetrics;

  @BeforeEach
  void startDriver() {
    topology =
        new SignalsDriver(
            SignalsDriver.config(stateDir),
            metrics,
            TopologyTests.dlqProducer(),
            c -> GoldenSignalsTopology.build(c, metrics, signal -> {}, T0),
            Topics.OTLP_SPANS,
            T0);
    otlpMetrics =
        topology.driver.createInputTopic(
            Topics.OTLP_METRICS, new ByteArraySerializer(), new ByteArraySerializer());
  }

  @AfterEach
  void closeDriver() {
    topology.close();
  }

  private static Instant t(double seconds) {
    return T0.plusMillis(Math.round(seconds * 1000));
  }

  /** {@code n} server spans of {@code operation}, ending evenly over {@code [from, to]}. */
  private static List<Span> spans(
      int n, String operation, long latencyMs, boolean failed, Instant from, Instant to) {
    List<Span> spans = new ArrayList<>();
    long stepMs = n > 1 ? (to.toEpochMilli() - from.toEpochMilli()) / (n - 1) : 0;
    for (int i = 0; i < n; i++) {
      Instant end = from.plusMillis(i * stepMs);
      Span.Builder span =
          Span.newBuilder()
              .setName(operation)
              .setKind(Span.SpanKind.SPAN_KIND_SERVER)
              .setStartTimeUnixNano(nanos(end.minusMillis(latencyMs)))
              .setEndTimeUnixNano(nanos(end))
              .addAttributes(OtlpAttributes.string("http.route", operation.split(" ")[1]))
              .addAttributes(OtlpAttributes.string("http.request.method", operation.split(" ")[0]));
      if (failed) {
        span.setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR));
      }
      spans.add(span.build());
    }
    return spans;
  }

  /** Sends {@code spans} of {@code resource} as the collector would, received at {@code at}. */
  private void sendSpans(Resource resource, List<Span> spans, Instant at) {
    topology.clockTo(at);
    ExportTraceServiceRequest request =
        ExportTraceServiceRequest.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .setResource(resource)
                    .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(spans)))
            .build();
    topology.input.pipeInput(new TestRecord<>(null, request.toByteArray(), at));
  }

  private static List<Span> concat(List<Span> a, List<Span> b) {
    List<Span> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** The final window of {@code series} starting at {@code start}, among {@code out}. */
  private static GoldenSignal window(List<GoldenSignal> out, String series, Instant start) {
    return out.stream()
        .filter(s -> s.seriesKey().equals(series) && s.window().start().equals(start))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no window " + series + " @ " + start));
  }

  @Test
  void countsATracingOnlyServiceFromItsServerSpansExactly() {
    Span client =
        spans(1, "GET /stock", 5, true, t(1), t(1)).get(0).toBuilder()
            .setKind(Span.SpanKind.SPAN_KIND_CLIENT)
            .build();
    Span backwards =
        spans(1, "GET /cart", 5, false, t(1), t(1)).get(0).toBuilder()
            .setEndTimeUnixNano(nanos(t(0.5)))
            .setStartTimeUnixNano(nanos(t(1)))
            .build();
    // 60 requests of 20 ms (5 failed), 30 of 60 ms, 10 of 490 ms (2 failed), in two requests.
    List<Span> first =
        concat(
            concat(
                spans(55, "GET /cart", 20, false, t(1), t(2)),
                spans(5, "GET /cart", 20, true, t(1.5), t(2))),
            List.of(client, backwards));
    List<Span> second =
        concat(
            concat(
                spans(30, "GET /cart", 60, false, t(5), t(6)),
                spans(8, "POST /pay", 490, false, t(5), t(6))),
            spans(2, "POST /pay", 490, true, t(5), t(6)));
    sendSpans(CART, first, t(2));
    sendSpans(CART, second, t(6));
    topology.clockTo(t(15));

    List<GoldenSignal> out = topology.signals.readValuesToList();
    GoldenSignal service = window(out, "c1/shop/cart/", t(0));
    assertThat(service.traffic().requests()).isEqualTo(100);
    assertThat(service.errors().count()).isEqualTo(7);
    // The spans' own durations, within the sketch's 1 % (buckets of 10/25 and 250/500 ms would
    // have read 22.5 and 475 ms).
    assertThat(service.latencyMs().p50()).isCloseTo(20, withinPercentage(1));
    assertThat(service.latencyMs().p99()).isCloseTo(490, withinPercentage(1));
    assertThat(service.latencyMs().max()).isEqualTo(490.0);
    GoldenSignal cart = window(out, "c1/shop/cart/GET /cart", t(0));
    assertThat(cart.traffic().requests()).isEqualTo(90);
    assertThat(cart.errors().count()).isEqualTo(5);
    GoldenSignal pay = window(out, "c1/shop/cart/POST /pay", t(0));
    assertThat(pay.traffic().requests()).isEqualTo(10);
    assertThat(pay.errors().count()).isEqualTo(2);
    assertThat(metrics.dataPointsSkipped("invalid_start_time")).isEqualTo(1);
    assertThat(metrics.dataPointsSkipped("superseded_by_metrics")).isZero();
  }

  @Test
  void countsAServiceSendingMetricsAndSpansFromItsMetricsOnly() {
    otlpMetrics.pipeInput(
        new TestRecord<>(
            null, request(CHECKOUT, delta(point(t(0), t(1), 200, 5))).toByteArray(), t(1)));
    sendSpans(CHECKOUT, spans(7, "GET /", 15, false, t(1), t(2)), t(2));
    sendSpans(CART, spans(4, "GET /cart", 15, false, t(2), t(3)), t(3));
    topology.clockTo(t(4));
    otlpMetrics.pipeInput(
        new TestRecord<>(
            null, request(CHECKOUT, delta(point(t(1), t(4), 500, 3))).toByteArray(), t(4)));
    sendSpans(CHECKOUT, spans(3, "GET /", 15, true, t(3), t(4)), t(4.5));
    topology.clockTo(t(15));

    List<GoldenSignal> out = topology.signals.readValuesToList();
    GoldenSignal checkout = window(out, "c1/shop/checkout/", t(0));
    assertThat(checkout.traffic().requests()).isEqualTo(8);
    assertThat(checkout.errors().count()).isEqualTo(3);
    assertThat(window(out, "c1/shop/checkout/GET /", t(0)).traffic().requests()).isEqualTo(8);
    // Span points are per second: the 7 spans ended in one second, the 3 in two.
    assertThat(metrics.dataPointsSkipped("superseded_by_metrics")).isEqualTo(3);
    // Another service's spans are its own.
    assertThat(window(out, "c1/shop/cart/", t(0)).traffic().requests()).isEqualTo(4);
    // Where the rule's memory lives: the series' state, changelogged, moving with the task.
    KeyValueStore<String, SeriesState> state =
        topology.driver.getKeyValueStore(GoldenSignalsTopology.CUMULATIVE_STORE);
    assertThat(state.get("c1/shop/checkout/").metricsSeenNanos()).isEqualTo(nanos(t(1)));
  }

  @Test
  void countsSpansAgainTenMinutesAfterTheLastMetricPoint() {
    otlpMetrics.pipeInput(
        new TestRecord<>(
            null, request(CHECKOUT, delta(point(t(0), t(1), 200, 5))).toByteArray(), t(1)));
    // Nine minutes later the metrics may just be late: the spans still do not count.
    sendSpans(CHECKOUT, spans(6, "GET /", 15, false, t(541), t(542)), t(542));
    // Ten minutes after the last metric point, the service is taken for tracing only.
    sendSpans(CHECKOUT, spans(9, "GET /", 15, false, t(602), t(603)), t(603));
    topology.clockTo(t(620));

    List<GoldenSignal> out = topology.signals.readValuesToList();
    assertThat(window(out, "c1/shop/checkout/", t(0)).traffic().requests()).isEqualTo(5);
    assertThat(out).noneMatch(s -> s.window().start().equals(t(540)));
    assertThat(window(out, "c1/shop/checkout/", t(600)).traffic().requests()).isEqualTo(9);
    // The 6 spans' two seconds.
    assertThat(metrics.dataPointsSkipped("superseded_by_metrics")).isEqualTo(2);
  }

  @Test
  void sendsWhatIsNotATraceRequestToTheDeadLetterTopic() {
    byte[] garbage = "not protobuf".getBytes(StandardCharsets.UTF_8);
    topology.input.pipeInput(new TestRecord<>(null, garbage, t(1)));
    sendSpans(CART, spans(2, "GET /cart", 15, false, t(1), t(2)), t(2));
    topology.clockTo(t(15));

    TestRecord<byte[], byte[]> dead = topology.dlq.readRecord();
    assertThat(dead.value()).isEqualTo(garbage);
    assertThat(header(dead, Topics.DLQ_SOURCE_TOPIC_HEADER)).isEqualTo(Topics.OTLP_SPANS);
    assertThat(header(dead, Topics.DLQ_REASON_HEADER))
        .startsWith("invalid_protobuf: not an OTLP ExportTraceServiceRequest");
    assertThat(metrics.recordsRejected("invalid_protobuf")).isEqualTo(1);
    assertThat(
            window(topology.signals.readValuesToList(), "c1/shop/cart/", t(0)).traffic().requests())
        .isEqualTo(2);
  }

  private static String header(TestRecord<byte[], byte[]> record, String name) {
    var h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
