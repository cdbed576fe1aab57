package io.vigil.collector;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads what is written to a topic after it was opened: assigns every partition and starts at the
 * current end, so tests sharing a broker see only their own records ({@link #fromStart} reads it
 * all).
 */
public final class TopicTail implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final List<TopicPartition> partitions;

  /** Opens {@code topic} on {@code bootstrapServers} at its current end. */
  public TopicTail(String bootstrapServers, String topic) {
    this(bootstrapServers, topic, false);
  }

  /** Opens {@code topic} on {@code bootstrapServers} at its beginning: every record it holds. */
  public static TopicTail fromStart(String bootstrapServers, String topic) {
    return new TopicTail(bootstrapServers, topic, true);
  }

  private TopicTail(String bootstrapServers, String topic, boolean fromStart) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    partitions =
        consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .collect(Collectors.toList());
    consumer.assign(partitions);
    if (fromStart) {
      consumer.seekToBeginning(partitions);
    } else {
      consumer.seekToEnd(partitions);
    }
    partitions.forEach(consumer::position); // resolve the position now, not at the first poll
  }

  /** Polls until {@code count} records arrived or {@code timeout} passed; returns what came. */
  public List<ConsumerRecord<byte[], byte[]>> await(int count, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (records.size() < count && System.nanoTime() < deadline) {
      consumer.poll(Duration.ofMillis(100)).forEach(records::add);
    }
    return records;
  }

  /**
   * Everything committed to the topic up to its end as of now: polls until every partition's
   * position reaches the end offset read at the call (for read_committed, the last stable offset).
   */
  public List<ConsumerRecord<byte[], byte[]>> toEnd(Duration timeout) {
    java.util.Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("topic not read to its end within " + timeout);
      }
      consumer.poll(Duration.ofMillis(100)).forEach(records::add);
    }
    return records;
  }

  @Override
  public void close() {
    consumer.close();
  }
}
