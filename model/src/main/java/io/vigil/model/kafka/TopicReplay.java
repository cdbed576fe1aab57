package io.vigil.model.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a whole topic once, from the beginning up to the end offsets captured when it starts,
 * without a consumer group (nothing is committed). Used at startup to rebuild state (alerting from
 * {@code vigil.alerts} and {@code vigil.notifications}; the processor's catalog publisher from
 * {@code vigil.catalog}).
 */
public final class TopicReplay {
  private TopicReplay() {}

  /**
   * Hands every record of {@code topic} up to its current end to {@code sink}, in offset order per
   * partition, read by a consumer named {@code clientId}.
   *
   * @return true when the end was reached, false when {@code timeout} ran out first (what was read
   *     until then has been handed over)
   * @throws IllegalStateException when the topic does not exist
   */
  public static boolean replay(
      KafkaSettings kafka,
      String clientId,
      String topic,
      Duration timeout,
      Consumer<ConsumerRecord<byte[], byte[]>> sink) {
    return replay(kafka, clientId, topic, null, timeout, sink);
  }

  /**
   * As {@link #replay(KafkaSettings, String, String, Duration, Consumer)}, starting in each
   * partition at the first record whose timestamp is {@code from} or later ({@code null}: the
   * beginning).
   */
  public static boolean replay(
      KafkaSettings kafka,
      String clientId,
      String topic,
      java.time.Instant from,
      Duration timeout,
      Consumer<ConsumerRecord<byte[], byte[]>> sink) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<byte[], byte[]> consumer = groupless(kafka, clientId)) {
      List<TopicPartition> partitions = new ArrayList<>();
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException(
            "topic " + topic + " does not exist on " + kafka.bootstrapServers());
      }
      for (PartitionInfo p : infos) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(partitions);
      Map<TopicPartition, Long> remaining = new HashMap<>(consumer.endOffsets(partitions, timeout));
      if (from == null) {
        consumer.seekToBeginning(partitions);
      } else {
        Map<TopicPartition, Long> at = new HashMap<>();
        partitions.forEach(p -> at.put(p, from.toEpochMilli()));
        consumer
            .offsetsForTimes(at, timeout)
            .forEach(
                (p, found) -> consumer.seek(p, found == null ? remaining.get(p) : found.offset()));
      }
      while (true) {
        remaining.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
        if (remaining.isEmpty()) {
          return true;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        consumer.pause(complement(partitions, remaining));
        for (ConsumerRecord<byte[], byte[]> r :
            consumer.poll(Duration.ofNanos(Math.min(left, Duration.ofMillis(500).toNanos())))) {
          Long end = remaining.get(new TopicPartition(r.topic(), r.partition()));
          if (end != null && r.offset() < end) {
            sink.accept(r);
          }
        }
      }
    }
  }

  /**
   * A consumer without a group (nothing committed) reading committed records as bytes, for readers
   * that assign partitions themselves.
   */
  public static KafkaConsumer<byte[], byte[]> groupless(KafkaSettings kafka, String clientId) {
    return new KafkaConsumer<>(
        kafka.consumer(
            Map.of(
                ConsumerConfig.CLIENT_ID_CONFIG,
                clientId,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                "false",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName())));
  }

  private static List<TopicPartition> complement(
      List<TopicPartition> all, Map<TopicPartition, Long> remaining) {
    List<TopicPartition> done = new ArrayList<>(all);
    done.removeAll(remaining.keySet());
    return done;
  }
}
