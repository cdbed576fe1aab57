package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch.core.GetResponse;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.AlertingConfig;
import io.vigil.alerting.AlertingService;
import io.vigil.collector.CollectorConfig;
import io.vigil.collector.CollectorService;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.junit.WithElasticsearch;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.junit.WithSmtpSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.prometheus.NodeExporter;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.embedded.smtp.ReceivedMail;
import io.vigil.embedded.smtp.SmtpSink;
import io.vigil.model.Topics;
import io.vigil.model.config.ConfigLoader;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorService;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiPredicate;
import java.util.function.ToLongFunction;
import org.apache.http.HttpHost;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.elasticsearch.client.RestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The skeleton path, real at every hop: the OpenTelemetry SDK's OTLP/HTTP exporter → collector →
 * Kafka (in-process KRaft broker) → processor (Kafka Streams) → alerting → Slack sink, SMTP sink
 * (GreenMail) and Elasticsearch (the launched integ-test-zip server).
 */
@WithKafka
@WithElasticsearch
@WithSlackSink
@WithSmtpSink
class EndToEndIT {
  private static final AttributeKey<Long> STATUS =
      AttributeKey.longKey("http.response.status_code");

  @Test
  void failingServiceReachesSlackEmailAndElasticsearch(
      EmbeddedKafka kafka,
      EmbeddedElasticsearch elasticsearch,
      SlackSink slack,
      SmtpSink smtp,
      @TempDir Path dir)
      throws Exception {
    try (Stack stack = new Stack(kafka, elasticsearch, slack, smtp, dir);
        FailingService checkout = new FailingService(stack.otlpUrl())) {

      SlackPost post = slack.awaitPost(Duration.ofSeconds(90));
      List<ReceivedMail> mails = smtp.awaitMessages(1, Duration.ofSeconds(30));

      assertThat(post.body()).contains("HighErrorRatio").contains("checkout");
      assertThat(mails.get(0).subject()).contains("FIRING").contains("HighErrorRatio");
      assertThat(mails.get(0).to()).containsExactly("oncall@example.org");
      assertThat(stack.collector.dataPointsAccepted()).isPositive();
      assertThat(stack.processor.liveSignalsEmitted()).isPositive();
      assertThat(stack.alerting.alertsFired()).isPositive();

      JsonNode alert = firingAlertFromApi(stack.alerting.adminPort());
      String fingerprint = alert.get("fingerprint").asText();
      try (RestClient rest = RestClient.builder(HttpHost.create(elasticsearch.url())).build()) {
        ElasticsearchClient es =
            new ElasticsearchClient(new RestClientTransport(rest, new JacksonJsonpMapper()));
        GetResponse<ObjectNode> doc =
            awaitDocument(es, "vigil-alerts", fingerprint, Duration.ofSeconds(30));
        assertThat(doc.source().get("rule").asText()).isEqualTo("HighErrorRatio");
        assertThat(doc.source().get("state").asText()).isEqualTo("firing");
        assertThat(doc.source().at("/labels/service").asText()).isEqualTo("checkout");
      }
    }
  }

  /**
   * The reproduction of issue 5: a new service sends six OTLP/JSON points two seconds apart, half
   * of its requests failing, then falls silent. Nothing else is sent: the alert must still come,
   * within seconds, and the final windows must still close and count every request. The service
   * also logs its failures through the OpenTelemetry SDK's OTLP log exporter: its error-log rate
   * pages on its own, and the log-volume windows count every log record.
   */
  @Test
  void aServiceThatSendsABurstOfErrorsAndFallsSilentIsAlertedAndCounted(
      EmbeddedKafka kafka,
      EmbeddedElasticsearch elasticsearch,
      SlackSink slack,
      SmtpSink smtp,
      @TempDir Path dir)
      throws Exception {
    try (Stack stack =
        new Stack(
            kafka,
            elasticsearch,
            slack,
            smtp,
            dir,
            """
              - name: logs
                rules:
                  - alert: ErrorLogsBurst
                    expr: logs.error_rate_per_s > 1
                    for: 0s
                    labels: {severity: warning}
                    annotations:
                      summary: "{{ $labels.service }} logs {{ $value }} errors per second"
            """,
            "")) {
      stack.awaitProcessorRunning();
      logBurst(stack, "burst", 30, 10);
      HttpClient http = HttpClient.newHttpClient();
      // The service starts after the processor (whose state began when it first ran).
      long start = (System.currentTimeMillis() + 1000) * 1_000_000L;
      for (int i = 1; i <= 6; i++) {
        long time = start + i * 2_000_000_000L;
        HttpResponse<String> answer =
            http.send(
                HttpRequest.newBuilder(URI.create(stack.otlpUrl()))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(burstPoint(start, time, 10L * i)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        if (i < 6) {
          TimeUnit.SECONDS.sleep(2); // the sender's pace, not synchronisation
        }
      }

      assertThat(awaitPostContaining(slack, "HighErrorRatio", Duration.ofSeconds(15)).body())
          .contains("burst");
      // 30 errors in a 10 s live window: 3 per second.
      assertThat(awaitPostContaining(slack, "ErrorLogsBurst", Duration.ofSeconds(15)).body())
          .contains("burst logs 3 errors per second");

      // 6 × (10 ok + 10 failed) cumulative at the last point: 120 requests, 60 errors, all
      // in final windows that close on the wall clock although nothing else arrives.
      long[] counted = finalCounts(kafka, "//burst/", 120);
      assertThat(counted).containsExactly(120, 60);
      assertThat(finalLogCounts(kafka, "//burst//logs", 40)).containsExactly(40, 30);
    }
  }

  /**
   * A node as an operator watches it: Debian's node exporter scraped by the collector every second;
   * the processor turns its CPU and memory into the node's saturation, a rule on it pages with the
   * node's name, and the final windows reach Elasticsearch under {@code host.name}.
   */
  @Test
  void aNodeScrapedFromNodeExporterIsMeasuredAlertedOnAndIndexed(
      EmbeddedKafka kafka,
      EmbeddedElasticsearch elasticsearch,
      SlackSink slack,
      SmtpSink smtp,
      @TempDir Path dir)
      throws Exception {
    assumeTrue(NodeExporter.installed(), "prometheus-node-exporter not installed");
    try (NodeExporter node = NodeExporter.start("cpu", "meminfo");
        Stack stack =
            new Stack(
                kafka,
                elasticsearch,
                slack,
                smtp,
                dir,
                """
                  - name: saturation
                    rules:
                      - alert: NodeMemoryInUse
                        expr: saturation.memory_utilization > 0
                        for: 0s
                        labels: {severity: warning}
                        annotations:
                          summary: "{{ $labels.node }} uses {{ $value }} of its memory"
                """,
                """
                scrape:
                  enabled: true
                  interval: 1s
                  timeout: 900ms
                  jobs: [{job: node, targets: ['%s']}]
                """
                    .formatted(node.address()))) {
      SlackPost post = slack.awaitPost(Duration.ofSeconds(60));
      assertThat(post.body()).contains("NodeMemoryInUse").contains("127.0.0.1 uses 0.");

      // The live record once the CPU counters have two scrapes to divide.
      GoldenSignal measured = liveSaturation(kafka, "////127.0.0.1/");
      double memoryNow = memoryInUse();
      assertThat(measured.node()).isEqualTo("127.0.0.1");
      assertThat(measured.service()).isNull();
      assertThat(measured.traffic()).isNull();
      assertThat(measured.saturation().cpuUtilization()).isBetween(0.0, 1.0);
      // The same machine, read a moment later from /proc/meminfo.
      assertThat(measured.saturation().memoryUtilization()).isCloseTo(memoryNow, within(0.05));

      try (RestClient rest = RestClient.builder(HttpHost.create(elasticsearch.url())).build()) {
        ElasticsearchClient es =
            new ElasticsearchClient(new RestClientTransport(rest, new JacksonJsonpMapper()));
        ObjectNode window =
            awaitDocumentWhere(es, "metrics-vigil.signals-default", "host.name", "127.0.0.1");
        assertThat(window.at("/saturation/memory_utilization").asDouble())
            .isCloseTo(memoryNow, within(0.05));
        assertThat(window.has("service")).isFalse();
      }
    }
  }

  /**
   * A streaming job's lag as the data journey shows it: the collector watches the consumer groups
   * of the cluster (here the processor's own, which reads otlp_metrics), the processor turns the
   * gauges into lag records of the group on vigil.pipeline-runs, and they reach Elasticsearch.
   */
  @Test
  void aConsumerGroupsLagReachesTheDataJourneyAndElasticsearch(
      EmbeddedKafka kafka,
      EmbeddedElasticsearch elasticsearch,
      SlackSink slack,
      SmtpSink smtp,
      @TempDir Path dir)
      throws Exception {
    try (Stack stack =
        new Stack(
            kafka,
            elasticsearch,
            slack,
            smtp,
            dir,
            "",
            """
            lag:
              enabled: true
              interval: 1s
              clusters: [{name: main, bootstrap_servers: '%s', groups: [e2e-processor]}]
            """
                .formatted(kafka.bootstrapServers()))) {
      // The group has an offset on otlp_metrics to report only once it has read something there
      // (this test must not depend on the others having run first).
      stack.awaitProcessorRunning();
      long start = System.currentTimeMillis() * 1_000_000L;
      HttpResponse<String> answer =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(stack.otlpUrl()))
                      .header("Content-Type", "application/json")
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              burstPoint(start, start + 1_000_000_000L, 1)))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      PipelineRun lag = firstLagRecord(kafka, "main/e2e-processor", Topics.OTLP_METRICS);
      assertThat(lag.kind()).isEqualTo(PipelineRun.LAG);
      assertThat(lag.lag().messages()).isNotNegative();

      try (RestClient rest = RestClient.builder(HttpHost.create(elasticsearch.url())).build()) {
        ElasticsearchClient es =
            new ElasticsearchClient(new RestClientTransport(rest, new JacksonJsonpMapper()));
        ObjectNode doc =
            awaitDocumentWhere(
                es, "metrics-vigil.pipelines-default", "lag.topic", Topics.OTLP_METRICS);
        assertThat(doc.at("/job/name").asText()).isEqualTo("e2e-processor");
        assertThat(doc.at("/kind").asText()).isEqualTo("lag");
      }
    }
  }

  /**
   * Reads {@code topic} from its start, read_committed, handing every record to {@code until} until
   * it answers true; false when 60 s pass first.
   */
  private static <T> boolean readUntil(
      EmbeddedKafka kafka, String topic, Class<T> type, BiPredicate<String, T> until) {
    Properties props = kafka.clientProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "e2e-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    var values = JsonSerde.of(type).deserializer();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (until.test(r.key(), values.deserialize(topic, r.value()))) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** Sums requests and errors of {@code series} on vigil.signals until {@code requests} are in. */
  private static long[] finalCounts(EmbeddedKafka kafka, String series, long requests) {
    return finalSums(kafka, series, requests, s -> s.traffic().requests(), s -> s.errors().count());
  }

  /**
   * Sums log records and errors of {@code series} on vigil.signals until {@code records} are in.
   */
  private static long[] finalLogCounts(EmbeddedKafka kafka, String series, long records) {
    return finalSums(kafka, series, records, s -> s.logs().records(), s -> s.logs().errors());
  }

  /**
   * Sums {@code total} and {@code part} over the records of {@code series} on vigil.signals until
   * the total reaches {@code until} (or 60 s pass).
   */
  private static long[] finalSums(
      EmbeddedKafka kafka,
      String series,
      long until,
      ToLongFunction<GoldenSignal> total,
      ToLongFunction<GoldenSignal> part) {
    long[] counted = new long[2];
    readUntil(
        kafka,
        Topics.SIGNALS,
        GoldenSignal.class,
        (key, signal) -> {
          if (series.equals(key)) {
            counted[0] += total.applyAsLong(signal);
            counted[1] += part.applyAsLong(signal);
          }
          return counted[0] >= until;
        });
    return counted;
  }

  /**
   * Logs {@code errors} ERROR and {@code infos} INFO records of {@code service} through the
   * OpenTelemetry SDK's OTLP/HTTP log exporter to the collector, and waits for their export.
   */
  private static void logBurst(Stack stack, String service, int errors, int infos) {
    try (SdkLoggerProvider logs =
        SdkLoggerProvider.builder()
            .setResource(
                Resource.getDefault()
                    .merge(Resource.builder().put("service.name", service).build()))
            .addLogRecordProcessor(
                BatchLogRecordProcessor.builder(
                        OtlpHttpLogRecordExporter.builder()
                            .setEndpoint(
                                "http://127.0.0.1:" + stack.collector.otlpHttpPort() + "/v1/logs")
                            .build())
                    .build())
            .build()) {
      Logger logger = logs.get("e2e");
      for (int i = 0; i < errors + infos; i++) {
        logger
            .logRecordBuilder()
            .setSeverity(i < errors ? Severity.ERROR : Severity.INFO)
            .setBody(i < errors ? "payment " + i + " failed" : "payment " + i + " taken")
            .emit();
      }
      assertThat(logs.forceFlush().join(30, TimeUnit.SECONDS).isSuccess())
          .as("the collector took the log records")
          .isTrue();
    }
  }

  /** The first Slack post whose body contains {@code text}. */
  private static SlackPost awaitPostContaining(SlackSink slack, String text, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (SlackPost post : slack.posts()) {
        if (post.body().contains(text)) {
          return post;
        }
      }
      assertThat(System.nanoTime()).as("a Slack post with " + text).isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(100); // polling the sink with a deadline
    }
  }

  /** The first live record of {@code series} with both CPU and memory (at most 60 s). */
  private static GoldenSignal liveSaturation(EmbeddedKafka kafka, String series) {
    AtomicReference<GoldenSignal> found = new AtomicReference<>();
    boolean seen =
        readUntil(
            kafka,
            Topics.SIGNALS_LIVE,
            GoldenSignal.class,
            (key, s) -> {
              boolean both =
                  series.equals(key)
                      && s.saturation() != null
                      && s.saturation().cpuUtilization() != null
                      && s.saturation().memoryUtilization() != null;
              found.set(both ? s : null);
              return both;
            });
    assertThat(seen).as("a live saturation record of " + series + " within 60 s").isTrue();
    return found.get();
  }

  /** The first lag record of {@code job} on {@code topic} in vigil.pipeline-runs (at most 60 s). */
  private static PipelineRun firstLagRecord(EmbeddedKafka kafka, String job, String topic) {
    AtomicReference<PipelineRun> found = new AtomicReference<>();
    boolean seen =
        readUntil(
            kafka,
            Topics.PIPELINE_RUNS,
            PipelineRun.class,
            (key, run) -> {
              boolean lag = job.equals(key) && run.lag() != null && topic.equals(run.lag().topic());
              found.set(lag ? run : null);
              return lag;
            });
    assertThat(seen).as("a lag record of " + job + " on " + topic + " within 60 s").isTrue();
    return found.get();
  }

  /**
   * Lets a poll go on while the index does not exist yet (404) or its shard is not yet allocated
   * (503 {@code no_shard_available_action_exception}, seen on a data stream created a moment ago);
   * any other error fails the test.
   */
  private static void rethrowUnlessNotYetSearchable(Exception e) throws Exception {
    int status =
        e instanceof co.elastic.clients.elasticsearch._types.ElasticsearchException es
            ? es.status()
            : ((co.elastic.clients.transport.TransportException) e).statusCode();
    if (status != 404 && status != 503) {
      throw e;
    }
  }

  /** The first document of {@code index} whose {@code field} is {@code value} (at most 60 s). */
  private static ObjectNode awaitDocumentWhere(
      ElasticsearchClient es, String index, String field, String value) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        var found =
            es.search(
                q -> q.index(index).query(t -> t.term(f -> f.field(field).value(value))),
                ObjectNode.class);
        if (!found.hits().hits().isEmpty()) {
          return found.hits().hits().get(0).source();
        }
      } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException
          | co.elastic.clients.transport.TransportException e) {
        rethrowUnlessNotYetSearchable(e); // the data stream is created with its first document
      }
      assertThat(System.nanoTime())
          .as("a document of " + index + " with " + field + "=" + value)
          .isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(500); // polling an index with a deadline
    }
  }

  /** 1 − MemAvailable / MemTotal, as the kernel tells it now. */
  private static double memoryInUse() throws IOException {
    Map<String, Long> kb = new java.util.HashMap<>();
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      String[] parts = line.split("\\s+");
      kb.put(parts[0], Long.parseLong(parts[1]));
    }
    return 1 - kb.get("MemAvailable:") / (double) kb.get("MemTotal:");
  }

  private static String burstPoint(long startNanos, long timeNanos, long each) {
    return """
        {"resourceMetrics": [{
          "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "burst"}}]},
          "scopeMetrics": [{"scope": {"name": "burst"}, "metrics": [{
            "name": "http.server.request.duration", "unit": "s",
            "histogram": {"aggregationTemporality": 2, "dataPoints": [
              %s, %s]}}]}]}]}
        """
        .formatted(
            dataPoint(startNanos, timeNanos, each, 200),
            dataPoint(startNanos, timeNanos, each, 500));
  }

  private static String dataPoint(long startNanos, long timeNanos, long count, int status) {
    return """
        {"startTimeUnixNano": "%d", "timeUnixNano": "%d", "count": "%d",
         "explicitBounds": [0.1, 1], "bucketCounts": ["0", "%d", "0"],
         "attributes": [{"key": "http.response.status_code", "value": {"intValue": "%d"}}]}
        """
        .formatted(startNanos, timeNanos, count, count, status);
  }

  /**
   * Collector, processor and alerting on their defaults (ports aside, and a routing tree that
   * notifies without waiting to group), as one pipeline.
   */
  private static final class Stack implements AutoCloseable {
    final CollectorService collector;
    final ProcessorService processor;
    final AlertingService alerting;

    Stack(
        EmbeddedKafka kafka,
        EmbeddedElasticsearch elasticsearch,
        SlackSink slack,
        SmtpSink smtp,
        Path dir)
        throws IOException {
      this(kafka, elasticsearch, slack, smtp, dir, "", "");
    }

    /**
     * The same with {@code moreRules} (rule groups, YAML list items) after the golden-signal group
     * and {@code moreCollector} (top-level YAML sections) in the collector's configuration.
     */
    Stack(
        EmbeddedKafka kafka,
        EmbeddedElasticsearch elasticsearch,
        SlackSink slack,
        SmtpSink smtp,
        Path dir,
        String moreRules,
        String moreCollector)
        throws IOException {
      Path rules =
          Files.writeString(
              dir.resolve("rules.yaml"),
              """
              groups:
                - name: golden-signals
                  rules:
                    - alert: HighErrorRatio
                      expr: errors.ratio > 0.05
                      for: 0s
                      labels: {severity: critical}
                      annotations:
                        summary: "{{ $labels.service }} fails {{ $value }} of its requests"
              """
                  + moreRules);
      Path alertmanager =
          Files.writeString(
              dir.resolve("alertmanager.yml"),
              """
              global:
                slack_api_url: '%s'
                smtp_smarthost: '%s:%d'
                smtp_from: 'vigil@example.org'
                smtp_require_tls: false
              route:
                receiver: oncall
                group_wait: 0s       # Alertmanager's default is 30s
                group_interval: 5s
              receivers:
                - name: oncall
                  slack_configs: [{channel: '#alerts'}]
                  email_configs: [{to: 'oncall@example.org'}]
              """
                  .formatted(slack.webhookUrl(), smtp.host(), smtp.port()));
      String bootstrap = kafka.bootstrapServers();
      PrometheusRegistry registry = new PrometheusRegistry();
      collector =
          CollectorService.start(
              load(
                  """
                  kafka: {bootstrap_servers: %s}
                  otlp: {grpc: {host: 127.0.0.1, port: 0}, http: {host: 127.0.0.1, port: 0}}
                  admin: {host: 127.0.0.1, port: 0}
                  """
                          .formatted(bootstrap)
                      + moreCollector,
                  CollectorConfig.class),
              registry);
      processor =
          ProcessorService.start(
              load(
                  """
                  kafka: {bootstrap_servers: %s}
                  application_id: e2e-processor
                  state_dir: '%s'
                  admin: {host: 127.0.0.1, port: 0}
                  """
                      .formatted(bootstrap, dir.resolve("state")),
                  ProcessorConfig.class),
              registry);
      alerting =
          AlertingService.start(
              load(
                  """
                  kafka: {bootstrap_servers: %s}
                  rule_files: ['%s']
                  alertmanager_config: '%s'
                  elasticsearch: {url: '%s'}
                  state_dir: '%s'
                  admin: {host: 127.0.0.1, port: 0}
                  """
                      .formatted(
                          bootstrap,
                          rules,
                          alertmanager,
                          elasticsearch.url(),
                          dir.resolve("alerting-state")),
                  AlertingConfig.class),
              registry);
    }

    String otlpUrl() {
      return "http://127.0.0.1:" + collector.otlpHttpPort() + "/v1/metrics";
    }

    void awaitProcessorRunning() throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!processor.isRunning()) {
        assertThat(System.nanoTime()).as("processor running within 60 s").isLessThan(deadline);
        TimeUnit.MILLISECONDS.sleep(100); // polling interval with a deadline
      }
    }

    @Override
    public void close() {
      alerting.close();
      processor.close();
      collector.close();
    }
  }

  private static <T> T load(String yaml, Class<T> type) {
    return ConfigLoader.load(yaml, Map.of(), type);
  }

  private static JsonNode firingAlertFromApi(int port) throws IOException, InterruptedException {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v2/alerts"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode alerts = io.vigil.model.json.Json.mapper().readTree(response.body());
    assertThat(alerts).isNotEmpty();
    return alerts.get(0);
  }

  private static GetResponse<ObjectNode> awaitDocument(
      ElasticsearchClient es, String index, String id, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        GetResponse<ObjectNode> doc = es.get(g -> g.index(index).id(id), ObjectNode.class);
        if (doc.found()) {
          return doc;
        }
      } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException
          | co.elastic.clients.transport.TransportException e) {
        rethrowUnlessNotYetSearchable(e); // index not created yet
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no document " + index + "/" + id + " within " + timeout);
      }
      TimeUnit.MILLISECONDS.sleep(200); // polling interval with a deadline
    }
  }

  /** A service instrumented with the OpenTelemetry SDK whose requests fail half the time. */
  private static final class FailingService implements AutoCloseable {
    private final SdkMeterProvider meters;
    private final ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();

    FailingService(String url) {
      meters =
          SdkMeterProvider.builder()
              .setResource(
                  Resource.getDefault()
                      .merge(
                          Resource.create(
                              Attributes.builder()
                                  .put("service.name", "checkout")
                                  .put("k8s.namespace.name", "shop")
                                  .build())))
              .registerMetricReader(
                  PeriodicMetricReader.builder(
                          OtlpHttpMetricExporter.builder().setEndpoint(url).build())
                      .setInterval(Duration.ofMillis(500))
                      .build())
              .build();
      DoubleHistogram duration =
          meters.get("e2e").histogramBuilder("http.server.request.duration").setUnit("s").build();
      Attributes ok = Attributes.of(STATUS, 200L);
      Attributes failed = Attributes.of(STATUS, 503L);
      load.scheduleAtFixedRate(
          () -> {
            duration.record(0.020, ok);
            duration.record(0.350, failed);
          },
          0,
          10,
          TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
      load.shutdownNow();
      meters.close();
    }
  }
}
