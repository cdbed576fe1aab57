package io.vigil.alerting.kafka;

import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.TopicReplay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every partition of one topic from the beginning and then follows it, handing each record to
 * a sink on its own thread, without a consumer group: every replica builds the same view (the
 * firing alerts, the silences). {@link #caughtUp()} turns true once the end offsets seen at start
 * were reached.
 */
public final class TopicFollower implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);

  private final String topic;
  private final Consumer<ConsumerRecord<byte[], byte[]>> sink;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private volatile boolean running = true;
  private volatile boolean caughtUp;
  private volatile boolean dead;

  /** A follower of {@code topic} on {@code kafka}, feeding {@code sink}. */
  public TopicFollower(
      KafkaSettings kafka, String topic, Consumer<ConsumerRecord<byte[], byte[]>> sink) {
    this.topic = topic;
    this.sink = sink;
    this.consumer = TopicReplay.groupless(kafka, "vigil-alerting-follow-" + topic);
  }

  @Override
  public void run() {
    try {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(60))) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> remaining = new HashMap<>(consumer.endOffsets(partitions));
      while (running) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          try {
            sink.accept(record);
          } catch (RuntimeException e) {
            LOG.warn(
                "{}: skipping record at {}-{}: {}",
                topic,
                record.partition(),
                record.offset(),
                e.toString());
          }
        }
        if (!caughtUp) {
          remaining.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
          caughtUp = remaining.isEmpty();
        }
      }
    } catch (WakeupException e) {
      if (running) {
        dead = true;
        LOG.error("following {} woken up unexpectedly", topic, e);
      }
    } catch (RuntimeException | Error e) {
      dead = true;
      LOG.error("following {} stopped by an unexpected error", topic, e);
    } finally {
      try {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        LOG.debug("closing the follower of {}", topic, e);
      }
    }
  }

  /** Whether the view has read everything that was on the topic when it started. */
  public boolean caughtUp() {
    return caughtUp;
  }

  /** Whether it still runs. */
  public boolean healthy() {
    return running && !dead;
  }

  /** Stops following. */
  public void stop() {
    running = false;
    consumer.wakeup();
  }
}
