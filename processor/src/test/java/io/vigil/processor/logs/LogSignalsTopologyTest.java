package io.vigil.processor.logs;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.Topics;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorMetrics;
import io.vigil.processor.SignalsDriver;
import io.vigil.processor.TopologyTests;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log-volume signals: error logs per service as a live and a final signal. */
class LogSignalsTopologyTest {
  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  @TempDir Path stateDir;

  private final ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private final List<GoldenSignal> shown = new ArrayList<>();
  private SignalsDriver topology;
  private TestInputTopic<byte[], byte[]> input;
  private TestOutputTopic<String, GoldenSignal> signals;
  private TestOutputTopic<String, GoldenSignal> live;

  @BeforeEach
  void startDriver() {
    ProcessorConfig config = SignalsDriver.config(stateDir);
    topology =
        new SignalsDriver(
            config,
            metrics,
            TopologyTests.dlqProducer(),
            c -> LogsTopology.build(c, metrics, shown::add),
            Topics.OTLP_LOGS,
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

  private static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  /**
   * Sends, as the collector would write it at {@code written}, {@code errors} ERROR and {@code
   * infos} INFO records of {@code service} (namespace shop, cluster c1) stamped {@code at}.
   */
  private void send(String service, Instant at, int errors, int infos, Instant written) {
    ScopeLogs.Builder scope = ScopeLogs.newBuilder();
    for (int i = 0; i < errors + infos; i++) {
      scope.addLogRecords(
          LogRecord.newBuilder()
              .setTimeUnixNano(at.toEpochMilli() * 1_000_000L)
              .setSeverityNumber(
                  i < errors
                      ? SeverityNumber.SEVERITY_NUMBER_ERROR
                      : SeverityNumber.SEVERITY_NUMBER_INFO)
              .setBody(AnyValue.newBuilder().setStringValue("line " + i)));
    }
    ExportLogsServiceRequest request =
        ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(
                ResourceLogs.newBuilder()
                    .setResource(
                        Resource.newBuilder()
                            .addAttributes(attr("service.name", service))
                            .addAttributes(attr("k8s.namespace.name", "shop"))
                            .addAttributes(attr("k8s.cluster.name", "c1")))
                    .addScopeLogs(scope))
            .build();
    input.pipeInput(new TestRecord<>(null, request.toByteArray(), written));
  }

  @Test
  void errorLogsOfAServiceBecomeALiveRateThatFallsToZeroWhenTheyStop() {
    clockTo(T0.plusMillis(200));
    send("checkout", T0.plusMillis(100), 6, 14, T0.plusMillis(150));
    clockTo(T0.plusMillis(700));

    GoldenSignal first = live.readValue();
    assertThat(first.seriesKey()).isEqualTo("c1/shop/checkout//logs");
    assertThat(first.service()).isEqualTo("checkout");
    assertThat(first.namespace()).isEqualTo("shop");
    assertThat(first.cluster()).isEqualTo("c1");
    assertThat(first.traffic()).as("a log record is no request").isNull();
    assertThat(first.logs()).isEqualTo(new GoldenSignal.Logs(20, 6, 2.0, 0.6));
    assertThat(shown).containsExactly(first);

    // Nothing new: the same window is not sent again.
    clockTo(T0.plusSeconds(5));
    assertThat(live.isEmpty()).isTrue();

    // The second the records were in slides out of the 10 s window: one record says so.
    clockTo(T0.plusSeconds(12));
    List<GoldenSignal> after = live.readValuesToList();
    assertThat(after)
        .extracting(GoldenSignal::logs)
        .containsExactly(new GoldenSignal.Logs(0, 0, 0, 0));
    clockTo(T0.plusSeconds(30));
    assertThat(live.isEmpty()).as("a quiet service is forgotten after saying so").isTrue();
  }

  @Test
  void finalWindowsCountEveryRecordAndCloseOnTheWallClock() {
    clockTo(T0.plusSeconds(1));
    send("checkout", T0.plusSeconds(1), 3, 1, T0.plusSeconds(1));
    send("checkout", T0.plusSeconds(8), 2, 0, T0.plusSeconds(8));
    send("checkout", T0.plusSeconds(12), 1, 1, T0.plusSeconds(12));
    send("payments", T0.plusSeconds(2), 0, 5, T0.plusSeconds(2));
    clockTo(T0.plusSeconds(14));
    assertThat(signals.isEmpty()).as("the first window closes at end + grace").isTrue();

    clockTo(T0.plusSeconds(16));
    List<GoldenSignal> closed = signals.readValuesToList();
    assertThat(closed)
        .extracting(
            s ->
                s.service()
                    + " "
                    + s.window().start()
                    + " "
                    + s.logs().records()
                    + "/"
                    + s.logs().errors())
        .containsExactlyInAnyOrder(
            "checkout 2026-11-22T10:00:00Z 6/5", "payments 2026-11-22T10:00:00Z 5/0");
    assertThat(closed).allSatisfy(s -> assertThat(s.revision()).isNull());

    clockTo(T0.plusSeconds(26));
    assertThat(signals.readValuesToList())
        .extracting(s -> s.window().start() + " " + s.logs().records() + "/" + s.logs().errors())
        .containsExactly("2026-11-22T10:00:10Z 2/1");
  }

  @Test
  void aClockAheadIsCountedWhenItsRecordsArrived() {
    clockTo(T0.plusSeconds(1));
    send("checkout", T0.plus(Duration.ofHours(1)), 2, 0, T0.plusSeconds(1));
    clockTo(T0.plusSeconds(2));

    assertThat(live.readValue().logs().errors()).isEqualTo(2);
    assertThat(metrics.logRecordsAdjusted("clock_skew")).isEqualTo(2);
    clockTo(T0.plusSeconds(16));
    GoldenSignal window = signals.readValue();
    assertThat(window.window().start()).isEqualTo(T0);
    assertThat(window.logs().errors()).isEqualTo(2);
  }

  @Test
  void oldRecordsCountInTheirOwnWindowAsALateSupplementNotAsLiveErrors() {
    Instant now = T0.plus(Duration.ofHours(1));
    clockTo(now);
    send("checkout", T0.plusSeconds(3), 4, 0, now);
    clockTo(now.plusSeconds(1));

    assertThat(live.readValuesToList())
        .as("errors an hour old are not happening now")
        .allSatisfy(s -> assertThat(s.logs().errors()).isZero());
    TestRecord<String, GoldenSignal> record = signals.readRecord();
    assertThat(record.getRecordTime())
        .as("stamped when it went out, not an hour back: the topic's retention counts from then")
        .isEqualTo(now.plusSeconds(1));
    GoldenSignal supplement = record.value();
    assertThat(supplement.window().start()).isEqualTo(T0);
    assertThat(supplement.logs().errors()).isEqualTo(4);
    assertThat(supplement.revision()).isNotNull();
  }
}
