package io.vigil.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.model.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Where an alert's latency goes: reads every topic of the broker (a pattern subscription, from the
 * end) twice, {@code read_uncommitted} (when a step wrote a record) and {@code read_committed}
 * (when its transaction made it visible to the next step), and records for each trial service the
 * first time after its violating request was accepted that a record naming it (in its key or value)
 * was seen on each topic (records of its healthy requests before, with {@code --warm}, do not
 * count). Reports, per topic and isolation, the median time after that acceptance.
 */
final class HopWatch implements AutoCloseable {
  private static final Pattern TRIAL = Pattern.compile("trial-\\d{3}");

  private final Map<String, Long> acceptedAt;
  private final Map<String, Map<String, Long>> firstSeen = new ConcurrentHashMap<>();
  private final List<Reader> readers = new ArrayList<>();

  HopWatch(String bootstrap, Map<String, Long> acceptedAt) {
    this.acceptedAt = acceptedAt;
    for (String isolation : List.of("read_uncommitted", "read_committed")) {
      readers.add(new Reader(bootstrap, isolation));
    }
  }

  /** Per topic and isolation: median and max ms from acceptance to the first record seen. */
  ObjectNode summary() {
    ObjectNode node = Json.mapper().createObjectNode();
    List<Map.Entry<String, long[]>> rows = new ArrayList<>();
    firstSeen.forEach(
        (hop, seen) -> {
          long[] sorted =
              seen.entrySet().stream()
                  .filter(e -> acceptedAt.containsKey(e.getKey()))
                  .mapToLong(e -> e.getValue() - acceptedAt.get(e.getKey()))
                  .sorted()
                  .toArray();
          if (sorted.length > 0) {
            rows.add(Map.entry(hop, sorted));
          }
        });
    rows.sort(Comparator.comparingLong(row -> BenchRequests.percentile(row.getValue(), 0.5)));
    for (Map.Entry<String, long[]> row : rows) {
      long[] sorted = row.getValue();
      node.put(
          row.getKey(),
          "p50 %d, max %d (%d trials)"
              .formatted(
                  BenchRequests.percentile(sorted, 0.5), sorted[sorted.length - 1], sorted.length));
    }
    return node;
  }

  @Override
  public void close() throws InterruptedException {
    for (Reader reader : readers) {
      reader.close();
    }
  }

  private final class Reader implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    Reader(String bootstrap, String isolation) {
      Properties props = new Properties();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-hops-" + UUID.randomUUID());
      props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
      props.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "1000");
      consumer =
          new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      consumer.subscribe(Pattern.compile("(otlp_|vigil).*"));
      consumer.poll(Duration.ofSeconds(5)); // join the group before the first trial
      String suffix = isolation.equals("read_committed") ? " (committed)" : " (written)";
      thread =
          new Thread(
              () -> {
                try {
                  while (running) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                      long now = System.currentTimeMillis();
                      String trial = trialOf(r.key());
                      trial = trial != null ? trial : trialOf(r.value());
                      if (trial != null && acceptedAt.containsKey(trial)) {
                        firstSeen
                            .computeIfAbsent(r.topic() + suffix, t -> new ConcurrentHashMap<>())
                            .putIfAbsent(trial, now);
                      }
                    }
                  }
                } catch (WakeupException stopping) {
                  // close() woke us up
                } finally {
                  consumer.close();
                }
              },
              "hop-watch-" + isolation);
      thread.setDaemon(true);
      thread.start();
    }

    private static String trialOf(byte[] bytes) {
      if (bytes == null) {
        return null;
      }
      Matcher m = TRIAL.matcher(new String(bytes, StandardCharsets.ISO_8859_1));
      return m.find() ? m.group() : null;
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      consumer.wakeup();
      thread.join(5000);
    }
  }
}
