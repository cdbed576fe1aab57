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

  /** The client settings: the bootstrap servers, and security settings where needed. */
  private final Properties client;

  /** Opens {@code topic} on {@code bootstrapServers} at its current end. */
  public TopicTail(String bootstrapServers, String topic) {
    this(plain(bootstrapServers), topic, false);
  }

  /** Opens {@code topic} at its current end with {@code client} settings (a secured broker's). */
  public TopicTail(Properties client, String topic) {
    this(client, topic, false);
  }

  /** Opens {@code topic} on {@code bootstrapServers} at its beginning: every record it holds. */
  public static TopicTail fromStart(String bootstrapServers, String topic) {
    return new TopicTail(plain(bootstrapServers), topic, true);
  }

  private static Properties plain(String bootstrapServers) {
    Properties client = new Properties();
    client.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return client;
  }

  private TopicTail(Properties client, String topic, boolean fromStart) {
    this.client = client;
    Properties props = new Properties();
    props.putAll(client);
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
   * Everything committed to the topic up to its end as of now: polls (read_committed) until every
   * partition's position reaches its high watermark as read at the call.
   */
  public List<ConsumerRecord<byte[], byte[]>> toEnd(Duration timeout) {
    // The end is the high watermark, not the last stable offset: a transaction whose commit just
    // returned may not have its markers written yet, and its records would be left out. Reading
    // read_committed up to the high watermark waits for them instead.
    java.util.Map<TopicPartition, Long> end;
    Properties props = new Properties();
    props.putAll(client);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    try (KafkaConsumer<byte[], byte[]> watermarks =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      end = watermarks.endOffsets(partitions, timeout);
    }
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
