package io.vigil.collector.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.kafka.KafkaShipper;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.kafka.KafkaProbe;
import io.vigil.model.kafka.KafkaSettings;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka absent when data comes: every batch is answered once it is on disk, and when a broker
 * appears on that address the spool drains into it — every record, once, in order.
 */
class SpoolingSinkIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void takesDataWhileKafkaIsAwayAndDrainsItInOrderOnceItIsBack() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    KafkaSettings settings = KafkaSettings.of("127.0.0.1:" + port);
    PrometheusRegistry registry = new PrometheusRegistry();
    try (KafkaProbe probe = KafkaProbe.start("collector", settings, registry);
        KafkaShipper shipper =
            KafkaShipper.create(settings, Duration.ofSeconds(5), probe, registry);
        SpoolingSink sink =
            new SpoolingSink(
                shipper,
                probe::isReachable,
                Spool.open(dir, 64 << 20),
                Duration.ofSeconds(5),
                registry)) {
      assertThat(probe.isReachable()).as("no broker yet").isFalse();
      for (int batch = 0; batch < 100; batch++) {
        List<SinkRecord> records = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          int n = batch * 10 + i;
          records.add(new SinkRecord("spooled", "k".getBytes(), ("record " + n).getBytes()));
        }
        // Answered at once: the data is on disk.
        sink.store(records).get(5, TimeUnit.SECONDS);
      }
      assertThat(sink.spooledBytes()).isPositive();
      assertThat(sink.unavailableReason()).isNull();

      try (EmbeddedKafka kafka = EmbeddedKafka.start(port)) {
        kafka.createTopics(1, "spooled");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (sink.spooledBytes() > 0) {
          assertThat(System.nanoTime()).as("spool drained in time").isLessThan(deadline);
          TimeUnit.MILLISECONDS.sleep(50); // polling the spool's size, with a deadline
        }
        // New data after the drain goes straight to Kafka, behind the spooled records.
        sink.store(List.of(new SinkRecord("spooled", "k".getBytes(), "record 1000".getBytes())))
            .get(10, TimeUnit.SECONDS);

        List<String> values = new ArrayList<>();
        try (var consumer =
            new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(
                kafka.clientProperties(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
          var partition = new org.apache.kafka.common.TopicPartition("spooled", 0);
          consumer.assign(List.of(partition));
          consumer.seekToBeginning(List.of(partition));
          while (values.size() < 1001) {
            assertThat(System.nanoTime()).as("records read back in time").isLessThan(deadline);
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
              values.add(new String(r.value(), StandardCharsets.UTF_8));
            }
          }
        }
        List<String> expected = new ArrayList<>();
        for (int n = 0; n <= 1000; n++) {
          expected.add("record " + n);
        }
        assertThat(values).containsExactlyElementsOf(expected);
      }
    }
  }
}
