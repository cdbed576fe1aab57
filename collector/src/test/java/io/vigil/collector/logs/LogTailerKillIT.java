package io.vigil.collector.logs;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.vigil.collector.TopicTail;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.process.ChildJvm;
import io.vigil.model.Topics;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.TopicInitializer;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9's proof for log files: a tailer in its own JVM is killed with SIGKILL while an
 * application keeps writing; a second one takes over from the offsets in Kafka. Every line is in
 * {@code otlp_logs} exactly once — none lost, none twice — counted line by line.
 */
@WithKafka
@Tag("long") // -Pfaults; every build runs the same proof as system-tests' scenario 4
class LogTailerKillIT {
  private static final int LINES = 30_000;
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern READY = Pattern.compile("tailing (ready)");

  @TempDir Path root;

  @Test
  void noLineLostNoneTwiceAcrossAKill(EmbeddedKafka kafka) throws Exception {
    TopicInitializer.ensureTopics(
        KafkaSettings.of(kafka.bootstrapServers()),
        Set.of(Topics.OTLP_LOGS, Topics.LOG_OFFSETS),
        Map.of(Topics.LOG_OFFSETS, Map.of("cleanup.policy", "compact")));
    Path dir = root.resolve("pods/shop_writer-1_uid-1/app");
    Files.createDirectories(dir);
    Path file = dir.resolve("0.log");
    List<String> args =
        List.of(kafka.bootstrapServers(), root + "/pods/*/*/*.log", "kill-test-node");

    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_LOGS)) {
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> write(file));
      List<String> seen = new ArrayList<>();
      try (ChildJvm first = ChildJvm.start("tailer-1", LogTailerProcess.class, args, READY, WAIT)) {
        collect(tail, seen, LINES / 4);
        first.kill(); // SIGKILL, mid-stream: a transaction may be open
      }
      try (ChildJvm second =
          ChildJvm.start("tailer-2", LogTailerProcess.class, args, READY, WAIT)) {
        writer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        collect(tail, seen, LINES);
      } // closed only once every line was seen: anything sent twice would now be in the topic
      seen.addAll(bodies(tail.toEnd(WAIT)));

      assertThat(seen).as("lines in Kafka, counting duplicates").hasSize(LINES);
      Set<String> distinct = new HashSet<>(seen);
      for (int i = 0; i < LINES; i++) {
        assertThat(distinct).contains("line " + i);
      }
    }
  }

  /** The application: 30,000 lines in blocks of 100, a block every 5 ms. */
  private static void write(Path file) {
    try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 0; i < LINES; i++) {
        out.write("2024-05-01T10:00:00.000000000Z stdout F line " + i + "\n");
        if (i % 100 == 99) {
          out.flush();
          TimeUnit.MILLISECONDS.sleep(5); // the application's pace, not synchronisation
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void collect(TopicTail tail, List<String> seen, int atLeast) throws IOException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (seen.size() < atLeast) {
      assertThat(System.nanoTime()).as("%d lines within %s", atLeast, WAIT).isLessThan(deadline);
      seen.addAll(bodies(tail.await(1, Duration.ofMillis(200))));
    }
  }

  private static List<String> bodies(List<ConsumerRecord<byte[], byte[]>> records)
      throws IOException {
    List<String> bodies = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      for (ResourceLogs rl :
          ExportLogsServiceRequest.parseFrom(record.value()).getResourceLogsList()) {
        for (ScopeLogs sl : rl.getScopeLogsList()) {
          for (LogRecord log : sl.getLogRecordsList()) {
            bodies.add(log.getBody().getStringValue());
          }
        }
      }
    }
    return bodies;
  }
}
