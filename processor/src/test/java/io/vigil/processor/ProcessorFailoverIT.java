package io.vigil.processor;

import static io.vigil.processor.OtlpRequests.cumulative;
import static io.vigil.processor.OtlpRequests.point;
import static io.vigil.processor.OtlpRequests.request;
import static io.vigil.processor.OtlpRequests.resource;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.process.ChildJvm;
import io.vigil.model.Topics;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.signal.GoldenSignal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processors in their own JVMs share the partitions; one is killed with SIGKILL mid-stream. The
 * final windows must still count exactly what was sent: exactly-once hands the dead instance's
 * tasks, with their state, to the survivor, and nothing is lost or counted twice.
 */
@WithKafka
class ProcessorFailoverIT {
  private static final Pattern ADMIN_PORT = Pattern.compile("admin on port (\\d+)");
  private static final Duration DEADLINE = Duration.ofSeconds(120);

  @TempDir Path dir;

  private final List<ChildJvm> processes = new ArrayList<>();

  @AfterEach
  void killProcesses() {
    processes.forEach(ChildJvm::close);
  }

  @Test
  void countsEveryRequestExactlyWhenOneOfTwoInstancesIsKilled(EmbeddedKafka kafka)
      throws Exception {
    String applicationId = "failover-" + UUID.randomUUID().toString().substring(0, 8);
    ChildJvm first = startProcessor(kafka, applicationId, "a");
    ChildJvm second = startProcessor(kafka, applicationId, "b");

    // Twelve services, each exporting cumulative counts every 200 ms, started after the
    // processors: every request they count is new and must land in a final window.
    int services = 12;
    Instant sdkStart = Instant.now();
    long[] counts = new long[services];
    long expected = 0;
    Properties props = kafka.clientProperties();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int tick = 0; tick < 60; tick++) {
        if (tick == 25) {
          first.kill(); // SIGKILL: no close, no commit, no leave-group
        }
        Instant now = Instant.now();
        for (int s = 0; s < services; s++) {
          counts[s] += 3 + s;
          expected += 3 + s;
          producer
              .send(
                  new ProducerRecord<>(
                      Topics.OTLP_METRICS,
                      ("svc-" + s).getBytes(StandardCharsets.UTF_8),
                      request(
                              resource("svc-" + s, applicationId, "failover"),
                              cumulative(point(sdkStart, now, 200, counts[s])))
                          .toByteArray()))
              .get();
        }
        TimeUnit.MILLISECONDS.sleep(200); // the exporters' pace, not synchronisation
      }
    }
    assertThat(second.isAlive()).as("the surviving instance").isTrue();

    Map<String, Long> want = new TreeMap<>();
    for (int s = 0; s < services; s++) {
      want.put("svc-" + s, counts[s]);
    }
    Map<String, Long> counted = countFinalRequests(kafka, applicationId, expected);
    assertThat(counted).as("requests in the final windows, per service").isEqualTo(want);
  }

  private ChildJvm startProcessor(EmbeddedKafka kafka, String applicationId, String name)
      throws IOException, InterruptedException {
    Path config =
        Files.writeString(
            dir.resolve(name + ".yaml"),
            """
            kafka:
              bootstrap_servers: %s
              overrides: {session.timeout.ms: 6000, heartbeat.interval.ms: 1000}
            application_id: %s
            state_dir: '%s'
            window: 2s
            grace: 1s
            admin: {host: 127.0.0.1, port: 0}
            """
                .formatted(kafka.bootstrapServers(), applicationId, dir.resolve(name)));
    ChildJvm process =
        ChildJvm.start(
            name, ProcessorProcess.class, List.of(config.toString()), ADMIN_PORT, DEADLINE);
    processes.add(process);
    return process;
  }

  /**
   * Sums the requests of this test's series on {@code vigil.signals} (read_committed) until the
   * expected total is reached or nothing new arrives for the deadline.
   */
  private static Map<String, Long> countFinalRequests(
      EmbeddedKafka kafka, String namespace, long expected) {
    Properties props = kafka.clientProperties();
    props.putAll(
        Map.of(
            ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
    var signals = JsonSerde.of(GoldenSignal.class).deserializer();
    Map<String, Long> perService = new TreeMap<>();
    long counted = 0;
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            props,
            new StringDeserializer(),
            new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.SIGNALS));
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (counted < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          GoldenSignal signal = signals.deserialize(r.topic(), r.value());
          // A service's own records: its operations' requests are its requests too.
          if (namespace.equals(signal.namespace()) && signal.operation() == null) {
            counted += signal.traffic().requests();
            perService.merge(signal.service(), signal.traffic().requests(), Long::sum);
          }
        }
      }
      // Anything more than expected would be a double count: give it a moment to show.
      long settle = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (System.nanoTime() < settle) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          GoldenSignal signal = signals.deserialize(r.topic(), r.value());
          // A service's own records: its operations' requests are its requests too.
          if (namespace.equals(signal.namespace()) && signal.operation() == null) {
            counted += signal.traffic().requests();
            perService.merge(signal.service(), signal.traffic().requests(), Long::sum);
          }
        }
      }
    }
    return perService;
  }
}
