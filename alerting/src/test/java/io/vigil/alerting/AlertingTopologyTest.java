package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.dispatch.Dispatcher;
import io.vigil.alerting.dispatch.FiringAlerts;
import io.vigil.alerting.dispatch.Inhibitor;
import io.vigil.alerting.dispatch.Muting;
import io.vigil.alerting.dispatch.Silence;
import io.vigil.alerting.dispatch.Silences;
import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.rules.AlertEvaluator;
import io.vigil.alerting.rules.RuleLoader;
import io.vigil.alerting.rules.Signals;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertingTopologyTest {
  private static final Instant WALL = Instant.parse("2024-05-01T12:00:00Z");

  private static final String RULES =
      """
      groups:
        - name: golden-signals
          rules:
            - alert: HighErrorRatio
              expr: errors.ratio > 0.05
              labels: {severity: critical}
              annotations: {summary: "{{ $labels.service }} error ratio is {{ $value }}"}
            - alert: SomeErrors
              expr: errors.ratio > 0.01
              labels: {severity: warning}
        - name: pipelines
          rules:
            - alert: PipelineFailed
              expr: pipeline.failed > 0
              labels: {severity: critical}
      """;

  private static final String ROUTING =
      """
      route:
        receiver: oncall
        group_by: [alertname]
        group_wait: 30s
        group_interval: 1m
        repeat_interval: 1h
        routes:
          - matchers: [alertname="PipelineFailed"]
            receiver: data
            group_by: [job]
            group_wait: 0s
      receivers:
        - name: oncall
        - name: data
      inhibit_rules:
        - source_matchers: [severity="critical"]
          target_matchers: [severity="warning"]
          equal: [service]
      """;

  @TempDir Path dir;
  private final FiringAlerts firing = new FiringAlerts();
  private final Silences silences = new Silences();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> live;
  private TestInputTopic<byte[], byte[]> runs;
  private TestOutputTopic<String, byte[]> alerts;
  private TestOutputTopic<String, byte[]> queue;
  private TestOutputTopic<byte[], byte[]> dlq;

  private void start(String routing) {
    AlertmanagerConfig config = AlertmanagerConfig.parse(routing, "alertmanager.yml");
    Muting muting =
        new Muting(
            new Inhibitor(config.inhibitRules()),
            firing,
            silences,
            Clock.fixed(WALL, ZoneOffset.UTC));
    AlertingConfig settings =
        AlertingConfig.of(
                KafkaSettings.of("127.0.0.1:1"),
                List.of(dir.resolve("rules.yaml")),
                dir.resolve("alertmanager.yml"),
                null,
                null,
                null)
            .withStateDir(dir.resolve("state"));
    driver =
        new TopologyTestDriver(
            AlertingTopology.build(
                new AlertEvaluator(RuleLoader.parse(RULES, "rules.yaml"), "http://vigil:8890"),
                new Dispatcher(config),
                muting,
                new AlertingMetrics(new PrometheusRegistry(), firing::size)),
            AlertingService.streamsProperties(settings),
            WALL);
    ByteArraySerializer bytes = new ByteArraySerializer();
    live = driver.createInputTopic(Topics.SIGNALS_LIVE, bytes, bytes);
    runs = driver.createInputTopic(Topics.PIPELINE_RUNS, bytes, bytes);
    alerts =
        driver.createOutputTopic(
            Topics.ALERTS, new StringDeserializer(), new ByteArrayDeserializer());
    queue =
        driver.createOutputTopic(
            Topics.NOTIFICATION_QUEUE, new StringDeserializer(), new ByteArrayDeserializer());
    dlq =
        driver.createOutputTopic(
            Topics.DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  private void send(GoldenSignal signal) throws Exception {
    live.pipeInput(
        signal.seriesKey().getBytes(StandardCharsets.UTF_8),
        Json.mapper().writeValueAsBytes(signal),
        signal.window().end());
  }

  /** The transitions written so far, folded into the firing view as the service's follower does. */
  private List<AlertTransition> transitions() {
    List<AlertTransition> out =
        alerts.readValuesToList().stream()
            .map(v -> JsonSerde.of(AlertTransition.class).deserializer().deserialize("t", v))
            .toList();
    out.forEach(firing::apply);
    return out;
  }

  private List<Notification> notifications() {
    return queue.readRecordsToList().stream()
        .map(TestRecord::value)
        .map(v -> JsonSerde.of(Notification.class).deserializer().deserialize("q", v))
        .toList();
  }

  @Test
  void alertsOfOneNameWaitForGroupWaitAndGoOutAsOneNotification() throws Exception {
    start(ROUTING);
    send(Signals.errorRatio("checkout", 0, 0.2));
    send(Signals.errorRatio("cart", 0, 0.3));
    assertThat(transitions())
        .filteredOn(t -> t.rule().equals("HighErrorRatio"))
        .extracting(AlertTransition::state)
        .containsExactly(AlertTransition.State.FIRING, AlertTransition.State.FIRING);

    driver.advanceWallClockTime(Duration.ofSeconds(29));
    assertThat(notifications()).as("group_wait not over").isEmpty();
    driver.advanceWallClockTime(Duration.ofSeconds(1));

    List<Notification> out = notifications();
    Notification high =
        out.stream().filter(n -> n.groupLabels().containsValue("HighErrorRatio")).findFirst().get();
    assertThat(high.receiver()).isEqualTo("oncall");
    assertThat(high.title()).startsWith("[FIRING:2] HighErrorRatio");
    assertThat(high.alerts())
        .extracting(a -> a.labels().get("service"))
        .containsExactlyInAnyOrder("cart", "checkout");
  }

  @Test
  void aCriticalAlertInhibitsTheWarningOfTheSameService() throws Exception {
    start(ROUTING);
    send(Signals.errorRatio("checkout", 0, 0.2)); // critical and warning
    send(Signals.errorRatio("cart", 0, 0.03)); // warning only
    transitions();

    driver.advanceWallClockTime(Duration.ofSeconds(30));

    List<Notification> some =
        notifications().stream().filter(n -> n.groupLabels().containsValue("SomeErrors")).toList();
    assertThat(some)
        .singleElement()
        .satisfies(
            n ->
                assertThat(n.alerts())
                    .extracting(a -> a.labels().get("service"))
                    .as("checkout's warning is inhibited by its critical")
                    .containsExactly("cart"));
  }

  @Test
  void resolvedGoesOutAfterGroupIntervalAndOnlyForWhatWasNotified() throws Exception {
    start(ROUTING);
    send(Signals.errorRatio("checkout", 0, 0.2));
    transitions();
    driver.advanceWallClockTime(Duration.ofSeconds(30));
    assertThat(notifications())
        .as("SomeErrors has only checkout's inhibited warning: nothing to say")
        .singleElement()
        .satisfies(n -> assertThat(n.title()).startsWith("[FIRING:1] HighErrorRatio"));

    send(Signals.errorRatio("checkout", 10, 0.0));
    assertThat(transitions())
        .extracting(AlertTransition::state)
        .containsOnly(AlertTransition.State.RESOLVED);
    driver.advanceWallClockTime(Duration.ofSeconds(59));
    assertThat(notifications()).as("group_interval not over").isEmpty();
    driver.advanceWallClockTime(Duration.ofSeconds(1));

    assertThat(notifications())
        .singleElement()
        .satisfies(
            n -> {
              assertThat(n.title()).startsWith("[RESOLVED] HighErrorRatio");
              assertThat(n.resolved()).hasSize(1);
            });
    driver.advanceWallClockTime(Duration.ofHours(2));
    assertThat(notifications()).as("nothing left to repeat").isEmpty();
  }

  @Test
  void anAlertThatResolvesWithinGroupWaitNotifiesNobody() throws Exception {
    start(ROUTING);
    send(Signals.errorRatio("checkout", 0, 0.2));
    send(Signals.errorRatio("checkout", 10, 0.0));

    driver.advanceWallClockTime(Duration.ofMinutes(5));

    assertThat(notifications()).isEmpty();
  }

  @Test
  void firingGroupsRepeatAfterRepeatInterval() throws Exception {
    start(ROUTING);
    send(Signals.errorRatio("checkout", 0, 0.2));
    driver.advanceWallClockTime(Duration.ofSeconds(30));
    assertThat(notifications()).isNotEmpty();

    driver.advanceWallClockTime(Duration.ofMinutes(59));
    assertThat(notifications()).isEmpty();
    driver.advanceWallClockTime(Duration.ofMinutes(2));

    assertThat(notifications())
        .filteredOn(n -> n.groupLabels().containsValue("HighErrorRatio"))
        .singleElement()
        .satisfies(n -> assertThat(n.title()).startsWith("[FIRING:1] HighErrorRatio"));
  }

  @Test
  void aFailedPipelineRunIsRoutedToTheDataTeamAtOnce() throws Exception {
    start(ROUTING);
    Instant at = Signals.T0;
    PipelineRun failed =
        new PipelineRun(
            at,
            PipelineRun.RUN,
            new PipelineRun.Job("dbt", "orders"),
            new PipelineRun.Run("r1", null, null),
            "failed",
            at.minusSeconds(60),
            at,
            60.0,
            null,
            null,
            null,
            null);
    runs.pipeInput(
        "dbt/orders".getBytes(StandardCharsets.UTF_8), Json.mapper().writeValueAsBytes(failed), at);

    assertThat(notifications())
        .singleElement()
        .satisfies(
            n -> {
              assertThat(n.receiver()).isEqualTo("data");
              assertThat(n.groupLabels()).containsEntry("job", "orders");
              assertThat(n.alerts())
                  .singleElement()
                  .satisfies(a -> assertThat(a.labels()).containsEntry("job_namespace", "dbt"));
            });
  }

  @Test
  void unreadableRecordsGoToTheDeadLetterTopicWithTheirReason() throws Exception {
    start(ROUTING);
    live.pipeInput(
        "k".getBytes(StandardCharsets.UTF_8), "{not json".getBytes(StandardCharsets.UTF_8), WALL);
    runs.pipeInput(
        "k".getBytes(StandardCharsets.UTF_8),
        "{\"kind\":\"run\"}".getBytes(StandardCharsets.UTF_8),
        WALL);

    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead)
        .extracting(
            r ->
                new String(
                    r.headers().lastHeader(Topics.DLQ_REASON_HEADER).value(),
                    StandardCharsets.UTF_8))
        .satisfiesExactly(
            reason -> assertThat(reason).startsWith("invalid_signal"),
            reason -> assertThat(reason).startsWith("invalid_pipeline_run").contains("@timestamp"));
    assertThat(alerts.isEmpty()).isTrue();
  }

  private static Silence silence(String service, Instant endsAt) {
    return new Silence(
        "s1",
        List.of(new Silence.SilenceMatcher("service", service, false, true)),
        WALL.minusSeconds(3600),
        endsAt,
        "alice",
        "deploying " + service,
        WALL);
  }

  @Test
  void aSilencedAlertIsLeftOutUntilTheSilenceEnds() throws Exception {
    start(ROUTING);
    silences.put(silence("cart", WALL.plusSeconds(3600)));
    send(Signals.errorRatio("checkout", 0, 0.2));
    send(Signals.errorRatio("cart", 0, 0.3));
    driver.advanceWallClockTime(Duration.ofSeconds(30));

    assertThat(notifications())
        .filteredOn(n -> n.groupLabels().containsValue("HighErrorRatio"))
        .singleElement()
        .satisfies(
            n ->
                assertThat(n.alerts())
                    .extracting(a -> a.labels().get("service"))
                    .containsExactly("checkout"));

    silences.put(silence("cart", WALL)); // expired (the muting clock stands at WALL)
    driver.advanceWallClockTime(Duration.ofMinutes(1));

    assertThat(notifications())
        .filteredOn(n -> n.groupLabels().containsValue("HighErrorRatio"))
        .singleElement()
        .satisfies(n -> assertThat(n.title()).startsWith("[FIRING:2] HighErrorRatio"));
  }

  @Test
  void aPostedAlertIsDispatchedAndResolvesWhenItsEndPasses() throws Exception {
    start(ROUTING);
    TestInputTopic<byte[], byte[]> external =
        driver.createInputTopic(
            Topics.ALERTS_EXTERNAL, new ByteArraySerializer(), new ByteArraySerializer());
    AlertTransition posted =
        PostedAlerts.parse(
                "[{\"labels\":{\"alertname\":\"DiskRunningFull\",\"instance\":\"db1\"}}]"
                    .getBytes(StandardCharsets.UTF_8),
                WALL,
                Duration.ofMinutes(5))
            .get(0);
    external.pipeInput(
        posted.fingerprint().getBytes(StandardCharsets.UTF_8),
        Json.mapper().writeValueAsBytes(posted),
        WALL);
    assertThat(transitions()).as("recorded on vigil.alerts too").containsExactly(posted);

    driver.advanceWallClockTime(Duration.ofSeconds(30));
    assertThat(notifications())
        .singleElement()
        .satisfies(n -> assertThat(n.title()).startsWith("[FIRING:1] DiskRunningFull"));

    // Prometheus stopped sending it: past its endsAt (5 m), the next flush announces it resolved
    driver.advanceWallClockTime(Duration.ofMinutes(5));
    assertThat(notifications())
        .singleElement()
        .satisfies(n -> assertThat(n.title()).startsWith("[RESOLVED] DiskRunningFull"));
  }
}
