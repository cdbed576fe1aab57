package io.vigil.collector.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.KafkaSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The tailer's offsets on {@code vigil.collector.log-offsets}: key {@code <id>|<file key>}, value
 * {@code {"path":…,"identity":…,"offset":…}}, a tombstone once the file is gone. Written in the
 * transaction that stores the lines, read back {@code read_committed}, so what is read is exactly
 * what Kafka holds.
 */
final class Checkpoints {
  /** One file's offset as stored. */
  record Checkpoint(String path, String identity, long offset) {}

  private Checkpoints() {}

  static byte[] key(String id, Object fileKey) {
    return (id + "|" + fileKey).getBytes(StandardCharsets.UTF_8);
  }

  static byte[] value(TailedFile file, long offset) {
    ObjectNode node = Json.mapper().createObjectNode();
    node.put("path", file.path.toString());
    node.put("identity", file.identity());
    node.put("offset", offset);
    try {
      return Json.mapper().writeValueAsBytes(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every checkpoint of tailer {@code id}, by file key, as Kafka holds them now. */
  static Map<String, Checkpoint> load(KafkaSettings kafka, String id, Duration timeout) {
    String prefix = id + "|";
    Map<String, Checkpoint> found = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            kafka.consumer(
                Map.of(
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                    ConsumerConfig.CLIENT_ID_CONFIG, "vigil-collector-log-offsets")),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(Topics.LOG_OFFSETS, timeout).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!caughtUp(consumer, end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "could not read " + Topics.LOG_OFFSETS + " to its end within " + timeout);
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          String key = new String(record.key(), StandardCharsets.UTF_8);
          if (!key.startsWith(prefix)) {
            continue;
          }
          String fileKey = key.substring(prefix.length());
          if (record.value() == null) {
            found.remove(fileKey);
          } else {
            found.put(fileKey, parse(record.value()));
          }
        }
      }
    }
    return found;
  }

  private static boolean caughtUp(
      KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static Checkpoint parse(byte[] value) {
    try {
      JsonNode node = Json.mapper().readTree(value);
      return new Checkpoint(
          node.path("path").asText(), node.path("identity").asText(), node.path("offset").asLong());
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable checkpoint on " + Topics.LOG_OFFSETS, e);
    }
  }
}
