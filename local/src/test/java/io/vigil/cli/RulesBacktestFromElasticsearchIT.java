package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.elasticsearch.ElasticsearchIndexer;
import io.vigil.alerting.elasticsearch.ElasticsearchSettings;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.junit.WithElasticsearch;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.log.LogRecord;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil rules backtest --elasticsearch-url}: the same history, once read from Kafka and once
 * from what the alert engine's indexer wrote to Elasticsearch, gives the same firings.
 */
@WithKafka
@WithElasticsearch
class RulesBacktestFromElasticsearchIT {
  private static final String RULES =
      """
      groups:
        - name: g
          rules:
            - alert: HighErrorRatio
              expr: errors.ratio > 0.05
              for: 20s
            - alert: PipelineFailed
              expr: pipeline.failed > 0
            - alert: OomInLogs
              expr: 'count_over_time({service="%s"} |= "OutOfMemoryError" [1m]) > 1'
      """;

  @Test
  void printsTheSameFiringsFromElasticsearchAsFromKafka(
      EmbeddedKafka kafka, EmbeddedElasticsearch es, @TempDir Path dir) throws Exception {
    kafka.createTopics(3, Topics.SIGNALS, Topics.PIPELINE_RUNS, Topics.LOGS);
    // A range of its own: Kafka and Elasticsearch are shared by the JVM's tests.
    Instant t0 =
        Instant.now()
            .minus(30, ChronoUnit.HOURS)
            .truncatedTo(ChronoUnit.HOURS)
            .plus(ThreadLocalRandom.current().nextInt(50), ChronoUnit.MINUTES);
    String service = "checkout-" + UUID.randomUUID();
    List<GoldenSignal> signals = new ArrayList<>();
    // Ten final windows; windows 3 to 6 fail a fifth of their requests.
    for (int i = 0; i < 10; i++) {
      long errors = i >= 3 && i <= 6 ? 200 : 1;
      signals.add(window(t0, i, service, 1000, errors, null));
    }
    // A late supplement of window 8, all errors: the window's own record is what both sources use.
    signals.add(window(t0, 8, service, 10, 10, Instant.now().toEpochMilli()));
    PipelineRun.Job job = new PipelineRun.Job("airflow", "nightly-" + UUID.randomUUID());
    List<PipelineRun> runs =
        List.of(
            run(t0.plusSeconds(30), job, "r1", "failed"),
            run(t0.plusSeconds(90), job, "r2", "complete"));
    List<LogRecord> logs = new ArrayList<>();
    for (int s : new int[] {10, 15, 20, 25}) {
      logs.add(
          log(t0.plusSeconds(s), service, s == 15 ? "GET /cart" : "java.lang.OutOfMemoryError"));
    }

    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            kafka.clientProperties(), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (GoldenSignal s : signals) {
        send(producer, Topics.SIGNALS, s.window().end(), s.seriesKey(), s);
      }
      for (PipelineRun r : runs) {
        send(producer, Topics.PIPELINE_RUNS, r.timestamp(), r.job().key(), r);
      }
      for (LogRecord l : logs) {
        send(producer, Topics.LOGS, l.timestamp(), service, l);
      }
    }
    try (ElasticsearchIndexer indexer =
        ElasticsearchIndexer.create(ElasticsearchSettings.of(es.url()), new PrometheusRegistry())) {
      assertThat(indexer.index(signals, runs, logs, List.of()).failures()).isEmpty();
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
    Path rules = Files.writeString(dir.resolve("rules.yaml"), RULES.formatted(service));
    String from = t0.toString();
    String to = t0.plusSeconds(300).toString();

    Run fromKafka =
        run(
            "rules",
            "backtest",
            "--rules",
            rules.toString(),
            "--from",
            from,
            "--to",
            to,
            "--bootstrap-servers",
            kafka.bootstrapServers());
    Run fromElasticsearch =
        run(
            "rules",
            "backtest",
            "--rules",
            rules.toString(),
            "--from",
            from,
            "--to",
            to,
            "--elasticsearch-url",
            es.url());

    assertThat(fromKafka.exit()).as(fromKafka.err()).isZero();
    assertThat(fromElasticsearch.exit()).as(fromElasticsearch.err()).isZero();
    List<String> kafkaLines = fromKafka.out().lines().toList();
    List<String> esLines = fromElasticsearch.out().lines().toList();
    assertThat(kafkaLines.get(0))
        .isEqualTo(
            "backtest of 3 rules on vigil.signals, vigil.pipeline-runs, vigil.logs from "
                + from
                + " to "
                + to
                + ": 15 samples");
    assertThat(esLines.get(0))
        .isEqualTo(
            "backtest of 3 rules on metrics-vigil.signals-default,"
                + " metrics-vigil.pipelines-default, logs-vigil.app-default from "
                + from
                + " to "
                + to
                + ": 15 samples");
    assertThat(esLines.subList(1, esLines.size()))
        .isEqualTo(kafkaLines.subList(1, kafkaLines.size()))
        .contains(
            // windows 3..6 end at 40 s..70 s; held from 40 s, so `for: 20s` fires at 60 s
            t0.plusSeconds(60)
                + "  FIRING    HighErrorRatio {cluster=c1, namespace=shop, service="
                + service
                + "}  value 0.2",
            t0.plusSeconds(80)
                + "  RESOLVED  HighErrorRatio {cluster=c1, namespace=shop, service="
                + service
                + "}  after 20s",
            t0.plusSeconds(30)
                + "  FIRING    PipelineFailed {job="
                + job.name()
                + ", job_namespace=airflow}"
                + "  value 1",
            t0.plusSeconds(90)
                + "  RESOLVED  PipelineFailed {job="
                + job.name()
                + ", job_namespace=airflow}"
                + "  after 1m",
            "HighErrorRatio: fired 1, resolved 1, firing at the end 0",
            "PipelineFailed: fired 1, resolved 1, firing at the end 0",
            "OomInLogs: fired 1, resolved 1, firing at the end 0");
  }

  @Test
  void anUnreachableElasticsearchIsNamedAndExitsOne(@TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path rules = Files.writeString(dir.resolve("rules.yaml"), RULES.formatted("checkout"));

    Run run =
        run(
            "rules",
            "backtest",
            "--rules",
            rules.toString(),
            "--from",
            "now-1h",
            "--elasticsearch-url",
            "http://127.0.0.1:" + port);

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .startsWith(
            "FAILED: cannot read history: cannot reach Elasticsearch at http://127.0.0.1:"
                + port
                + ": ");
  }

  @Test
  void liveSignalsFromElasticsearchAreBadUsage(@TempDir Path dir) throws Exception {
    Path rules = Files.writeString(dir.resolve("rules.yaml"), RULES.formatted("checkout"));

    Run run =
        run(
            "rules",
            "backtest",
            "--rules",
            rules.toString(),
            "--from",
            "now-1h",
            "--live",
            "--elasticsearch-url",
            "http://127.0.0.1:9200");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).startsWith("FAILED: --live: live signals (vigil.signals.live) are not");
  }

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream originalOut = System.out;
    PrintStream originalErr = System.err;
    int exit;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      exit = Vigil.execute(args);
    } finally {
      System.setOut(originalOut);
      System.setErr(originalErr);
    }
    Run run =
        new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    System.out.println(run.out() + run.err());
    return run;
  }

  private static GoldenSignal window(
      Instant t0, int i, String service, long requests, long errors, Long revision) {
    Instant start = t0.plusSeconds(10L * i);
    return new GoldenSignal(
        null,
        new GoldenSignal.Window(start, start.plusSeconds(10), 10),
        "c1",
        "shop",
        service,
        null,
        new GoldenSignal.Traffic(requests, requests / 10.0),
        new GoldenSignal.Errors(errors, errors / (double) requests),
        null,
        null,
        revision);
  }

  private static PipelineRun run(Instant at, PipelineRun.Job job, String runId, String state) {
    return new PipelineRun(
        at,
        PipelineRun.RUN,
        job,
        new PipelineRun.Run(runId, null, null),
        state,
        at.minusSeconds(20),
        at,
        20.0,
        null,
        null,
        null,
        null);
  }

  private static LogRecord log(Instant at, String service, String message) {
    return new LogRecord(
        at,
        "it-" + UUID.randomUUID(),
        message,
        new LogRecord.Log("error"),
        17,
        new LogRecord.Service(service, "shop"),
        null,
        new LogRecord.Orchestrator(new LogRecord.Named("c1")),
        null,
        null,
        null,
        Map.of());
  }

  private static void send(
      KafkaProducer<byte[], byte[]> producer, String topic, Instant at, String key, Object value)
      throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                topic,
                null,
                at.toEpochMilli(),
                key.getBytes(StandardCharsets.UTF_8),
                Json.mapper().writeValueAsBytes(value)))
        .get();
  }
}
