package io.vigil.collector.logs;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.vigil.collector.TestRequests;
import io.vigil.collector.TopicTail;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.TopicInitializer;
import io.vigil.model.otlp.OtlpAttributes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The log tailer against a real broker, over files laid out as the kubelet lays them out. */
@WithKafka
class LogTailerIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static KafkaSettings kafka;

  @TempDir Path root;

  @BeforeAll
  static void topics(EmbeddedKafka broker) {
    kafka = KafkaSettings.of(broker.bootstrapServers());
    TopicInitializer.ensureTopics(
        kafka,
        Set.of(Topics.OTLP_LOGS, Topics.LOG_OFFSETS),
        Map.of(Topics.LOG_OFFSETS, Map.of("cleanup.policy", "compact")));
  }

  private LogsSettings settings(String id, String multiline) {
    return new LogsSettings(
        true,
        List.of(root + "/pods/*/*/*.log"),
        List.of(),
        "beginning",
        Duration.ofMillis(50),
        multiline,
        Duration.ofMillis(300),
        4096,
        id,
        Map.of("k8s.cluster.name", "eu-1", "k8s.node.name", "node-a"),
        null,
        null);
  }

  private Path containerLog(String pod, String container) throws IOException {
    Path dir = root.resolve("pods/shop_" + pod + "_0b1c-uid/" + container);
    Files.createDirectories(dir);
    return dir.resolve("0.log");
  }

  private static void append(Path file, String... lines) throws IOException {
    StringBuilder text = new StringBuilder();
    for (String line : lines) {
      text.append(line).append('\n');
    }
    Files.writeString(
        file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private static String cri(String stream, String tag, String content) {
    return "2024-05-01T10:00:00.000000001Z " + stream + " " + tag + " " + content;
  }

  /** Every log record in {@code records}, with its resource. */
  private static List<Map.Entry<ResourceLogs, LogRecord>> logs(
      List<ConsumerRecord<byte[], byte[]>> records) throws IOException {
    List<Map.Entry<ResourceLogs, LogRecord>> logs = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      for (ResourceLogs rl :
          ExportLogsServiceRequest.parseFrom(record.value()).getResourceLogsList()) {
        rl.getScopeLogsList()
            .forEach(sl -> sl.getLogRecordsList().forEach(l -> logs.add(Map.entry(rl, l))));
      }
    }
    return logs;
  }

  /** A tailer with checkpoints of its own (a new checkpoint id), over this test's files. */
  private LogTailer freshTailer() {
    return LogTailer.start(
        settings(UUID.randomUUID().toString(), null), kafka, new PrometheusRegistry());
  }

  /** The bodies of every log record in {@code records}, in order. */
  private static List<String> bodies(List<ConsumerRecord<byte[], byte[]>> records)
      throws IOException {
    return logs(records).stream().map(e -> e.getValue().getBody().getStringValue()).toList();
  }

  private static void await(LongSupplier value, long expected) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (value.getAsLong() < expected && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
    assertThat(value.getAsLong()).isEqualTo(expected);
  }

  @Test
  void shipsContainerLinesWithTheirKubernetesIdentityLevelAndStream() throws Exception {
    Path file = containerLog("checkout-7d9f", "app");
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_LOGS);
        LogTailer tailer = freshTailer()) {
      append(
          file,
          cri("stdout", "F", "started"),
          cri("stderr", "P", "2024-05-01 ERROR payment "),
          cri("stderr", "F", "declined"),
          cri(
              "stdout",
              "F",
              "{\"level\":\"warn\",\"msg\":\"retrying\",\"attempt\":2,"
                  + "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}"),
          cri(
              "stdout",
              "F",
              "time=2024-05-01T12:00:00Z level=ERROR msg=\"card declined\" order=42"));

      await(tailer::recordsShipped, 4);
      List<Map.Entry<ResourceLogs, LogRecord>> logs = logs(tail.toEnd(WAIT));

      assertThat(logs).hasSize(4);
      ResourceLogs resource = logs.get(0).getKey();
      var attributes = resource.getResource().getAttributesList();
      assertThat(OtlpAttributes.get(attributes, "service.name")).isEqualTo("app");
      assertThat(OtlpAttributes.get(attributes, "k8s.namespace.name")).isEqualTo("shop");
      assertThat(OtlpAttributes.get(attributes, "k8s.pod.name")).isEqualTo("checkout-7d9f");
      assertThat(OtlpAttributes.get(attributes, "k8s.pod.uid")).isEqualTo("0b1c-uid");
      assertThat(OtlpAttributes.get(attributes, "k8s.container.name")).isEqualTo("app");
      assertThat(OtlpAttributes.getLong(attributes, "k8s.container.restart_count")).isZero();
      assertThat(OtlpAttributes.get(attributes, "k8s.cluster.name")).isEqualTo("eu-1");
      assertThat(OtlpAttributes.get(attributes, "k8s.node.name")).isEqualTo("node-a");
      LogRecord error = logs.get(1).getValue();
      assertThat(error.getBody().getStringValue()).isEqualTo("2024-05-01 ERROR payment declined");
      assertThat(error.getSeverityNumberValue()).isEqualTo(17);
      assertThat(error.getSeverityText()).isEqualTo("ERROR");
      assertThat(OtlpAttributes.get(error.getAttributesList(), "log.iostream")).isEqualTo("stderr");
      assertThat(error.getTimeUnixNano()).isEqualTo(1714557600000000001L);
      LogRecord json = logs.get(2).getValue();
      assertThat(json.getBody().getStringValue())
          .as("the JSON line's message")
          .isEqualTo("retrying");
      assertThat(json.getSeverityText()).isEqualTo("warn");
      assertThat(OtlpAttributes.get(json.getAttributesList(), "attempt")).isEqualTo("2");
      assertThat(java.util.HexFormat.of().formatHex(json.getTraceId().toByteArray()))
          .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
      LogRecord logfmt = logs.get(3).getValue();
      assertThat(logfmt.getBody().getStringValue())
          .as("the logfmt line's msg")
          .isEqualTo("card declined");
      assertThat(logfmt.getSeverityNumberValue()).isEqualTo(17);
      assertThat(OtlpAttributes.get(logfmt.getAttributesList(), "order")).isEqualTo("42");
    }
  }

  /**
   * A node whose runtime writes Docker's json-file format (dockershim, cri-dockerd): the real file
   * of {@code fixtures/logs}, a split entry joined, each entry's own time and stream kept.
   */
  @Test
  void shipsDockerJsonFileLines() throws Exception {
    Path file = containerLog("legacy-1", "app");
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_LOGS);
        LogTailer tailer = freshTailer()) {
      Files.write(
          file, TestRequests.fixture("fixtures/logs/docker-json-file-with-partial-line.log"));
      append(
          file,
          "{\"log\":\"ERROR payment declined\\n\",\"stream\":\"stderr\","
              + "\"time\":\"2021-02-16T09:15:18.000000001Z\"}");

      await(tailer::recordsShipped, 7);
      List<LogRecord> logs = logs(tail.toEnd(WAIT)).stream().map(Map.Entry::getValue).toList();

      assertThat(logs)
          .extracting(l -> l.getBody().getStringValue())
          .containsExactly(
              "example: 12 Tue Feb 16 09:15:12 UTC 2021",
              "example: 13 (part of log) Tue Feb 16 09:15:13 UTC 2021"
                  + "example: 13 (end of log) Tue Feb 16 09:15:13 UTC 2021",
              "example: 14 Tue Feb 16 09:15:14 UTC 2021",
              "example: 15 Tue Feb 16 09:15:15 UTC 2021",
              "example: 16 Tue Feb 16 09:15:16 UTC 2021",
              "example: 17 Tue Feb 16 09:15:17 UTC 2021",
              "ERROR payment declined");
      assertThat(logs.get(0).getTimeUnixNano()).isEqualTo(1613466912502864860L);
      assertThat(OtlpAttributes.get(logs.get(0).getAttributesList(), "log.iostream"))
          .isEqualTo("stdout");
      LogRecord error = logs.get(6);
      assertThat(OtlpAttributes.get(error.getAttributesList(), "log.iostream")).isEqualTo("stderr");
      assertThat(error.getSeverityNumberValue()).isEqualTo(17);
      assertThat(error.getTimeUnixNano()).isEqualTo(1613466918000000001L);
    }
  }

  @Test
  void aRestartResumesWhereItStoppedAndRotationLosesNothing() throws Exception {
    String id = UUID.randomUUID().toString();
    Path file = containerLog("cart-1", "app");
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_LOGS)) {
      long shipped;
      try (LogTailer first = LogTailer.start(settings(id, null), kafka, new PrometheusRegistry())) {
        write(file, 0, 1000);
        await(first::recordsShipped, 1000);
        shipped = first.recordsShipped();
      }
      write(file, 1000, 1500); // while no tailer runs
      // The kubelet's rotation: rename, then a new file under the old name.
      Files.move(file, file.resolveSibling("0.log.20240501-100000"));
      write(file, 1500, 1800);
      try (LogTailer second =
          LogTailer.start(settings(id, null), kafka, new PrometheusRegistry())) {
        write(file, 1800, 2000);
        await(() -> shipped + second.recordsShipped(), 2000);
      }

      List<String> bodies = bodies(tail.toEnd(WAIT));
      // The renamed file is not matched by *.log, so lines 1000–1499 (written and rotated while no
      // tailer ran) can only have come from it being found again by its inode: each exactly once.
      assertThat(bodies).containsExactlyInAnyOrderElementsOf(lines(0, 2000));
    }
  }

  /**
   * While the tailer runs: the kubelet renames the file and the application (its file still open)
   * writes on into the renamed one, a new file takes the old name; later the new file is deleted
   * with lines in it not yet read. Every line ships exactly once, the renamed file's last lines and
   * the deleted file's too.
   */
  @Test
  void aFileRotatedOrDeletedWhileTailedIsReadToItsEnd() throws Exception {
    Path file = containerLog("rotating-1", "app");
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_LOGS);
        LogTailer tailer = freshTailer()) {
      write(file, 0, 100);
      await(tailer::recordsShipped, 100);
      Path rotated = file.resolveSibling("0.log.20240501-100000");
      Files.move(file, rotated);
      write(rotated, 100, 150); // the application's open file, now under the rotated name
      write(file, 150, 200); // the new file
      await(tailer::recordsShipped, 200);
      write(file, 200, 260);
      Files.delete(file); // whatever the tailer has not read yet comes through its open channel

      await(tailer::recordsShipped, 260);
      List<String> bodies = bodies(tail.toEnd(WAIT));
      assertThat(bodies).containsExactlyInAnyOrderElementsOf(lines(0, 260));
    }
  }

  /**
   * A commit that fails on the tailer's side: once before the broker applied it (the lines are read
   * again), once after (the broker stored it and its answer was lost, as when the client's {@code
   * EndTxn} times out across an outage: the offsets read back say it is stored). Either way every
   * line is in Kafka once and counted once.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aCommitWhoseAnswerIsLostIsCountedByWhatKafkaHolds(boolean applied) throws Exception {
    Path file = containerLog(applied ? "applied-1" : "unapplied-1", "app");
    PrometheusRegistry registry = new PrometheusRegistry();
    AtomicInteger commits = new AtomicInteger();
    Function<Properties, KafkaProducer<byte[], byte[]>> failingFirstCommit =
        config ->
            new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer()) {
              @Override
              public void commitTransaction() {
                boolean first = commits.getAndIncrement() == 0;
                if (first && !applied) {
                  throw new TimeoutException("commit failed before the broker applied it");
                }
                super.commitTransaction();
                if (first) {
                  throw new TimeoutException("the broker applied the commit, its answer was lost");
                }
              }
            };
    write(file, 0, 100);
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_LOGS);
        LogTailer tailer =
            LogTailer.start(
                settings(UUID.randomUUID().toString(), null),
                kafka,
                uid -> Map.of(),
                registry,
                null,
                failingFirstCommit)) {
      await(() -> shipErrors(registry), 1); // the first batch's commit failed
      write(file, 100, 150);

      await(tailer::recordsShipped, 150);
      assertThat(bodies(tail.toEnd(WAIT))).containsExactlyInAnyOrderElementsOf(lines(0, 150));
      assertThat(shipErrors(registry)).isOne();
    }
  }

  private static long shipErrors(PrometheusRegistry registry) {
    return registry.scrape().stream()
        .filter(m -> m.getMetadata().getName().equals("vigil_collector_log_ship_errors"))
        .mapToLong(m -> (long) ((CounterSnapshot) m).getDataPoints().get(0).getValue())
        .sum();
  }

  @Test
  void aCopyTruncatedFileIsReadAgainFromItsStart() throws Exception {
    Path file = containerLog("truncated-1", "app");
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_LOGS);
        LogTailer tailer = freshTailer()) {
      write(file, 0, 100);
      await(tailer::recordsShipped, 100);
      Files.write(file, new byte[0], StandardOpenOption.TRUNCATE_EXISTING);
      write(file, 100, 110);

      await(tailer::recordsShipped, 110);
      assertThat(logs(tail.toEnd(WAIT))).hasSize(110);
    }
  }

  @Test
  void joinsAStackTraceAndCutsAnOverlongLine() throws Exception {
    Path file = containerLog("api-2", "app");
    PrometheusRegistry registry = new PrometheusRegistry();
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_LOGS);
        LogTailer tailer =
            LogTailer.start(settings(UUID.randomUUID().toString(), "^\\S"), kafka, registry)) {
      append(
          file,
          cri("stdout", "F", "Exception in thread \"main\" java.lang.IllegalStateException: boom"),
          cri("stdout", "F", "    at shop.Cart.pay(Cart.java:42)"),
          cri("stdout", "F", "    at shop.Main.main(Main.java:7)"),
          cri("stdout", "F", "x".repeat(10_000)),
          cri("stdout", "F", "after"));

      // "after" is held until the multiline timeout (300 ms) tells it no continuation comes.
      await(tailer::recordsShipped, 3);
      List<String> bodies = bodies(tail.toEnd(WAIT));

      assertThat(bodies).hasSize(3);
      assertThat(bodies.get(0))
          .isEqualTo(
              "Exception in thread \"main\" java.lang.IllegalStateException: boom\n"
                  + "    at shop.Cart.pay(Cart.java:42)\n"
                  + "    at shop.Main.main(Main.java:7)");
      assertThat(bodies.get(1)).hasSize(4096).matches("x+");
      assertThat(bodies.get(2)).isEqualTo("after");
      assertThat(
              registry.scrape().stream()
                  .filter(m -> m.getMetadata().getName().equals("vigil_collector_log_records_cut"))
                  .count())
          .isEqualTo(1);
    }
  }

  /** The bodies {@link #write} writes for {@code [from, to)}. */
  private static List<String> lines(int from, int to) {
    List<String> lines = new ArrayList<>();
    for (int i = from; i < to; i++) {
      lines.add("line " + i);
    }
    return lines;
  }

  private static void write(Path file, int from, int to) throws IOException {
    String[] lines = new String[to - from];
    for (int i = from; i < to; i++) {
      lines[i - from] = cri("stdout", "F", "line " + i);
    }
    append(file, lines);
  }
}
