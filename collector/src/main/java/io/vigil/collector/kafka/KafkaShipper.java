package io.vigil.collector.kafka;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.sink.RecordSink;
import io.vigil.collector.sink.SinkException;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.Durations;
import io.vigil.model.kafka.KafkaProbe;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.runtime.ThrottlingLogger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's one Kafka producer, behind the generic {@link RecordSink}: {@code acks=all},
 * idempotent, lz4. {@link #store} hands every record to the producer and returns a future that
 * completes when Kafka has acknowledged all of them, or fails with a {@link SinkException} after
 * the send timeout (the receiver then answers 503 and the sender retries; a retry after a partial
 * failure can duplicate the records that did get through: delivery is at least once).
 *
 * <p>No thread waits for acknowledgements: they complete the future from the producer's I/O thread.
 * {@code producer.send} itself may block while the producer has no metadata for the topic or its
 * buffer is full, at most {@code max.block.ms} (the send timeout); callers that must not block
 * check {@link KafkaProbe} first.
 */
public final class KafkaShipper implements RecordSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaShipper.class);

  private final Producer<byte[], byte[]> producer;
  private final Duration sendTimeout;
  private final KafkaProbe probe;
  private final Counter sendErrors;
  private final ThrottlingLogger errors = new ThrottlingLogger(LOG);

  /** The stores waiting for Kafka, with when they began ({@link System#nanoTime()}). */
  private final Map<CompletableFuture<Void>, Long> inFlight = new ConcurrentHashMap<>();

  KafkaShipper(
      Producer<byte[], byte[]> producer,
      Duration sendTimeout,
      KafkaProbe probe,
      PrometheusRegistry registry) {
    this.producer = producer;
    this.probe = probe;
    this.sendTimeout = sendTimeout;
    this.sendErrors =
        Counter.builder()
            .name("vigil_collector_kafka_send_errors_total")
            .help("Batches of records that Kafka did not acknowledge in time or refused")
            .register(registry);
    if (probe != null) {
      probe.whenLost(this::kafkaLost);
      probe.watchWaits(this::oldestWaitNanos);
    }
  }

  /**
   * A shipper with its own producer. {@code sendTimeout} bounds how long a {@link #store} may take
   * (acknowledgements, and metadata via {@code max.block.ms}).
   *
   * <p>While {@code probe} (may be null) finds Kafka unreachable, the shipper says it cannot take
   * data ({@link #unavailableReason()}), so receivers refuse at once.
   *
   * @throws ConfigException when {@code kafka.overrides} or {@code kafka.producer} holds an invalid
   *     producer value
   */
  public static KafkaShipper create(
      KafkaSettings kafka, Duration sendTimeout, KafkaProbe probe, PrometheusRegistry registry) {
    KafkaProducer<byte[], byte[]> producer;
    try {
      producer =
          new KafkaProducer<>(
              kafka.producer(producerDefaults(sendTimeout)),
              new ByteArraySerializer(),
              new ByteArraySerializer());
    } catch (org.apache.kafka.common.config.ConfigException e) {
      // Only the user's overrides can make Vigil's own producer settings invalid.
      throw new ConfigException(
          "kafka.overrides/kafka.producer", "invalid producer setting: " + e.getMessage());
    }
    return new KafkaShipper(producer, sendTimeout, probe, registry);
  }

  /** What Vigil sets before the user's {@code kafka.overrides} are applied on top. */
  static Map<String, Object> producerDefaults(Duration sendTimeout) {
    return Map.of(
        ProducerConfig.CLIENT_ID_CONFIG, "vigil-collector",
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
        ProducerConfig.LINGER_MS_CONFIG, "5",
        // send() blocks the receiving thread while it has no metadata for the topic (a first
        // send while Kafka is away) or no buffer left: only briefly, then the sender is told to
        // retry (503 / UNAVAILABLE), and never longer than a request may wait.
        ProducerConfig.MAX_BLOCK_MS_CONFIG,
            Long.toString(Math.min(sendTimeout.toMillis(), MAX_BLOCK.toMillis())));
  }

  /** The longest {@code send()} may hold a receiving thread. */
  static final Duration MAX_BLOCK = Duration.ofSeconds(2);

  @Override
  public CompletableFuture<Void> store(List<SinkRecord> records) {
    if (records.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    String topic = records.get(0).topic();
    CompletableFuture<Void> done = new CompletableFuture<>();
    inFlight.put(done, System.nanoTime());
    done.whenComplete((ok, error) -> inFlight.remove(done));
    if (probe != null && !probe.isReachable()) {
      // Lost since the receiver asked (kafkaLost may have run before this store was in flight).
      fail(done, topic, records.size(), "Kafka is unreachable (" + probe.lastError() + ")", null);
      return done;
    }
    AtomicInteger unacknowledged = new AtomicInteger(records.size());
    try {
      for (SinkRecord record : records) {
        producer.send(
            new ProducerRecord<>(record.topic(), record.key(), record.value()),
            (metadata, error) -> {
              if (error != null) {
                fail(
                    done,
                    topic,
                    records.size(),
                    "Kafka did not take the data: " + describe(error),
                    error);
              } else if (unacknowledged.decrementAndGet() == 0) {
                done.complete(null);
              }
            });
      }
    } catch (KafkaException e) {
      fail(done, topic, records.size(), "cannot send to Kafka: " + describe(e), e);
    }
    done.orTimeout(sendTimeout.toMillis(), TimeUnit.MILLISECONDS);
    return done.exceptionallyCompose(
        e -> {
          if (e instanceof TimeoutException) {
            SinkException timeout =
                failed(
                    topic,
                    records.size(),
                    "Kafka did not acknowledge within " + Durations.format(sendTimeout),
                    e);
            sendErrors.inc();
            return CompletableFuture.failedFuture(timeout);
          }
          return CompletableFuture.failedFuture(e);
        });
  }

  /**
   * Kafka was lost (the probe says so): whoever waits for an acknowledgement is answered now, with
   * the retryable refusal a timeout would give later — a sender is told to retry within seconds
   * rather than after the send timeout, and the spool (if any) takes the data at once. Records the
   * producer still delivers when Kafka returns are then stored twice: at least once, as always.
   */
  private void kafkaLost() {
    for (CompletableFuture<Void> done : inFlight.keySet()) {
      if (done.completeExceptionally(
          SinkException.unavailable(
              "Kafka became unreachable (" + probe.lastError() + ") before acknowledging", null))) {
        sendErrors.inc();
      }
    }
  }

  /** How long the oldest store still waiting for Kafka has waited, in nanoseconds; 0 for none. */
  long oldestWaitNanos() {
    long now = System.nanoTime();
    long oldest = 0;
    for (long since : inFlight.values()) {
      oldest = Math.max(oldest, now - since);
    }
    return oldest;
  }

  private void fail(
      CompletableFuture<Void> done, String topic, int records, String message, Throwable cause) {
    if (!done.isDone() && done.completeExceptionally(failed(topic, records, message, cause))) {
      sendErrors.inc();
    }
  }

  private static String describe(Throwable e) {
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  private SinkException failed(String topic, int records, String message, Throwable cause) {
    errors.warn("cannot ship {} record(s) to {}: {}", records, topic, message);
    if (cause instanceof RecordTooLargeException) {
      return SinkException.tooLarge(message, cause);
    }
    return SinkException.unavailable(message, cause);
  }

  @Override
  public String unavailableReason() {
    return probe == null || probe.isReachable()
        ? null
        : "Kafka is unreachable (" + probe.lastError() + ")";
  }

  /** Kafka send failures so far. */
  public long sendErrors() {
    return (long) sendErrors.get();
  }

  /** Waits up to the send timeout for records in flight, then closes the producer. */
  @Override
  public void close() {
    producer.close(sendTimeout);
  }
}
