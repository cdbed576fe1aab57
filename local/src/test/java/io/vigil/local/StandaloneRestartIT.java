package io.vigil.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil standalone} from the packaged jar, as a user runs it: what the collector
 * acknowledged before a restart is still in the embedded broker after it, because the broker keeps
 * its data in {@code embedded_kafka.data_dir}.
 */
class StandaloneRestartIT {
  private static final Path JAR = Path.of("target", "vigil-local.jar");
  private static final Pattern PORTS = Pattern.compile("OTLP/HTTP on :(\\d+)");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  @Test
  void whatWasAcknowledgedBeforeARestartIsThereAfterIt(@TempDir Path dir) throws Exception {
    int kafkaPort = freePort();
    Path config = writeConfig(dir, kafkaPort);
    HttpClient http = HttpClient.newHttpClient();

    Standalone first = Standalone.start(config, dir.resolve("first.log"));
    try {
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + first.otlpHttpPort() + "/v1/metrics"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(metrics("before-restart")))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    } finally {
      first.stop();
    }
    assertThat(dir.resolve("kafka")).isDirectory();

    Standalone second = Standalone.start(config, dir.resolve("second.log"));
    try {
      assertThat(otlpMetricsRecords("127.0.0.1:" + kafkaPort))
          .anyMatch(value -> value.contains("before-restart"));
    } finally {
      second.stop();
    }
  }

  private static Path writeConfig(Path dir, int kafkaPort) throws IOException {
    Path rules =
        Files.writeString(
            dir.resolve("rules.yaml"),
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: errors.ratio > 0.5\n");
    Path routing =
        Files.writeString(
            dir.resolve("alertmanager.yml"), "route: {receiver: r}\nreceivers:\n- name: r\n");
    String kafka = "  kafka: {bootstrap_servers: '127.0.0.1:" + kafkaPort + "'}\n";
    String admin = "  admin: {host: 127.0.0.1, port: 0}\n";
    return Files.writeString(
        dir.resolve("standalone.yaml"),
        "embedded_kafka:\n  port: "
            + kafkaPort
            + "\n  data_dir: '"
            + dir.resolve("kafka")
            + "'\ncollector:\n"
            + kafka
            + admin
            + "  otlp: {grpc: {host: 127.0.0.1, port: 0}, http: {host: 127.0.0.1, port: 0}}\n"
            + "processor:\n"
            + kafka
            + admin
            + "  state_dir: '"
            + dir.resolve("processor")
            + "'\nalerting:\n"
            + kafka
            + admin
            + "  state_dir: '"
            + dir.resolve("alerting")
            + "'\n  rule_files: ['"
            + rules
            + "']\n  alertmanager_config: '"
            + routing
            + "'\n  elasticsearch: {url: 'http://127.0.0.1:1'}\n");
  }

  private static String metrics(String service) {
    long now = System.currentTimeMillis() * 1_000_000L;
    return """
        {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name",\
        "value":{"stringValue":"%s"}}]},"scopeMetrics":[{"metrics":[{"name":"probe",\
        "gauge":{"dataPoints":[{"asDouble":1,"timeUnixNano":"%d"}]}}]}]}]}"""
        .formatted(service, now);
  }

  /** Every record of {@code otlp_metrics}, as text (the protobuf keeps strings readable). */
  private static List<String> otlpMetricsRecords(String bootstrap) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor("otlp_metrics", Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      var end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
          && System.nanoTime() < deadline) {
        consumer
            .poll(Duration.ofMillis(200))
            .forEach(r -> values.add(new String(r.value(), StandardCharsets.ISO_8859_1)));
      }
    }
    return values;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      return socket.getLocalPort();
    }
  }

  /** One {@code java -jar vigil-local.jar standalone} process, stopped by its PID. */
  private record Standalone(Process process, Path log, int otlpHttpPort) {
    static Standalone start(Path config, Path log) throws Exception {
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      Process process =
          new ProcessBuilder(
                  java.toString(),
                  "-Xmx512m",
                  "-jar",
                  JAR.toString(),
                  "standalone",
                  "--config",
                  config.toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline && process.isAlive()) {
        Matcher ports = PORTS.matcher(Files.readString(log));
        if (ports.find()) {
          return new Standalone(process, log, Integer.parseInt(ports.group(1)));
        }
        process.waitFor(100, TimeUnit.MILLISECONDS); // wakes early if it dies
      }
      process.destroyForcibly().waitFor();
      throw new AssertionError("standalone did not start:\n" + Files.readString(log));
    }

    /** SIGTERM, as an operator stops it; SIGKILL if it does not stop within 60 s. */
    void stop() throws Exception {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
        throw new AssertionError("standalone did not stop on SIGTERM:\n" + Files.readString(log));
      }
    }
  }
}
