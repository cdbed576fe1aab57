package io.vigil.alerting.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.junit.WithElasticsearch;
import io.vigil.model.log.LogRecord;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Documents indexed by the alert engine's indexer read back, in time order, as the records that
 * were indexed — what {@code vigil rules backtest --elasticsearch-url} relies on.
 */
@WithElasticsearch
class IndexReplayIT {
  private ElasticsearchIndexer indexer;
  private IndexReplay replay;
  private String url;

  /**
   * A day of 2019 of its own: the Elasticsearch is shared by the JVM's tests, and a range read
   * returns every test's documents in it.
   */
  private final Instant t0 =
      Instant.parse("2019-01-01T00:00:00Z")
          .plus(Duration.ofDays(ThreadLocalRandom.current().nextInt(360)));

  @BeforeEach
  void start(EmbeddedElasticsearch es) throws Exception {
    url = es.url();
    indexer = ElasticsearchIndexer.create(ElasticsearchSettings.of(url), new PrometheusRegistry());
    indexer.installTemplates();
    replay = IndexReplay.open(ElasticsearchSettings.of(url));
  }

  @AfterEach
  void stop() throws Exception {
    replay.close();
    indexer.close();
  }

  @Test
  void readsEveryKindOfIndexedRecordBackAsItWas() throws Exception {
    String service = "svc-" + UUID.randomUUID();
    GoldenSignal.Window window = new GoldenSignal.Window(t0, t0.plusSeconds(10), 10);
    List<GoldenSignal> signals =
        List.of(
            new GoldenSignal(
                null,
                window,
                "c1",
                "shop",
                service,
                "POST /pay",
                new GoldenSignal.Traffic(1200, 120.0),
                new GoldenSignal.Errors(30, 0.025),
                new GoldenSignal.Latency(12.0, 40.0, null, 120.0, 310.0),
                null),
            new GoldenSignal(
                null,
                window,
                "c1",
                "shop",
                service,
                "POST /pay",
                new GoldenSignal.Traffic(5, 0.5),
                new GoldenSignal.Errors(5, 1.0),
                null,
                null,
                1_700_000_000_000L),
            GoldenSignal.saturation(
                null,
                window,
                "c1",
                null,
                null,
                "node-1",
                null,
                new GoldenSignal.Saturation(0.9, null),
                null),
            GoldenSignal.saturation(
                null,
                window,
                "c1",
                "shop",
                service,
                "node-1",
                "pod-1",
                new GoldenSignal.Saturation(0.5, 0.7),
                null),
            GoldenSignal.logs(
                null, window, "c1", "shop", service, new GoldenSignal.Logs(40, 3, 4.0, 0.3), null));
    PipelineRun.Job job = new PipelineRun.Job("airflow", "nightly-" + UUID.randomUUID());
    List<PipelineRun> runs =
        List.of(
            new PipelineRun(
                t0.plusSeconds(20),
                PipelineRun.RUN,
                job,
                new PipelineRun.Run("r1", null, null),
                "failed",
                t0,
                t0.plusSeconds(20),
                20.0,
                1000L,
                null,
                new PipelineRun.DataQuality(4, 1, List.of("not_null(id)")),
                null,
                new PipelineRun.Sla(10.0, true),
                "data",
                "1"),
            PipelineRun.freshness(
                t0.plusSeconds(30),
                job,
                new PipelineRun.Freshness(t0.minusSeconds(60), 90.0, 60.0, true)),
            PipelineRun.lag(t0.plusSeconds(40), job, new PipelineRun.Lag("orders", 1234, 12.5)));
    List<LogRecord> logs =
        List.of(
            new LogRecord(
                t0.plusSeconds(5),
                "it-" + UUID.randomUUID(),
                "java.lang.OutOfMemoryError: \"heap\"",
                new LogRecord.Log("error"),
                17,
                new LogRecord.Service(service, "shop"),
                new LogRecord.Kubernetes(
                    "shop",
                    new LogRecord.Named("pod-1"),
                    new LogRecord.Named("app"),
                    new LogRecord.Named("node-1")),
                new LogRecord.Orchestrator(new LogRecord.Named("c1")),
                new LogRecord.Named("host-1"),
                new LogRecord.Id("4bf92f3577b34da6a3ce929d0e0e4736"),
                new LogRecord.Id("00f067aa0ba902b7"),
                Map.of("thread", "main")));

    BulkResult result = indexer.index(signals, runs, logs, List.of());
    assertThat(result.failures()).isEmpty();
    refresh();

    assertThat(read(ElasticsearchIndexer.SIGNALS, t0, t0.plusSeconds(10)))
        .map(IndexedRecords::signal)
        .filteredOn(s -> service.equals(s.service()) || "node-1".equals(s.node()))
        .containsExactlyInAnyOrderElementsOf(signals);
    assertThat(read(ElasticsearchIndexer.PIPELINES, t0, t0.plusSeconds(60)))
        .map(IndexedRecords::pipelineRun)
        .filteredOn(r -> r.job().equals(job))
        .containsExactlyElementsOf(runs);
    assertThat(read(ElasticsearchIndexer.LOGS, t0, t0.plusSeconds(60)))
        .map(IndexedRecords::log)
        .filteredOn(l -> l.service().name().equals(service))
        .containsExactlyElementsOf(logs);
  }

  @Test
  void pagesThroughMoreThanAPageInTimeOrderWithinTheRange() throws Exception {
    String service = "svc-" + UUID.randomUUID();
    List<GoldenSignal> signals = new ArrayList<>();
    int windows = IndexReplay.PAGE * 2 + 500;
    for (int i = windows - 1; i >= 0; i--) {
      Instant start = t0.plusSeconds(10L * i);
      signals.add(
          new GoldenSignal(
              null,
              new GoldenSignal.Window(start, start.plusSeconds(10), 10),
              "c1",
              "shop",
              service,
              null,
              new GoldenSignal.Traffic(i, i / 10.0),
              null,
              null,
              null));
    }
    assertThat(indexer.index(signals, List.of()).failures()).isEmpty();
    refresh();

    // Windows 100..2499 end in [t0 + 1010 s, t0 + 25000 s]; the bounds are included.
    List<GoldenSignal> read =
        read(ElasticsearchIndexer.SIGNALS, t0.plusSeconds(1010), t0.plusSeconds(25_000)).stream()
            .map(IndexedRecords::signal)
            .filter(s -> service.equals(s.service()))
            .toList();

    assertThat(read).hasSize(windows - 100);
    assertThat(read)
        .extracting(s -> s.traffic().requests())
        .isSortedAccordingTo(Long::compare)
        .startsWith(100L)
        .endsWith((long) windows - 1)
        .doesNotHaveDuplicates();
  }

  @Test
  void aMissingIndexIsNamedWithTheUrl() {
    String index = "vigil-missing-" + UUID.randomUUID();

    assertThatThrownBy(() -> replay.replay(index, t0, t0.plusSeconds(60), doc -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("index " + index + " does not exist on " + url);
  }

  @Test
  void anUnreachableClusterIsNamedByItsUrl() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String nowhere = "http://127.0.0.1:" + port;
    try (IndexReplay unreachable = IndexReplay.open(ElasticsearchSettings.of(nowhere))) {
      assertThatThrownBy(
              () ->
                  unreachable.replay(
                      ElasticsearchIndexer.SIGNALS, t0, t0.plusSeconds(60), doc -> {}))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("cannot reach Elasticsearch at " + nowhere + ": ")
          .hasMessageContaining("Connection refused");
    }
  }

  @Test
  void aDocumentThatIsNoRecordIsRefusedWithTheReason() {
    ObjectNode doc = io.vigil.model.json.Json.mapper().createObjectNode();
    doc.put("@timestamp", t0.toString());
    doc.putObject("service").put("name", "checkout");

    assertThatThrownBy(() -> IndexedRecords.signal(doc))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("window");
    assertThatThrownBy(() -> IndexedRecords.pipelineRun(doc))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a pipeline-run document: ");
    assertThatThrownBy(() -> IndexedRecords.log(doc))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a log document: ");
  }

  private List<ObjectNode> read(String index, Instant from, Instant to) {
    List<ObjectNode> docs = new ArrayList<>();
    replay.replay(index, from, to, docs::add);
    return docs;
  }

  private void refresh() throws Exception {
    indexer
        .client()
        .indices()
        .refresh(
            r ->
                r.index(
                    ElasticsearchIndexer.SIGNALS,
                    ElasticsearchIndexer.PIPELINES,
                    ElasticsearchIndexer.LOGS));
  }
}
