package io.vigil.processor.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import io.openlineage.client.OpenLineage;
import io.openlineage.client.OpenLineageClientUtils;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.processor.PipelineSettings;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorMetrics;
import io.vigil.processor.TopologyTests;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JourneyTopologyTest {
  /** The Airflow fixtures' day; the wall clock starts an hour later. */
  private static final Instant T0 = Instant.parse("2024-11-26T14:00:00Z");

  @TempDir Path stateDir;

  private final ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private TopologyTestDriver driver;
  private Instant wallClock = T0;
  private TestInputTopic<byte[], byte[]> lineage;
  private TestOutputTopic<String, PipelineRun> runs;
  private TestOutputTopic<byte[], byte[]> dlq;

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
    runs =
        driver.createOutputTopic(
            Topics.PIPELINE_RUNS,
            new StringDeserializer(),
            JsonSerde.of(PipelineRun.class).deserializer());
    dlq =
        driver.createOutputTopic(
            Topics.DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
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

  private static byte[] fixture(String name) throws IOException {
    try (InputStream in =
        JourneyTopologyTest.class.getResourceAsStream("/fixtures/openlineage/" + name)) {
      return in.readAllBytes();
    }
  }

  private List<PipelineRun> runRecords() {
    return runs.readValuesToList().stream().filter(r -> PipelineRun.RUN.equals(r.kind())).toList();
  }

  @Test
  void followsAnAirflowDagRunFromStartToCompletion() throws IOException {
    send(fixture("airflow-dag-start.json"));
    send(fixture("airflow-task-start-bigquery-copy.json"));
    send(fixture("airflow-task-complete-bigquery-copy.json"));
    send(fixture("airflow-dag-complete.json"));

    List<TestRecord<String, PipelineRun>> out = runs.readRecordsToList();
    assertThat(out)
        .extracting(TestRecord::key, r -> r.value().state())
        .containsExactly(
            tuple("airflow/BQ", "running"),
            tuple("airflow/BQ.copy", "running"),
            tuple("airflow/BQ.copy", "complete"),
            tuple("airflow/BQ", "complete"));
    PipelineRun dag = out.get(3).value();
    assertThat(dag.run().id()).isEqualTo("01936893-9751-7a91-a2a0-a51101a3970c");
    assertThat(dag.start()).isEqualTo(Instant.parse("2024-11-26T13:05:23.809955Z"));
    assertThat(dag.end()).isEqualTo(Instant.parse("2024-11-26T13:05:39.809127Z"));
    assertThat(dag.durationS()).isEqualTo(15.999);
    PipelineRun task = out.get(2).value();
    assertThat(task.run().parentId()).isEqualTo("01936893-9751-7a91-a2a0-a51101a3970c");
    assertThat(task.run().parentJob()).isEqualTo("airflow/BQ");
    assertThat(metrics.pipelineRecordsEmitted("complete")).isEqualTo(2);
  }

  @Test
  void reportsDbtTestFailuresWithTheirDataQualityAssertions() throws IOException {
    JsonNode events =
        Json.mapper()
            .readTree(
                fixture("dbt-test-events-start-complete-fail-dataQualityAssertions.array.json"));
    for (JsonNode event : events) {
      send(Json.mapper().writeValueAsBytes(event));
    }

    List<PipelineRun> out = runRecords();
    assertThat(out).extracting(PipelineRun::state).filteredOn("running"::equals).hasSize(5);
    List<PipelineRun> failed = out.stream().filter(r -> "failed".equals(r.state())).toList();
    assertThat(failed).hasSize(2);
    for (PipelineRun run : failed) {
      assertThat(run.dataQuality().failed()).isPositive();
      assertThat(run.dataQuality().failedAssertions()).isNotEmpty();
      assertThat(run.durationS()).isNotNull().isNotNegative();
    }
    assertThat(out.stream().filter(r -> "complete".equals(r.state())))
        .hasSize(3)
        .allSatisfy(r -> assertThat(r.dataQuality().failed()).isZero());
  }

  @Test
  void readsRowsBytesAndAssertionsFromTheClientsExampleEvent() throws IOException {
    send(fixture("client-example-full-event-dataQualityAssertions.json"));

    PipelineRun run = runRecords().get(0);
    assertThat(run.job().key()).isEqualTo("my-scheduler-namespace/myjob.mytask");
    assertThat(run.state()).isEqualTo("complete");
    assertThat(run.rows()).isEqualTo(2000);
    assertThat(run.bytes()).isEqualTo(2_097_152);
    assertThat(run.dataQuality().assertions()).isEqualTo(2);
    assertThat(run.dataQuality().failed()).isZero();
    assertThat(run.durationS()).as("no START seen").isNull();
  }

  @Test
  void readsEventsFromTheOpenLineageJavaClient() {
    OpenLineage ol = new OpenLineage(URI.create("https://github.com/vigil/tests"));
    UUID runId = UUID.randomUUID();
    OpenLineage.Job job = ol.newJobBuilder().namespace("spark").name("orders.daily").build();
    OpenLineage.Run run = ol.newRunBuilder().runId(runId).build();
    send(
        OpenLineageClientUtils.toJson(
                ol.newRunEventBuilder()
                    .eventType(OpenLineage.RunEvent.EventType.START)
                    .eventTime(T0.minusSeconds(90).atZone(ZoneOffset.UTC))
                    .run(run)
                    .job(job)
                    .build())
            .getBytes(StandardCharsets.UTF_8));
    send(
        OpenLineageClientUtils.toJson(
                ol.newRunEventBuilder()
                    .eventType(OpenLineage.RunEvent.EventType.FAIL)
                    .eventTime(T0.atZone(ZoneOffset.UTC))
                    .run(run)
                    .job(job)
                    .inputs(
                        List.of(
                            ol.newInputDatasetBuilder()
                                .namespace("s3")
                                .name("orders")
                                .inputFacets(
                                    ol.newInputDatasetInputFacetsBuilder()
                                        .dataQualityAssertions(
                                            ol.newDataQualityAssertionsDatasetFacetBuilder()
                                                .assertions(
                                                    List.of(
                                                        ol.newDataQualityAssertionsDatasetFacetAssertionsBuilder()
                                                            .assertion("not_null")
                                                            .column("id")
                                                            .success(false)
                                                            .build()))
                                                .build())
                                        .build())
                                .build()))
                    .outputs(
                        List.of(
                            ol.newOutputDatasetBuilder()
                                .namespace("s3")
                                .name("orders_clean")
                                .outputFacets(
                                    ol.newOutputDatasetOutputFacetsBuilder()
                                        .outputStatistics(
                                            ol.newOutputStatisticsOutputDatasetFacet(
                                                120L, 4096L, null))
                                        .build())
                                .build()))
                    .build())
            .getBytes(StandardCharsets.UTF_8));

    List<PipelineRun> out = runRecords();
    assertThat(out).extracting(PipelineRun::state).containsExactly("running", "failed");
    PipelineRun failed = out.get(1);
    assertThat(failed.run().id()).isEqualTo(runId.toString());
    assertThat(failed.durationS()).isEqualTo(90.0);
    assertThat(failed.rows()).isEqualTo(120);
    assertThat(failed.dataQuality().failedAssertions()).containsExactly("not_null(id)");
    assertThat(failed.id()).isEqualTo("spark/orders.daily/" + runId + "/failed");
  }

  /**
   * The cluster the collector put on an event (its {@code vigil_resource} run facet) is the run's
   * cluster, kept by the run's later events that do not carry it.
   */
  @Test
  void aRunIsInTheClusterOfTheCollectorThatReceivedIt() {
    send(
        ("{\"eventType\":\"START\",\"eventTime\":\"%s\",\"run\":{\"facets\":{"
                + "\"vigil_resource\":{\"_producer\":\"https://github.com/vigil/collector\","
                + "\"attributes\":{\"k8s.cluster.name\":\"eu-1\",\"k8s.node.name\":\"n-3\"}}},"
                + "\"runId\":\"in-eu\"},\"job\":{\"namespace\":\"demo\",\"name\":\"nightly\"}}")
            .formatted(T0.minusSeconds(30))
            .getBytes(StandardCharsets.UTF_8));
    send(event("COMPLETE", T0, "in-eu"));
    send(event("START", T0, "nowhere"));

    assertThat(runRecords())
        .extracting(r -> r.run().id(), r -> r.state(), r -> r.run().cluster())
        .containsExactly(
            tuple("in-eu", "running", "eu-1"),
            tuple("in-eu", "complete", "eu-1"),
            tuple("nowhere", "running", null));
  }

  @Test
  void reportsARunThatNeverEndsAsOverdueOnce() {
    send(event("START", T0, "late-run"));
    runs.readValuesToList();

    clockTo(T0.plus(Duration.ofMinutes(59)));
    assertThat(runRecords()).isEmpty();
    clockTo(T0.plus(Duration.ofMinutes(61)));
    List<PipelineRun> overdue = runRecords();
    assertThat(overdue).extracting(PipelineRun::state).containsExactly("overdue");
    assertThat(overdue.get(0).durationS()).isEqualTo(61 * 60.0);
    clockTo(T0.plus(Duration.ofMinutes(75)));
    assertThat(runRecords()).as("reported once").isEmpty();
  }

  @Test
  void anEventOfARunThatEndedIsLeftOutNotEndedAgain() {
    send(event("START", T0.minusSeconds(30), "once"));
    send(event("COMPLETE", T0, "once"));
    // Delivered again (the collector stores at least once, a client retries), and a late RUNNING.
    send(event("COMPLETE", T0, "once"));
    send(event("RUNNING", T0.minusSeconds(10), "once"));
    send(event("FAIL", T0.plusSeconds(5), "once"));

    List<PipelineRun> out = runRecords();
    assertThat(out).extracting(PipelineRun::state).containsExactly("running", "complete");
    assertThat(out.get(1).durationS()).isEqualTo(30.0);
    assertThat(metrics.lineageEventsAfterEnd()).isEqualTo(3);

    // Remembered for an hour of the wall clock, then forgotten: a repeat after that is a new run.
    clockTo(T0.plus(PipelineRunsProcessor.REMEMBER_ENDED_RUN).plus(Duration.ofMinutes(2)));
    runs.readValuesToList();
    send(event("COMPLETE", T0, "once"));
    assertThat(runRecords()).extracting(PipelineRun::state).containsExactly("complete");
  }

  @Test
  void emitsFreshnessOnTheWallClockEvenWithoutEvents() {
    send(event("START", T0.minusSeconds(30), "r1"));
    send(event("COMPLETE", T0, "r1"));
    runs.readValuesToList();

    clockTo(T0.plus(Duration.ofMinutes(10)));
    List<PipelineRun> freshness =
        runs.readValuesToList().stream()
            .filter(r -> PipelineRun.FRESHNESS.equals(r.kind()))
            .toList();
    assertThat(freshness).isNotEmpty();
    PipelineRun last = freshness.get(freshness.size() - 1);
    assertThat(last.job().key()).isEqualTo("demo/nightly");
    assertThat(last.freshness().lastSuccess()).isEqualTo(T0);
    assertThat(last.freshness().ageS()).isEqualTo(600.0);
  }

  @Test
  void sendsBadEventsToTheDeadLetterTopicNamingTheField() {
    send("{not json".getBytes(StandardCharsets.UTF_8));
    send(
        "{\"eventType\":\"COMPLETE\",\"eventTime\":\"2024-11-26T13:05:39Z\",\"job\":{\"namespace\":\"a\",\"name\":\"b\"},\"run\":{}}"
            .getBytes(StandardCharsets.UTF_8));
    send(
        "{\"eventType\":\"COMPLETE\",\"eventTime\":\"yesterday\",\"job\":{\"namespace\":\"a\",\"name\":\"b\"},\"run\":{\"runId\":\"r\"}}"
            .getBytes(StandardCharsets.UTF_8));
    send(event("START", T0, "good"));

    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead)
        .extracting(r -> header(r, Topics.DLQ_REASON_HEADER))
        .satisfiesExactly(
            reason -> assertThat(reason).startsWith("invalid_json: not JSON"),
            reason ->
                assertThat(reason).isEqualTo("missing_field: run.runId: required, was absent"),
            reason ->
                assertThat(reason).startsWith("invalid_field: eventTime:").contains("'yesterday'"));
    assertThat(metrics.recordsRejected("missing_field")).isEqualTo(1);
    assertThat(runRecords()).extracting(PipelineRun::state).containsExactly("running");
  }

  private static byte[] event(String type, Instant at, String runId) {
    return ("{\"eventType\":\"%s\",\"eventTime\":\"%s\",\"run\":{\"runId\":\"%s\"},"
            + "\"job\":{\"namespace\":\"demo\",\"name\":\"nightly\"}}")
        .formatted(type, at, runId)
        .getBytes(StandardCharsets.UTF_8);
  }

  private static String header(TestRecord<byte[], byte[]> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
