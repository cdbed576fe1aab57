package io.vigil.collector;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import java.io.IOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9's outage proof: the broker is stopped for 30 s in the middle of a load of OTLP requests
 * and of log lines being written, then started again on the same address and data. Afterwards,
 * counted one by one: every request the collector acknowledged is in {@code otlp_metrics} (at least
 * once; duplicates are counted), every log line is in {@code otlp_logs} exactly once. Without a
 * spool, readiness turns red while the broker is away and green by itself when it is back.
 */
class BrokerOutageIT {
  private static final Duration OUTAGE = Duration.ofSeconds(30); // as system-test scenario 5
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern KAFKA_UP = Pattern.compile("(?m)^vigil_collector_kafka_up (\\S+)$");
  private static final Pattern SPOOL_BYTES =
      Pattern.compile("(?m)^vigil_collector_spool_bytes (\\S+)$");

  @TempDir Path root;

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void acknowledgedEqualsInKafkaAcrossAThirtySecondOutage() throws Exception {
    int port = freePort();
    Path kafkaData = root.resolve("kafka");
    Path logDir = Files.createDirectories(root.resolve("pods/shop_app-1_uid-1/app"));
    CollectorConfig config = spooledAndTailing(port, "outage-node");

    EmbeddedKafka kafka = EmbeddedKafka.start(port, kafkaData);
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger linesWritten = new AtomicInteger();
    CountDownLatch stop = new CountDownLatch(1);
    ExecutorService load = Executors.newFixedThreadPool(3);
    try (CollectorService collector = CollectorService.start(config, new PrometheusRegistry())) {
      awaitTrue("collector ready", () -> status(collector.adminPort(), "/readyz") == 200);
      for (int sender = 0; sender < 2; sender++) {
        String name = "sender" + sender;
        load.submit(() -> send(collector.otlpHttpPort(), name, acknowledged, refused, stop));
      }
      Future<?> writer = load.submit(() -> write(logDir.resolve("0.log"), linesWritten, stop));

      awaitTrue("load under way", () -> acknowledged.size() >= 500);
      kafka.close();
      long outageStarted = System.nanoTime();
      int ackedAtOutage = acknowledged.size();
      awaitTrue("kafka_up 0 once the broker is gone", () -> kafkaUp(collector) == 0);
      double secondsToNotice = (System.nanoTime() - outageStarted) / 1e9;
      // The spool takes the data: the collector stays ready and keeps answering 200.
      assertThat(status(collector.adminPort(), "/readyz")).isEqualTo(200);
      waitOut(outageStarted, OUTAGE);
      int ackedInOutage = acknowledged.size() - ackedAtOutage;
      assertThat(ackedInOutage).as("requests answered from the spool").isPositive();
      assertThat(spoolBytes(collector)).isPositive();

      kafka = EmbeddedKafka.start(port, kafkaData);
      awaitTrue("kafka_up 1 once the broker is back", () -> kafkaUp(collector) == 1);
      stop.countDown();
      writer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      load.shutdown();
      assertThat(load.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      awaitTrue("spool drained", () -> spoolBytes(collector) == 0);
      awaitTrue(
          "every log line shipped", () -> collector.logRecordsShipped() >= linesWritten.get());

      Map<String, Integer> requestsInKafka = requestsIn(kafka);
      Map<String, Integer> linesInKafka = linesIn(kafka);
      long duplicates =
          requestsInKafka.entrySet().stream()
              .filter(e -> acknowledged.contains(e.getKey()))
              .mapToLong(e -> e.getValue() - 1)
              .sum();
      System.out.printf(
          "broker outage %d s: %d requests acknowledged (%d during the outage, %d refused),"
              + " %d in Kafka, %d duplicates; %d log lines written, %d in Kafka;"
              + " kafka_up 0 after %.1f s%n",
          OUTAGE.toSeconds(),
          acknowledged.size(),
          ackedInOutage,
          refused.get(),
          acknowledged.stream().filter(requestsInKafka::containsKey).count(),
          duplicates,
          linesWritten.get(),
          linesInKafka.size(),
          secondsToNotice);

      assertThat(acknowledged)
          .as("every acknowledged request is in Kafka")
          .allMatch(requestsInKafka::containsKey);
      assertThat(linesInKafka).as("distinct log lines in Kafka").hasSize(linesWritten.get());
      assertThat(linesInKafka.values()).as("each log line once").allMatch(n -> n == 1);
    } finally {
      stop.countDown();
      load.shutdownNow();
      kafka.close();
    }
  }

  /**
   * Without a spool: readiness follows the broker, and a request sent just as the broker goes is
   * answered 503 once the probe finds it gone (its port refuses connections: within about a
   * second), not after the 30 s its {@code request_timeout} would allow.
   */
  @Test
  void withoutASpoolReadinessFollowsTheBroker() throws Exception {
    int port = freePort();
    Path kafkaData = root.resolve("kafka");
    EmbeddedKafka kafka = EmbeddedKafka.start(port, kafkaData);
    CollectorConfig config =
        CollectorConfig.load(
            """
            kafka: {bootstrap_servers: '127.0.0.1:%d'}
            otlp:
              grpc: {host: 127.0.0.1, port: 0}
              http: {host: 127.0.0.1, port: 0, request_timeout: 30s}
            admin: {host: 127.0.0.1, port: 0}
            """
                .formatted(port),
            Map.of());
    try (CollectorService collector = CollectorService.start(config, new PrometheusRegistry())) {
      awaitTrue("ready with the broker up", () -> status(collector.adminPort(), "/readyz") == 200);

      kafka.close();
      long lost = System.nanoTime();
      HttpResponse<String> atTheLoss = post(collector.otlpHttpPort(), "at-the-loss");
      double answeredAfter = (System.nanoTime() - lost) / 1e9;
      assertThat(atTheLoss.statusCode()).isEqualTo(503);
      assertThat(answeredAfter)
          .as("answered once the probe lost Kafka, not after request_timeout (30 s)")
          .isLessThan(15);
      awaitTrue("red without the broker", () -> status(collector.adminPort(), "/readyz") == 503);
      HttpResponse<String> refused = post(collector.otlpHttpPort(), "while-down");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.headers().firstValue("Retry-After")).isPresent();

      kafka = EmbeddedKafka.start(port, kafkaData);
      awaitTrue(
          "green by itself once the broker is back",
          () -> status(collector.adminPort(), "/readyz") == 200);
      assertThat(post(collector.otlpHttpPort(), "after-return").statusCode()).isEqualTo(200);
    } finally {
      kafka.close();
    }
  }

  /**
   * A node's agent starts while Kafka is away (a cluster coming back from an outage): it serves at
   * once from its spool, and once the broker comes, the topics are created, the spool drains and
   * the log lines written since the collector started are tailed — every one once; what a file
   * already held at the start is skipped ({@code start_at: end}, a first start).
   */
  @Test
  void startsWithoutTheBrokerAndShipsEverythingOnceItComes() throws Exception {
    int port = freePort(); // nothing listens there yet
    Path logDir = Files.createDirectories(root.resolve("pods/shop_app-1_uid-1/app"));
    Path oldLog = Files.createDirectories(root.resolve("pods/shop_db-1_uid-2/db")).resolve("0.log");
    Files.writeString(oldLog, "2024-05-01T10:00:00.000000000Z stdout F old line\n".repeat(50));
    CollectorConfig config = spooledAndTailing(port, "late-broker-node");
    EmbeddedKafka kafka = null;
    try (CollectorService collector = CollectorService.start(config, new PrometheusRegistry())) {
      assertThat(status(collector.adminPort(), "/readyz"))
          .as("ready: the spool takes data")
          .isEqualTo(200);
      assertThat(kafkaUp(collector)).isZero();
      Set<String> acknowledged = new HashSet<>();
      for (int n = 0; n < 20; n++) {
        HttpResponse<String> answer = post(collector.otlpHttpPort(), "before-" + n);
        assertThat(answer.statusCode())
            .as("answer without a broker: %s", answer.body())
            .isEqualTo(200);
        acknowledged.add("before-" + n);
      }
      try (Writer out = Files.newBufferedWriter(logDir.resolve("0.log"), StandardCharsets.UTF_8)) {
        for (int n = 0; n < 200; n++) {
          out.write("2024-05-01T10:00:00.000000000Z stdout F early line " + n + "\n");
        }
      }
      StringBuilder appended = new StringBuilder();
      for (int n = 0; n < 30; n++) {
        appended
            .append("2024-05-01T10:00:00.000000000Z stdout F appended line ")
            .append(n)
            .append('\n');
      }
      Files.writeString(oldLog, appended, StandardOpenOption.APPEND);
      assertThat(collector.logRecordsShipped()).as("nothing tailed without Kafka").isZero();

      kafka = EmbeddedKafka.start(port, root.resolve("kafka"));
      awaitTrue("every new log line shipped", () -> collector.logRecordsShipped() >= 230);
      awaitTrue("spool drained", () -> spoolBytes(collector) == 0);

      Map<String, Integer> requests = requestsIn(kafka);
      Map<String, Integer> lines = linesIn(kafka);
      assertThat(acknowledged).as("acknowledged requests in Kafka").allMatch(requests::containsKey);
      assertThat(lines)
          .as("distinct log lines in Kafka")
          .hasSize(230)
          .doesNotContainKey("old line");
      assertThat(lines.values()).as("each log line once").allMatch(n -> n == 1);
    } finally {
      if (kafka != null) {
        kafka.close();
      }
    }
  }

  @Test
  void withoutASpoolItStartsRedAndTurnsGreenWhenTheBrokerComes() throws Exception {
    int port = freePort();
    EmbeddedKafka kafka = null;
    try (CollectorService collector =
        CollectorService.start(
            TestRequests.localCollector("127.0.0.1:" + port), new PrometheusRegistry())) {
      assertThat(status(collector.adminPort(), "/readyz")).isEqualTo(503);
      assertThat(post(collector.otlpHttpPort(), "while-absent").statusCode()).isEqualTo(503);

      kafka = EmbeddedKafka.start(port, root.resolve("kafka"));
      awaitTrue(
          "green by itself once the broker is there",
          () -> status(collector.adminPort(), "/readyz") == 200);
      awaitTrue(
          "requests taken once the topics exist",
          () -> {
            try {
              return post(collector.otlpHttpPort(), "after").statusCode() == 200;
            } catch (IOException | InterruptedException e) {
              return false;
            }
          });
      assertThat(requestsIn(kafka)).containsKey("after");
    } finally {
      if (kafka != null) {
        kafka.close();
      }
    }
  }

  /**
   * A collector on Kafka at {@code port} with a spool and a tailer of {@code root/pods}' CRI files
   * (offsets kept under {@code checkpointId}).
   */
  private CollectorConfig spooledAndTailing(int port, String checkpointId) {
    return CollectorConfig.load(
        """
        kafka: {bootstrap_servers: '127.0.0.1:%d'}
        otlp: {grpc: {host: 127.0.0.1, port: 0}, http: {host: 127.0.0.1, port: 0}}
        admin: {host: 127.0.0.1, port: 0}
        spool: {dir: '%s'}
        logs:
          enabled: true
          include: ['%s/pods/*/*/*.log']
          checkpoint_id: %s
          poll_interval: 100ms
        """
            .formatted(port, root.resolve("spool"), root, checkpointId),
        Map.of());
  }

  /** One sender: requests one after another, each with its own id as the service name. */
  private void send(
      int port, String name, Set<String> acknowledged, AtomicInteger refused, CountDownLatch stop) {
    for (int n = 0; stop.getCount() > 0; n++) {
      String id = name + "-" + n;
      try {
        if (post(port, id).statusCode() == 200) {
          acknowledged.add(id);
        } else {
          refused.incrementAndGet();
        }
      } catch (IOException e) {
        refused.incrementAndGet();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private HttpResponse<String> post(int port, String id) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/metrics"))
            .header("Content-Type", "application/x-protobuf")
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofByteArray(TestRequests.metrics(1, id).toByteArray()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The application: a line every millisecond or so, flushed in blocks of 10, until stopped. */
  private static Void write(Path file, AtomicInteger written, CountDownLatch stop)
      throws IOException, InterruptedException {
    try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      int n = 0;
      while (!stop.await(10, TimeUnit.MILLISECONDS)) { // the application's pace
        for (int i = 0; i < 10; i++, n++) {
          out.write("2024-05-01T10:00:00.000000000Z stdout F line " + n + "\n");
        }
        out.flush();
        written.set(n);
      }
    }
    return null;
  }

  private static Map<String, Integer> requestsIn(EmbeddedKafka kafka) throws IOException {
    Map<String, Integer> ids = new HashMap<>();
    try (TopicTail all = TopicTail.fromStart(kafka.bootstrapServers(), Topics.OTLP_METRICS)) {
      for (ConsumerRecord<byte[], byte[]> record : all.toEnd(WAIT)) {
        for (ResourceMetrics rm :
            ExportMetricsServiceRequest.parseFrom(record.value()).getResourceMetricsList()) {
          String id = rm.getResource().getAttributes(0).getValue().getStringValue();
          ids.merge(id, 1, Integer::sum);
        }
      }
    }
    return ids;
  }

  private static Map<String, Integer> linesIn(EmbeddedKafka kafka) throws IOException {
    Map<String, Integer> lines = new HashMap<>();
    try (TopicTail all = TopicTail.fromStart(kafka.bootstrapServers(), Topics.OTLP_LOGS)) {
      for (ConsumerRecord<byte[], byte[]> record : all.toEnd(WAIT)) {
        for (ResourceLogs rl :
            ExportLogsServiceRequest.parseFrom(record.value()).getResourceLogsList()) {
          for (ScopeLogs sl : rl.getScopeLogsList()) {
            for (LogRecord log : sl.getLogRecordsList()) {
              lines.merge(log.getBody().getStringValue(), 1, Integer::sum);
            }
          }
        }
      }
    }
    return lines;
  }

  private double kafkaUp(CollectorService collector) {
    return metric(collector, KAFKA_UP);
  }

  private double spoolBytes(CollectorService collector) {
    return metric(collector, SPOOL_BYTES);
  }

  private double metric(CollectorService collector, Pattern pattern) {
    Matcher m = pattern.matcher(TestRequests.adminMetrics(collector.adminPort()));
    assertThat(m.find()).as("%s in /metrics", pattern).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private int status(int port, String path) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** Polls {@code condition} every 50 ms until it holds; fails after {@link #WAIT}. */
  private static void awaitTrue(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("%s within %s", what, WAIT).isLessThan(deadline);
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  /** The outage lasts its length: the scenario, not a synchronisation. */
  private static void waitOut(long startedNanos, Duration length) throws InterruptedException {
    long left = startedNanos + length.toNanos() - System.nanoTime();
    if (left > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      return socket.getLocalPort();
    }
  }
}
