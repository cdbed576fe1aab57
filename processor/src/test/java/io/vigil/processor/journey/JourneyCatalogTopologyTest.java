package io.vigil.processor.journey;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.model.Topics;
import io.vigil.model.catalog.CatalogEntry;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.processor.PipelineSettings;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorMetrics;
import io.vigil.processor.TopologyTests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journey with a catalog on {@code vigil.catalog}: SLA, overdue, freshness target, team. */
class JourneyCatalogTopologyTest {
  private static final Instant T0 = Instant.parse("2024-11-26T14:00:00Z");

  /** nightly: 10 min expected, fresh within 5 min, owned by data (tier 1). */
  private static final CatalogEntry NIGHTLY =
      new CatalogEntry("job", "demo", "nightly", "data", "1", 600.0, 300.0);

  @TempDir Path stateDir;

  private final ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private TopologyTestDriver driver;
  private Instant wallClock = T0;
  private TestInputTopic<byte[], byte[]> lineage;
  private TestInputTopic<String, byte[]> catalog;
  private TestOutputTopic<byte[], byte[]> runs;

  @BeforeEach
  void startDriver() {
    ProcessorConfig config =
        new ProcessorConfig(
            null,
            "vigil-test",
            stateDir.toString(),
            null,
            null,
            null,
            null,
            new PipelineSettings(Duration.ofHours(1), Duration.ofMinutes(1)),
            null,
            null);
    Properties props = TopologyTests.props(config, metrics, TopologyTests.dlqProducer());
    driver = new TopologyTestDriver(JourneyTopology.build(config, metrics), props, T0);
    lineage =
        driver.createInputTopic(
            Topics.LINEAGE, new ByteArraySerializer(), new ByteArraySerializer());
    catalog =
        driver.createInputTopic(Topics.CATALOG, new StringSerializer(), new ByteArraySerializer());
    // Read as raw JSON: what a consumer of the topic sees, field names included.
    runs =
        driver.createOutputTopic(
            Topics.PIPELINE_RUNS, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  @Test
  void aRunLongerThanItsExpectedDurationBreachesItsSla() throws Exception {
    put(NIGHTLY);
    send(event("START", T0.minus(Duration.ofMinutes(15)), "slow", "nightly"));
    send(event("COMPLETE", T0, "slow", "nightly"));
    send(event("START", T0, "quick", "nightly"));
    send(event("FAIL", T0.plus(Duration.ofMinutes(5)), "quick", "nightly"));

    List<JsonNode> out = json(runRecords());
    assertThat(out)
        .extracting(r -> r.get("run").get("id").asText() + " " + r.get("state").asText())
        .containsExactly("slow running", "slow complete", "quick running", "quick failed");
    JsonNode slow = out.get(1);
    assertThat(slow.get("duration_s").asDouble()).isEqualTo(900.0);
    assertThat(slow.at("/sla/expected_duration_s").asDouble()).isEqualTo(600.0);
    assertThat(slow.at("/sla/breached").asBoolean()).isTrue();
    assertThat(slow.get("team").asText()).isEqualTo("data");
    assertThat(slow.get("tier").asText()).isEqualTo("1");
    JsonNode quick = out.get(3);
    assertThat(quick.at("/sla/breached").isBoolean()).isTrue();
    assertThat(quick.at("/sla/breached").asBoolean()).as("5 min of 10").isFalse();
    JsonNode running = out.get(0);
    assertThat(running.at("/sla/expected_duration_s").asDouble()).isEqualTo(600.0);
    assertThat(running.at("/sla").has("breached")).as("no verdict before the end").isFalse();
    assertThat(running.get("team").asText()).isEqualTo("data");
  }

  @Test
  void aJobOutsideTheCatalogKeepsItsRecordsAsTheyWere() throws Exception {
    put(NIGHTLY);
    send(event("START", T0.minus(Duration.ofHours(2)), "r1", "hourly"));
    send(event("COMPLETE", T0, "r1", "hourly"));

    JsonNode complete = json(runRecords()).get(1);
    assertThat(complete.get("state").asText()).isEqualTo("complete");
    assertThat(complete.has("sla")).isFalse();
    assertThat(complete.has("team")).isFalse();
    assertThat(complete.has("tier")).isFalse();
  }

  @Test
  void aRunIsOverdueAfterItsJobsExpectedDurationRatherThanTheGlobalOne() throws Exception {
    put(NIGHTLY);
    send(event("START", T0, "long", "nightly"));
    send(event("START", T0, "other", "hourly")); // no catalog entry: overdue_after (1 h)
    runRecords();

    clockTo(T0.plus(Duration.ofMinutes(9)));
    assertThat(runRecords()).isEmpty();
    clockTo(T0.plus(Duration.ofMinutes(11)));
    List<JsonNode> overdue = json(runRecords());
    assertThat(overdue).hasSize(1);
    assertThat(overdue.get(0).at("/job/name").asText()).isEqualTo("nightly");
    assertThat(overdue.get(0).get("state").asText()).isEqualTo("overdue");
    assertThat(overdue.get(0).get("duration_s").asDouble()).isEqualTo(11 * 60.0);
    assertThat(overdue.get(0).at("/sla/breached").asBoolean()).isTrue();
    assertThat(overdue.get(0).get("team").asText()).isEqualTo("data");

    clockTo(T0.plus(Duration.ofMinutes(61)));
    List<JsonNode> later = json(runRecords());
    assertThat(later)
        .extracting(r -> r.at("/job/name").asText())
        .as("nightly reported once; hourly at the global overdue_after")
        .containsExactly("hourly");
    assertThat(later.get(0).has("sla")).isFalse();
  }

  @Test
  void freshnessRecordsCarryTheTargetAndWhetherItWasMissed() throws Exception {
    put(NIGHTLY);
    send(event("START", T0.minusSeconds(30), "r1", "nightly"));
    send(event("COMPLETE", T0, "r1", "nightly"));
    runs.readRecordsToList();

    clockTo(T0.plus(Duration.ofMinutes(4)));
    JsonNode fresh = lastFreshness();
    assertThat(fresh.at("/freshness/age_s").asDouble()).isEqualTo(240.0);
    assertThat(fresh.at("/freshness/target_s").asDouble()).isEqualTo(300.0);
    assertThat(fresh.at("/freshness/stale").asBoolean()).isFalse();
    assertThat(fresh.get("team").asText()).isEqualTo("data");
    assertThat(fresh.get("tier").asText()).isEqualTo("1");

    clockTo(T0.plus(Duration.ofMinutes(6)));
    JsonNode stale = lastFreshness();
    assertThat(stale.at("/freshness/age_s").asDouble()).isEqualTo(360.0);
    assertThat(stale.at("/freshness/stale").asBoolean()).isTrue();
  }

  @Test
  void aJobThatNeverSucceededIsStaleOnceKnownForLongerThanItsTarget() throws Exception {
    put(NIGHTLY);
    send(event("START", T0, "r1", "nightly"));
    send(event("FAIL", T0.plusSeconds(10), "r1", "nightly"));
    runs.readRecordsToList();

    clockTo(T0.plus(Duration.ofMinutes(4)));
    assertThat(lastFreshness().at("/freshness/stale").asBoolean()).isFalse();
    clockTo(T0.plus(Duration.ofMinutes(6)));
    JsonNode stale = lastFreshness();
    assertThat(stale.at("/freshness").has("last_success")).isFalse();
    assertThat(stale.at("/freshness").has("age_s")).isFalse();
    assertThat(stale.at("/freshness/stale").asBoolean()).isTrue();
  }

  @Test
  void aCatalogChangeOrRemovalAppliesToTheNextRecords() throws Exception {
    put(NIGHTLY);
    send(event("START", T0, "r1", "nightly"));
    put(new CatalogEntry("job", "demo", "nightly", "platform", null, 3600.0, null));
    send(event("COMPLETE", T0.plus(Duration.ofMinutes(30)), "r1", "nightly"));
    catalog.pipeInput(new TestRecord<>(CatalogEntry.jobKey("demo", "nightly"), null, wallClock));
    send(event("START", T0.plus(Duration.ofMinutes(40)), "r2", "nightly"));

    List<JsonNode> out = json(runRecords());
    assertThat(out.get(0).get("team").asText()).isEqualTo("data");
    JsonNode complete = out.get(1);
    assertThat(complete.get("team").asText()).isEqualTo("platform");
    assertThat(complete.has("tier")).isFalse();
    assertThat(complete.at("/sla/expected_duration_s").asDouble()).isEqualTo(3600.0);
    assertThat(complete.at("/sla/breached").asBoolean()).isFalse();
    JsonNode afterTombstone = out.get(2);
    assertThat(afterTombstone.has("team")).isFalse();
    assertThat(afterTombstone.has("sla")).isFalse();
  }

  @Test
  void anUnreadableCatalogEntryCountsAsAbsentAndStopsNothing() throws Exception {
    catalog.pipeInput(
        new TestRecord<>(
            CatalogEntry.jobKey("demo", "nightly"),
            "{not json".getBytes(StandardCharsets.UTF_8),
            wallClock));
    send(event("START", T0, "r1", "nightly"));

    List<JsonNode> out = json(runRecords());
    assertThat(out).hasSize(1);
    assertThat(out.get(0).has("team")).isFalse();
    assertThat(metrics.recordsRejected("invalid_catalog_entry")).isPositive();

    put(NIGHTLY);
    send(event("COMPLETE", T0.plus(Duration.ofMinutes(1)), "r1", "nightly"));
    assertThat(json(runRecords()).get(0).get("team").asText()).isEqualTo("data");
  }

  private void put(CatalogEntry entry) {
    catalog.pipeInput(
        new TestRecord<>(
            entry.key(),
            JsonSerde.of(CatalogEntry.class).serializer().serialize(Topics.CATALOG, entry),
            wallClock));
  }

  private void clockTo(Instant at) {
    if (at.isAfter(wallClock)) {
      driver.advanceWallClockTime(Duration.between(wallClock, at));
      wallClock = at;
    }
  }

  private void send(byte[] event) {
    lineage.pipeInput(new TestRecord<>(null, event, wallClock));
  }

  private List<byte[]> runRecords() throws Exception {
    return runs.readValuesToList().stream().filter(v -> kind(v).equals(PipelineRun.RUN)).toList();
  }

  private JsonNode lastFreshness() throws Exception {
    List<byte[]> freshness =
        runs.readValuesToList().stream()
            .filter(v -> kind(v).equals(PipelineRun.FRESHNESS))
            .toList();
    assertThat(freshness).isNotEmpty();
    return Json.mapper().readTree(freshness.get(freshness.size() - 1));
  }

  private static String kind(byte[] value) {
    try {
      return Json.mapper().readTree(value).get("kind").asText();
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  private static List<JsonNode> json(List<byte[]> values) throws Exception {
    List<JsonNode> out = new java.util.ArrayList<>();
    for (byte[] v : values) {
      out.add(Json.mapper().readTree(v));
    }
    return out;
  }

  private static byte[] event(String type, Instant at, String runId, String job) {
    return ("{\"eventType\":\"%s\",\"eventTime\":\"%s\",\"run\":{\"runId\":\"%s\"},"
            + "\"job\":{\"namespace\":\"demo\",\"name\":\"%s\"}}")
        .formatted(type, at, runId, job)
        .getBytes(StandardCharsets.UTF_8);
  }
}
