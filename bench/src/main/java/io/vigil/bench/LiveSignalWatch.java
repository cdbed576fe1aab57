package io.vigil.bench;

import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.signal.GoldenSignal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads {@code vigil.signals.live} (read_committed, from the end) on its own thread and records,
 * for each watched service, how long after its acceptance the first live signal of the service as a
 * whole (not of one of its operations: a new operation's series goes out at once, and the rules of
 * the bench watch the service's) with errors was readable.
 */
final class LiveSignalWatch implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;
  private final Deserializer<GoldenSignal> signals =
      JsonSerde.of(GoldenSignal.class).deserializer();
  private final Thread thread;
  private volatile boolean running = true;

  LiveSignalWatch(String bootstrap, Map<String, Long> acceptedAt, Map<String, Long> latencies) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(io.vigil.model.Topics.SIGNALS_LIVE));
    consumer.poll(Duration.ofSeconds(5)); // join the group before the first trial
    thread =
        new Thread(
            () -> {
              try {
                while (running) {
                  for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                    long now = System.currentTimeMillis();
                    GoldenSignal signal = signals.deserialize(r.topic(), r.value());
                    for (Map.Entry<String, Long> e : acceptedAt.entrySet()) {
                      if (e.getKey().equals(signal.service())
                          && signal.operation() == null
                          && signal.errors() != null
                          && signal.errors().count() > 0) {
                        latencies.putIfAbsent(e.getKey(), now - e.getValue());
                      }
                    }
                  }
                }
              } catch (WakeupException stopping) {
                // close() woke us up
              } finally {
                consumer.close();
              }
            },
            "live-signal-watch");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    thread.join(5000);
  }
}
