package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.dispatch.Dispatcher;
import io.vigil.alerting.dispatch.FiringAlerts;
import io.vigil.alerting.dispatch.Inhibitor;
import io.vigil.alerting.dispatch.Muting;
import io.vigil.alerting.dispatch.Silences;
import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.rules.AlertEvaluator;
import io.vigil.alerting.rules.AlertState;
import io.vigil.alerting.rules.LogEvaluateProcessor;
import io.vigil.alerting.rules.LogWindow;
import io.vigil.alerting.rules.RuleLoader;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.log.LogRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Log-pattern rules in the whole topology: lines of {@code vigil.logs} that match are counted over
 * the range, the rule fires after its {@code for}, and resolves on the wall clock once the lines
 * aged out — with no further line; the counts and states live in changelogged stores, so another
 * instance continues them; unreadable records go to the DLQ.
 */
class LogPatternsTopologyTest {
  private static final Instant WALL = Instant.parse("2026-12-03T05:00:00Z");
  private static final String STATES = AlertingTopology.LOGS_STORE;
  private static final String WINDOWS = LogEvaluateProcessor.windowsStore(STATES);

  private static final String RULES =
      """
      groups:
        - name: log-patterns
          rules:
            - alert: CheckoutOomOrRefused
              expr: >-
                count_over_time({service="checkout", level=~"error|fatal"}
                |~ "OutOfMemoryError|Connection refused" [5m]) > 3
              for: 30s
              labels: {severity: critical}
              annotations:
                summary: "{{ $labels.service }} in {{ $labels.namespace }}: {{ $value }} lines in 5m"
                line: "{{ $line }}"
      """;
  private static final String ROUTING =
      """
      route:
        receiver: oncall
      receivers:
        - name: oncall
      """;

  @TempDir Path dir;
  private final List<TopologyTestDriver> drivers = new ArrayList<>();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> logs;
  private TestOutputTopic<String, byte[]> alerts;
  private TestOutputTopic<byte[], byte[]> dlq;
  private TestOutputTopic<String, byte[]> statesLog;
  private TestOutputTopic<String, byte[]> windowsLog;
  private Instant wall;

  /** A new instance at wall clock {@code at}, its stores restored from the changelogs given. */
  private void start(
      String rules,
      Instant at,
      List<TestRecord<String, byte[]>> states,
      List<TestRecord<String, byte[]>> windows) {
    AlertmanagerConfig config = AlertmanagerConfig.parse(ROUTING, "alertmanager.yml");
    FiringAlerts firing = new FiringAlerts();
    Muting muting =
        new Muting(
            new Inhibitor(config.inhibitRules()),
            firing,
            new Silences(),
            Clock.fixed(at, ZoneOffset.UTC));
    AlertingConfig settings =
        AlertingConfig.of(
                KafkaSettings.of("127.0.0.1:1"),
                List.of(dir.resolve("rules.yaml")),
                dir.resolve("alertmanager.yml"),
                null,
                null,
                null)
            .withStateDir(dir.resolve("state-" + drivers.size()));
    driver =
        new TopologyTestDriver(
            AlertingTopology.build(
                new AlertEvaluator(RuleLoader.parse(rules, "rules.yaml"), "http://vigil:8890"),
                new Dispatcher(config),
                muting,
                new AlertingMetrics(new PrometheusRegistry(), firing::size)),
            AlertingService.streamsProperties(settings),
            at);
    drivers.add(driver);
    wall = at;
    ByteArraySerializer bytes = new ByteArraySerializer();
    logs = driver.createInputTopic(Topics.LOGS, bytes, bytes);
    alerts =
        driver.createOutputTopic(
            Topics.ALERTS, new StringDeserializer(), new ByteArrayDeserializer());
    dlq =
        driver.createOutputTopic(
            Topics.DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    statesLog = changelog(STATES);
    windowsLog = changelog(WINDOWS);
    if (driver.getAllStateStores().containsKey(STATES)) {
      KeyValueStore<String, AlertState> s = driver.getKeyValueStore(STATES);
      states.forEach(r -> restore(s, r, AlertState.class));
      KeyValueStore<String, LogWindow> w = driver.getKeyValueStore(WINDOWS);
      windows.forEach(r -> restore(w, r, LogWindow.class));
    }
    statesLog.readRecordsToList(); // what the restore itself wrote
    windowsLog.readRecordsToList();
  }

  private TestOutputTopic<String, byte[]> changelog(String store) {
    return driver.createOutputTopic(
        AlertingService.APPLICATION_ID + "-" + store + "-changelog",
        new StringDeserializer(),
        new ByteArrayDeserializer());
  }

  private static <V> void restore(
      KeyValueStore<String, V> store, TestRecord<String, byte[]> r, Class<V> type) {
    if (r.value() == null) {
      store.delete(r.key());
    } else {
      store.put(r.key(), JsonSerde.of(type).deserializer().deserialize("changelog", r.value()));
    }
  }

  @AfterEach
  void close() {
    drivers.forEach(TopologyTestDriver::close);
  }

  /** One log record as the processor writes it, keyed by service, stamped {@code at}. */
  private void log(String service, String level, String message, Instant at) {
    int severity = level.equals("error") ? 17 : level.equals("fatal") ? 21 : 9;
    LogRecord record =
        new LogRecord(
            at,
            "otlp_logs-0-" + at.toEpochMilli() + "-" + message.hashCode(),
            message,
            new LogRecord.Log(level),
            severity,
            new LogRecord.Service(service, "shop"),
            new LogRecord.Kubernetes(
                "shop", new LogRecord.Named(service + "-7f9c"), new LogRecord.Named("app"), null),
            new LogRecord.Orchestrator(new LogRecord.Named("c1")),
            null,
            null,
            null,
            Map.of());
    logs.pipeInput(
        service.getBytes(StandardCharsets.UTF_8),
        JsonSerde.of(LogRecord.class).serializer().serialize(Topics.LOGS, record),
        at.toEpochMilli());
  }

  /** Lets the wall clock run to {@code at} second by second, as the stream thread punctuates. */
  private void advanceTo(Instant at) {
    while (wall.isBefore(at)) {
      Duration step =
          Duration.between(wall, at).compareTo(Duration.ofSeconds(1)) < 0
              ? Duration.between(wall, at)
              : Duration.ofSeconds(1);
      driver.advanceWallClockTime(step);
      wall = wall.plus(step);
    }
  }

  private List<AlertTransition> transitions() {
    return alerts.readValuesToList().stream()
        .map(v -> JsonSerde.of(AlertTransition.class).deserializer().deserialize("t", v))
        .toList();
  }

  /** Four matching lines by 10 s, among lines that do not count; pending from then. */
  private void fourMatchingLinesBy10s() {
    start(RULES, WALL, List.of(), List.of());
    log("checkout", "error", "java.lang.OutOfMemoryError: Java heap space", WALL);
    log("checkout", "fatal", "java.lang.OutOfMemoryError: Metaspace", WALL);
    log("checkout", "error", "GET /cart failed: timeout", WALL); // no pattern
    log("checkout", "info", "retry after Connection refused", WALL); // level not selected
    log("cart", "error", "Connection refused", WALL); // another service
    advanceTo(WALL.plusSeconds(10));
    log("checkout", "error", "db: Connection refused", WALL.plusSeconds(9));
    assertThat(transitions()).as("3 lines: not above 3").isEmpty();
    log("checkout", "error", "payments: Connection refused (port 8443)", WALL.plusSeconds(10));
  }

  @Test
  void countsMatchingLinesFiresAfterForAndResolvesOnTheWallClockWithoutNewLines() {
    fourMatchingLinesBy10s();
    advanceTo(WALL.plusSeconds(39));
    assertThat(transitions()).as("pending: 29 s of the 30 s `for`").isEmpty();

    advanceTo(WALL.plusSeconds(40));
    assertThat(transitions())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo(AlertTransition.State.FIRING);
              assertThat(t.rule()).isEqualTo("CheckoutOomOrRefused");
              assertThat(t.startsAt()).isEqualTo(WALL.plusSeconds(40));
              assertThat(t.value()).isEqualTo(4.0);
              assertThat(t.labels())
                  .containsExactlyInAnyOrderEntriesOf(
                      Map.of(
                          "alertname", "CheckoutOomOrRefused",
                          "cluster", "c1",
                          "namespace", "shop",
                          "service", "checkout",
                          "severity", "critical"));
              assertThat(t.annotations())
                  .containsEntry("summary", "checkout in shop: 4 lines in 5m")
                  .containsEntry("line", "payments: Connection refused (port 8443)");
            });

    // No line arrives any more. The two at 0 s age out at 5 m 5 s (their 5 s slot): 2 left.
    advanceTo(WALL.plusSeconds(304));
    assertThat(transitions()).as("still 4 lines in the range").isEmpty();
    advanceTo(WALL.plusSeconds(305));
    assertThat(transitions())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo(AlertTransition.State.RESOLVED);
              assertThat(t.endsAt()).isEqualTo(WALL.plusSeconds(305));
              assertThat(t.value()).isEqualTo(2.0);
            });
    advanceTo(WALL.plusSeconds(320));
    assertThat(driver.<String, LogWindow>getKeyValueStore(WINDOWS).approximateNumEntries())
        .as("forgotten once nothing counts")
        .isZero();
    assertThat(transitions()).isEmpty();
  }

  @Test
  void anotherInstanceContinuesTheCountsAndTheAlertFromTheChangelogs() {
    fourMatchingLinesBy10s();
    advanceTo(WALL.plusSeconds(40));
    assertThat(transitions())
        .extracting(AlertTransition::state)
        .containsExactly(AlertTransition.State.FIRING);
    List<TestRecord<String, byte[]>> states = statesLog.readRecordsToList();
    List<TestRecord<String, byte[]>> windows = windowsLog.readRecordsToList();
    assertThat(windows)
        .as("only matching lines are written: one window, four writes")
        .hasSize(4)
        .allSatisfy(r -> assertThat(r.value()).hasSizeLessThan(600));

    start(RULES, WALL.plusSeconds(41), states, windows);
    log("checkout", "error", "db: Connection refused", WALL.plusSeconds(60));
    advanceTo(WALL.plusSeconds(304));
    assertThat(transitions()).as("firing already, so not again: 5 lines").isEmpty();
    advanceTo(WALL.plusSeconds(305)); // the two lines of 0 s age out: 3 left, counted before
    assertThat(transitions())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo(AlertTransition.State.RESOLVED);
              assertThat(t.startsAt()).isEqualTo(WALL.plusSeconds(40));
              assertThat(t.endsAt()).isEqualTo(WALL.plusSeconds(305));
              assertThat(t.value()).isEqualTo(3.0);
            });
  }

  @Test
  void unreadableLogRecordsGoToTheDeadLetterTopicWithTheirReason() {
    start(RULES, WALL, List.of(), List.of());
    logs.pipeInput(
        "checkout".getBytes(StandardCharsets.UTF_8),
        "{not json".getBytes(StandardCharsets.UTF_8),
        WALL.toEpochMilli());
    logs.pipeInput(
        "checkout".getBytes(StandardCharsets.UTF_8),
        "{\"@timestamp\":\"2026-12-03T05:00:00Z\",\"id\":\"x\",\"message\":\"oom\"}"
            .getBytes(StandardCharsets.UTF_8),
        WALL.toEpochMilli());
    log("checkout", "error", "Connection refused", WALL);

    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead)
        .extracting(r -> header(r, Topics.DLQ_REASON_HEADER))
        .satisfiesExactly(
            reason -> assertThat(reason).startsWith("invalid_log"),
            reason -> assertThat(reason).startsWith("invalid_log").contains("service"));
    assertThat(dead)
        .extracting(r -> header(r, Topics.DLQ_SOURCE_TOPIC_HEADER))
        .containsOnly(Topics.LOGS);
    assertThat(driver.<String, LogWindow>getKeyValueStore(WINDOWS).approximateNumEntries())
        .as("the good line after them is counted")
        .isEqualTo(1);
  }

  @Test
  void withoutLogPatternRulesVigilLogsIsNotRead() {
    start(
        """
        groups:
          - name: g
            rules:
              - alert: HighErrorRatio
                expr: errors.ratio > 0.05
        """,
        WALL,
        List.of(),
        List.of());

    assertThat(driver.getAllStateStores()).doesNotContainKeys(STATES, WINDOWS);
    assertThat(
            AlertingTopology.build(
                    new AlertEvaluator(RuleLoader.parse(RULES, "rules.yaml"), ""),
                    new Dispatcher(AlertmanagerConfig.parse(ROUTING, "alertmanager.yml")),
                    () -> a -> false,
                    new AlertingMetrics(new PrometheusRegistry(), () -> 0))
                .describe()
                .toString())
        .contains(Topics.LOGS);
  }

  private static String header(TestRecord<byte[], byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
