package io.vigil.processor.catalog;

import io.vigil.model.Topics;
import io.vigil.model.catalog.CatalogEntry;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.TopicReplay;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Makes the compacted topic {@code vigil.catalog} hold exactly the catalog file's entries: it reads
 * the topic to its current end (the latest value of every key), then writes each entry that is new
 * or changed, and a tombstone (null value) for each key the topic holds that the file no longer
 * has. An unchanged entry is not written again, so a restart with the same file writes nothing.
 *
 * <p>The file owns the topic: every live key not in it is removed. Instances given different files
 * undo each other's changes at their next start; give every instance the same file.
 */
public final class CatalogPublisher {
  private CatalogPublisher() {}

  /**
   * What a publication did.
   *
   * @param written entries new or changed
   * @param removed tombstones written for keys the file no longer has
   * @param unchanged entries already on the topic as they are
   */
  public record Result(int written, int removed, int unchanged) {}

  /**
   * Brings {@code vigil.catalog} in line with {@code entries}.
   *
   * @param clientId client id prefix of the consumer and producer it uses
   * @throws IllegalStateException when the topic is missing, or it cannot be read or written within
   *     {@code timeout}
   */
  public static Result publish(
      KafkaSettings kafka, String clientId, List<CatalogEntry> entries, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, byte[]> current = current(kafka, clientId + "-catalog-reader", timeout);
    Serializer<CatalogEntry> json = JsonSerde.of(CatalogEntry.class).serializer();
    List<ProducerRecord<String, byte[]>> changes = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    int unchanged = 0;
    for (CatalogEntry entry : entries) {
      keys.add(entry.key());
      byte[] value = json.serialize(Topics.CATALOG, entry);
      if (Arrays.equals(current.get(entry.key()), value)) {
        unchanged++;
      } else {
        changes.add(new ProducerRecord<>(Topics.CATALOG, entry.key(), value));
      }
    }
    int written = changes.size();
    current.keySet().stream()
        .filter(key -> !keys.contains(key))
        .sorted()
        .forEach(key -> changes.add(new ProducerRecord<>(Topics.CATALOG, key, null)));
    if (!changes.isEmpty()) {
      send(kafka, clientId + "-catalog-writer", changes, deadline);
    }
    return new Result(written, changes.size() - written, unchanged);
  }

  /** The latest non-null value of every key on the topic, read up to its current end. */
  static Map<String, byte[]> current(KafkaSettings kafka, String clientId, Duration timeout) {
    Map<String, byte[]> latest = new HashMap<>();
    boolean read;
    try {
      read =
          TopicReplay.replay(
              kafka,
              clientId,
              Topics.CATALOG,
              timeout,
              r -> {
                if (r.key() == null) {
                  return;
                }
                String key = new String(r.key(), StandardCharsets.UTF_8);
                if (r.value() == null) {
                  latest.remove(key);
                } else {
                  latest.put(key, r.value());
                }
              });
    } catch (IllegalStateException missing) {
      throw new IllegalStateException(
          missing.getMessage() + ": create it (compacted) or set kafka.topics.create", missing);
    }
    if (!read) {
      throw new IllegalStateException(
          "cannot read " + Topics.CATALOG + " to its end within " + timeout);
    }
    return latest;
  }

  private static void send(
      KafkaSettings kafka,
      String clientId,
      List<ProducerRecord<String, byte[]>> records,
      long end) {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            kafka.producer(
                Map.of(
                    ProducerConfig.CLIENT_ID_CONFIG,
                    clientId,
                    ProducerConfig.ACKS_CONFIG,
                    "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                    true)),
            new StringSerializer(),
            new ByteArraySerializer())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (ProducerRecord<String, byte[]> r : records) {
        sent.add(producer.send(r));
      }
      producer.flush();
      for (Future<RecordMetadata> f : sent) {
        f.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot write the catalog to " + Topics.CATALOG + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing the catalog", e);
    }
  }
}
