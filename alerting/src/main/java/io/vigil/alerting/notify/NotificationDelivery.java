package io.vigil.alerting.notify;

import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.TopicReplay;
import io.vigil.model.runtime.ThrottlingLogger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code vigil.notifications.queue} (consumer group {@value #GROUP_ID}, so replicas share its
 * partitions) and hands each notification to the {@link DeliveryWorker}s of its receiver. It
 * commits nothing: on every assignment it reloads the notification log and reads its partitions
 * from the beginning (the topic is compacted: one entry per alert group), so whatever the log does
 * not show delivered is queued again — after a restart, a crash or a failover. Notifications older
 * than the log's horizon are skipped.
 */
public final class NotificationDelivery implements Runnable {
  /** The consumer group of the delivery workers. */
  public static final String GROUP_ID = "vigil-alerting-delivery";

  private static final Logger LOG = LoggerFactory.getLogger(NotificationDelivery.class);
  private static final Duration REPLAY_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaSettings kafka;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<String, List<DeliveryWorker>> workers;
  private final NotificationLog log;
  private final Duration horizon;
  private final Clock clock;
  private final Map<String, Integer> partitionOf = new ConcurrentHashMap<>();
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);
  private volatile boolean running = true;
  private volatile boolean dead;

  /**
   * Delivery from {@code kafka} to {@code workers} (by receiver name), deduplicated through {@code
   * log}; notifications older than {@code horizon} are not sent.
   */
  public NotificationDelivery(
      KafkaSettings kafka,
      Map<String, List<DeliveryWorker>> workers,
      NotificationLog log,
      Duration horizon,
      Clock clock) {
    this.kafka = kafka;
    this.workers = Map.copyOf(workers);
    this.log = log;
    this.horizon = horizon;
    this.clock = clock;
    this.consumer =
        new KafkaConsumer<>(
            kafka.consumer(
                Map.of(
                    ConsumerConfig.CLIENT_ID_CONFIG, "vigil-alerting-delivery",
                    ConsumerConfig.GROUP_ID_CONFIG, GROUP_ID,
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    // a dead replica's groups move to a live one after 10 s, not 45
                    ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000",
                    ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "2000",
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                        ByteArrayDeserializer.class.getName(),
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                        ByteArrayDeserializer.class.getName())));
  }

  /** Every worker, for threads, metrics and readiness. */
  public List<DeliveryWorker> allWorkers() {
    List<DeliveryWorker> all = new ArrayList<>();
    workers.values().forEach(all::addAll);
    return all;
  }

  @Override
  public void run() {
    try {
      consumer.subscribe(List.of(Topics.NOTIFICATION_QUEUE), new Rebalance());
      while (running) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          accept(record);
        }
      }
    } catch (WakeupException e) {
      if (running) {
        dead = true;
        LOG.error("notification delivery woken up unexpectedly", e);
      }
    } catch (RuntimeException | Error e) {
      dead = true;
      LOG.error("notification delivery stopped by an unexpected error", e);
    } finally {
      try {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        LOG.debug("closing the delivery consumer", e);
      }
    }
  }

  /** Whether the queue reader runs. */
  public boolean healthy() {
    return running && !dead;
  }

  /** Stops reading; the workers are stopped by their owner. */
  public void stop() {
    running = false;
    consumer.wakeup();
  }

  private void accept(ConsumerRecord<byte[], byte[]> record) {
    if (record.key() == null) {
      return;
    }
    String groupKey = new String(record.key(), StandardCharsets.UTF_8);
    partitionOf.put(groupKey, record.partition());
    if (record.value() == null) {
      return;
    }
    Notification notification;
    try {
      notification = Json.mapper().readValue(record.value(), Notification.class);
    } catch (IOException e) {
      throttled.warn(
          "skipping an unreadable {} record at partition {} offset {}: {}",
          Topics.NOTIFICATION_QUEUE,
          record.partition(),
          record.offset(),
          e.getMessage());
      return;
    }
    if (Instant.ofEpochMilli(notification.version()).isBefore(clock.instant().minus(horizon))) {
      return;
    }
    List<DeliveryWorker> targets = workers.get(notification.receiver());
    if (targets == null) {
      throttled.warn(
          "no receiver named {} in the routing configuration; notification of group {} dropped",
          notification.receiver(),
          notification.groupKey());
      return;
    }
    for (DeliveryWorker worker : targets) {
      worker.offer(notification);
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      forget(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      // Another replica may have delivered for these partitions: read what it logged first.
      if (!TopicReplay.replay(
          kafka,
          "vigil-alerting-replay-" + Topics.NOTIFICATIONS,
          Topics.NOTIFICATIONS,
          REPLAY_TIMEOUT,
          log::load)) {
        LOG.warn(
            "replaying {} did not reach its end within {}; some notifications may be repeated",
            Topics.NOTIFICATIONS,
            REPLAY_TIMEOUT);
      }
      consumer.seekToBeginning(partitions);
    }

    private void forget(Collection<TopicPartition> partitions) {
      Set<Integer> gone = Set.copyOf(partitions.stream().map(TopicPartition::partition).toList());
      for (DeliveryWorker worker : allWorkers()) {
        worker.forget(key -> gone.contains(partitionOf.get(key)));
      }
      partitionOf.values().removeIf(gone::contains);
    }
  }
}
