package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.dispatch.Dispatcher;
import io.vigil.alerting.dispatch.FiringAlerts;
import io.vigil.alerting.dispatch.Inhibitor;
import io.vigil.alerting.dispatch.Muting;
import io.vigil.alerting.dispatch.Silences;
import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.rules.AlertEvaluator;
import io.vigil.alerting.rules.EvaluateProcessor;
import io.vigil.alerting.rules.Learned;
import io.vigil.alerting.rules.RuleLoader;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.kafka.KafkaSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What rules learn lives in the learned store and its changelog: a topology restarted from that
 * changelog (what Kafka Streams restores on a restart or a rebalance) continues where the last one
 * stopped, and one without it starts over.
 */
class LearnedStateTopologyTest {
  private static final Instant WALL = Instant.parse("2026-03-02T12:00:00Z");
  private static final Instant T0 = WALL.minus(Duration.ofHours(3));
  private static final String STORE =
      EvaluateProcessor.learnedStore(AlertingTopology.SIGNALS_STORE);
  private static final String CHANGELOG =
      AlertingService.APPLICATION_ID + "-" + STORE + "-changelog";

  private static final String RULES =
      """
      groups:
        - name: learned
          rules:
            - alert: PodMemoryFullIn1h
              expr: predict_linear(saturation.memory_utilization{pod!=""}[1h], 1h) > 1
              labels: {severity: warning}
            - alert: TrafficFarBelowUsual
              expr: anomaly(traffic.rate_per_s, season=none, warmup=10m, min_samples=5) < -4
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
  private TestInputTopic<byte[], byte[]> live;
  private TestOutputTopic<String, byte[]> alerts;
  private TestOutputTopic<String, byte[]> changelog;
  private TestOutputTopic<byte[], byte[]> dlq;

  /**
   * A fresh topology, as a new instance would start; its learned store restored from {@code log}.
   */
  private void start(List<TestRecord<String, byte[]>> log) {
    AlertmanagerConfig config = AlertmanagerConfig.parse(ROUTING, "alertmanager.yml");
    FiringAlerts firing = new FiringAlerts();
    Muting muting =
        new Muting(
            new Inhibitor(config.inhibitRules()),
            firing,
            new Silences(),
            Clock.fixed(WALL, ZoneOffset.UTC));
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
                new AlertEvaluator(RuleLoader.parse(RULES, "rules.yaml"), "http://vigil:8890"),
                new Dispatcher(config),
                muting,
                new AlertingMetrics(new PrometheusRegistry(), firing::size)),
            AlertingService.streamsProperties(settings),
            WALL);
    drivers.add(driver);
    ByteArraySerializer bytes = new ByteArraySerializer();
    live = driver.createInputTopic(Topics.SIGNALS_LIVE, bytes, bytes);
    alerts =
        driver.createOutputTopic(
            Topics.ALERTS, new StringDeserializer(), new ByteArrayDeserializer());
    changelog =
        driver.createOutputTopic(CHANGELOG, new StringDeserializer(), new ByteArrayDeserializer());
    dlq =
        driver.createOutputTopic(
            Topics.DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    KeyValueStore<String, Learned> store = driver.getKeyValueStore(STORE);
    for (TestRecord<String, byte[]> r : log) {
      if (r.value() == null) {
        store.delete(r.key());
      } else {
        store.put(
            r.key(), JsonSerde.of(Learned.class).deserializer().deserialize(CHANGELOG, r.value()));
      }
    }
    changelog.readRecordsToList(); // what the restore itself wrote
  }

  @AfterEach
  void close() {
    drivers.forEach(TopologyTestDriver::close);
  }

  private void send(ObjectNode signal, Instant end) throws Exception {
    ObjectNode window = signal.putObject("window");
    window.put("start", end.minusSeconds(10).toString());
    window.put("end", end.toString());
    window.put("seconds", 10);
    live.pipeInput(
        "key".getBytes(StandardCharsets.UTF_8),
        Json.mapper().writeValueAsBytes(signal),
        end.toEpochMilli());
  }

  /** A pod's memory record, as the processor writes it. */
  private void podMemory(String pod, Instant at, double utilization) throws Exception {
    ObjectNode signal = Json.mapper().createObjectNode();
    signal.put("cluster", "c1").put("namespace", "shop").put("service", "checkout");
    signal.put("node", "worker-1").put("pod", pod);
    signal.putObject("saturation").put("memory_utilization", utilization);
    send(signal, at);
  }

  private void traffic(Instant at, double rate) throws Exception {
    ObjectNode signal = Json.mapper().createObjectNode();
    signal.put("cluster", "c1").put("namespace", "shop").put("service", "checkout");
    signal.putObject("traffic").put("requests", Math.round(rate * 10)).put("rate_per_s", rate);
    signal.putObject("errors").put("count", 0).put("ratio", 0.0);
    send(signal, at);
  }

  private List<AlertTransition> transitions() {
    return alerts.readValuesToList().stream()
        .map(v -> JsonSerde.of(AlertTransition.class).deserializer().deserialize("t", v))
        .toList();
  }

  private List<String> learnedKeys() {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, Learned> all =
        driver.<String, Learned>getKeyValueStore(STORE).all()) {
      all.forEachRemaining((KeyValue<String, Learned> kv) -> keys.add(kv.key));
    }
    return keys;
  }

  @Test
  void aPredictionContinuesFromTheChangelogAfterARestart() throws Exception {
    start(List.of());
    // 30 % and one point more a minute, for 25 minutes: too short a history to predict from
    for (int minute = 0; minute <= 25; minute++) {
      podMemory("checkout-1", T0.plusSeconds(60L * minute), 0.30 + 0.01 * minute);
    }
    live.pipeInput(
        "key".getBytes(StandardCharsets.UTF_8), "{not json".getBytes(StandardCharsets.UTF_8));
    assertThat(transitions()).isEmpty();
    assertThat(dlq.readRecordsToList()).as("the corrupt record").hasSize(1);
    List<TestRecord<String, byte[]>> log = changelog.readRecordsToList();
    assertThat(log)
        .as("one small entry per slot of a minute")
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r.value()).hasSizeLessThan(200));

    List<AlertTransition> restarted = continuePodMemory(log);
    List<AlertTransition> forgetful = continuePodMemory(List.of());

    assertThat(restarted)
        .as("30 minutes of history at minute 30: 60 % now, 120 % in an hour")
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.rule()).isEqualTo("PodMemoryFullIn1h");
              assertThat(t.state()).isEqualTo(AlertTransition.State.FIRING);
              assertThat(t.startsAt()).isEqualTo(T0.plusSeconds(30 * 60));
              assertThat(t.value()).isCloseTo(1.2, within(1e-9));
              assertThat(t.labels()).containsEntry("pod", "checkout-1");
            });
    assertThat(forgetful).as("without the changelog: 4 minutes of history").isEmpty();
  }

  /** A new instance, its store restored from {@code log}, gets minutes 26 to 30 of the leak. */
  private List<AlertTransition> continuePodMemory(List<TestRecord<String, byte[]>> log)
      throws Exception {
    start(log);
    for (int minute = 26; minute <= 30; minute++) {
      podMemory("checkout-1", T0.plusSeconds(60L * minute), 0.30 + 0.01 * minute);
    }
    return transitions();
  }

  @Test
  void anAnomalyBaselineContinuesFromTheChangelogAfterARestart() throws Exception {
    start(List.of());
    for (int s = 0; s <= 600; s += 10) {
      traffic(T0.plusSeconds(s), s % 20 == 0 ? 98 : 102);
    }
    assertThat(transitions()).isEmpty();
    List<TestRecord<String, byte[]>> log = changelog.readRecordsToList();

    start(log);
    traffic(T0.plusSeconds(610), 10);
    List<AlertTransition> restarted = transitions();
    start(List.of());
    traffic(T0.plusSeconds(610), 10);
    List<AlertTransition> forgetful = transitions();

    assertThat(restarted)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.rule()).isEqualTo("TrafficFarBelowUsual");
              assertThat(t.value()).as("(10 - 100) / 2").isCloseTo(-45, within(0.5));
            });
    assertThat(forgetful).as("a baseline of one sample is still warming up").isEmpty();
  }

  @Test
  void forgetsWhatASeriesThatWentAwayTaughtButNotOnTheWordOfAClockInTheFuture() throws Exception {
    start(List.of());
    for (int minute = 0; minute <= 10; minute++) {
      podMemory("gone", T0.plusSeconds(60L * minute), 0.5);
      podMemory("stays", T0.plusSeconds(60L * minute), 0.5);
    }
    podMemory("stays", T0.plus(Duration.ofMinutes(150)), 0.5);
    podMemory("skewed", WALL.plus(Duration.ofDays(30)), 0.5);
    assertThat(learnedKeys()).anyMatch(k -> k.contains("/gone"));

    driver.advanceWallClockTime(Duration.ofMinutes(10));

    List<String> left = learnedKeys();
    assertThat(left).noneMatch(k -> k.contains("/gone")).anyMatch(k -> k.contains("/stays"));
    assertThat(left)
        .as("retention counts from the wall clock when a sample claims to be from the future")
        .anyMatch(k -> k.contains("/skewed"));
    assertThat(changelog.readRecordsToList())
        .as("forgetting is written to the changelog too")
        .anySatisfy(r -> assertThat(r.value()).isNull());
  }
}
