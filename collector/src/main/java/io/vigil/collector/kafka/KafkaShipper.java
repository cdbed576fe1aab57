package io.vigil.collector.kafka;

import com.google.protobuf.Message;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.kafka.ResourceSplitter.KeyedRequest;
import io.vigil.collector.otlp.OtlpSignal;
import io.vigil.collector.otlp.OtlpSink;
import io.vigil.collector.otlp.SinkException;
import io.vigil.model.Topics;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.Durations;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.runtime.ThrottlingLogger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships OTLP export requests to Kafka: one record per resource on {@code otlp_metrics}, {@code
 * otlp_logs} or {@code otlp_spans}, keyed by {@code service.name}, value a protobuf {@code
 * Export*ServiceRequest} holding that resource alone (the OpenTelemetry Collector Kafka exporter's
 * {@code otlp_proto} format).
 *
 * <p>{@link #accept} returns only once Kafka has acknowledged every record of the request ({@code
 * acks=all}, idempotent producer), or throws {@link SinkException} after the send timeout; the
 * receiver then answers 503 and the sender retries. A retry after a partial failure can duplicate
 * the resources that did get through: delivery is at least once.
 */
public final class KafkaShipper implements OtlpSink, RecordSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaShipper.class);

  private final Producer<byte[], byte[]> producer;
  private final Duration sendTimeout;
  private final Counter sendErrors;
  private final ThrottlingLogger errors = new ThrottlingLogger(LOG);
  private final AtomicBoolean metadataFetched = new AtomicBoolean();
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile boolean lastSendFailed;

  KafkaShipper(
      Producer<byte[], byte[]> producer, Duration sendTimeout, PrometheusRegistry registry) {
    this.producer = producer;
    this.sendTimeout = sendTimeout;
    this.sendErrors =
        Counter.builder()
            .name("vigil_collector_kafka_send_errors_total")
            .help("OTLP requests that Kafka did not acknowledge in time or refused")
            .register(registry);
  }

  /**
   * A shipper with its own producer. {@code sendTimeout} bounds how long {@link #accept} waits for
   * acknowledgements (and for metadata, via {@code max.block.ms}). Starts fetching metadata for
   * {@code otlp_metrics} in the background; {@link #isReady()} turns true once it has.
   *
   * @throws ConfigException when {@code kafka.overrides} holds an invalid producer setting
   */
  public static KafkaShipper create(
      KafkaSettings kafka, Duration sendTimeout, PrometheusRegistry registry) {
    KafkaProducer<byte[], byte[]> producer;
    try {
      producer =
          new KafkaProducer<>(
              kafka.properties(producerDefaults(sendTimeout)),
              new ByteArraySerializer(),
              new ByteArraySerializer());
    } catch (org.apache.kafka.common.config.ConfigException e) {
      // Only the user's overrides can make Vigil's own producer settings invalid.
      throw new ConfigException("kafka.overrides", "invalid producer setting: " + e.getMessage());
    }
    KafkaShipper shipper = new KafkaShipper(producer, sendTimeout, registry);
    shipper.startMetadataFetch();
    return shipper;
  }

  /** What Vigil sets before the user's {@code kafka.overrides} are applied on top. */
  static Map<String, Object> producerDefaults(Duration sendTimeout) {
    return Map.of(
        ProducerConfig.CLIENT_ID_CONFIG, "vigil-collector",
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
        ProducerConfig.LINGER_MS_CONFIG, "5",
        // send() blocks while it has no metadata; never longer than a request may wait.
        ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(sendTimeout.toMillis()));
  }

  /** The topic {@code signal}'s requests go to. */
  public static String topic(OtlpSignal signal) {
    return switch (signal) {
      case METRICS -> Topics.OTLP_METRICS;
      case LOGS -> Topics.OTLP_LOGS;
      case TRACES -> Topics.OTLP_SPANS;
    };
  }

  @Override
  public void accept(OtlpSignal signal, Message request)
      throws SinkException, InterruptedException {
    String topic = topic(signal);
    send(topic, ResourceSplitter.split(request));
    if (topic.equals(Topics.OTLP_METRICS)) {
      metadataFetched.set(true);
    }
  }

  @Override
  public void store(String topic, byte[] key, byte[] value)
      throws SinkException, InterruptedException {
    send(topic, List.of(new KeyedRequest(null, key, value)));
  }

  private void send(String topic, List<KeyedRequest> records)
      throws SinkException, InterruptedException {
    long deadline = System.nanoTime() + sendTimeout.toNanos();
    List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
    try {
      for (KeyedRequest record : records) {
        if (System.nanoTime() - deadline > 0) {
          throw new TimeoutException();
        }
        acks.add(producer.send(new ProducerRecord<>(topic, record.key(), record.value())));
      }
      for (Future<RecordMetadata> ack : acks) {
        ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (TimeoutException e) {
      throw failed(
          topic,
          records.size(),
          "Kafka did not acknowledge within " + Durations.format(sendTimeout),
          e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw failed(topic, records.size(), "Kafka did not take the data: " + describe(cause), cause);
    } catch (KafkaException e) {
      throw failed(topic, records.size(), "cannot send to Kafka: " + describe(e), e);
    }
    lastSendFailed = false;
  }

  private static String describe(Throwable e) {
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  private SinkException failed(String topic, int records, String message, Throwable cause) {
    sendErrors.inc();
    lastSendFailed = true;
    errors.warn("cannot ship {} record(s) to {}: {}", records, topic, message);
    if (cause instanceof RecordTooLargeException) {
      return SinkException.tooLarge(message, cause);
    }
    return SinkException.unavailable(message, cause);
  }

  /**
   * True once the producer has fetched metadata for {@code otlp_metrics} and the last send did not
   * fail: the readiness check {@code kafka}.
   */
  public boolean isReady() {
    return metadataFetched.get() && !lastSendFailed;
  }

  /** Kafka send failures so far. */
  public long sendErrors() {
    return (long) sendErrors.get();
  }

  private void startMetadataFetch() {
    Thread fetcher =
        new Thread(
            () -> {
              while (closed.getCount() > 0 && !metadataFetched.get()) {
                try {
                  // Blocks up to max.block.ms; returns once the topic's leaders are known.
                  producer.partitionsFor(Topics.OTLP_METRICS);
                  metadataFetched.set(true);
                } catch (KafkaException e) {
                  if (closed.getCount() > 0) {
                    errors.warn(
                        "no Kafka metadata for {} yet: {}", Topics.OTLP_METRICS, describe(e));
                  }
                  try {
                    closed.await(1, TimeUnit.SECONDS); // back off, or stop at close
                  } catch (InterruptedException ie) {
                    return;
                  }
                }
              }
            },
            "vigil-collector-kafka-metadata");
    fetcher.setDaemon(true);
    fetcher.start();
  }

  /** Waits up to the send timeout for records in flight, then closes the producer. */
  @Override
  public void close() {
    closed.countDown();
    producer.close(sendTimeout);
  }
}
