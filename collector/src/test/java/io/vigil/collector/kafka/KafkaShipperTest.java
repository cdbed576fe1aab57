package io.vigil.collector.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.sink.SinkException;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.kafka.KafkaSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The shipper's bookkeeping over Kafka's MockProducer; the real broker is in the ITs. */
class KafkaShipperTest {
  private static final List<SinkRecord> TWO =
      List.of(record("otlp_metrics", "checkout"), record("otlp_metrics", "payments"));

  private static MockProducer<byte[], byte[]> producer(boolean autoComplete) {
    return new MockProducer<>(
        autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static KafkaShipper shipper(MockProducer<byte[], byte[]> producer, Duration timeout) {
    return new KafkaShipper(producer, timeout, null, new PrometheusRegistry());
  }

  private static SinkRecord record(String topic, String key) {
    return new SinkRecord(
        topic, key.getBytes(StandardCharsets.UTF_8), ("value of " + key).getBytes());
  }

  @Test
  void sendsEveryRecordToItsTopicWithItsKey() throws Exception {
    MockProducer<byte[], byte[]> producer = producer(true);

    shipper(producer, Duration.ofSeconds(5))
        .store(List.of(record("otlp_logs", "a"), record("vigil.lineage", "b")))
        .get(10, TimeUnit.SECONDS);

    assertThat(producer.history())
        .extracting(ProducerRecord::topic)
        .containsExactly("otlp_logs", "vigil.lineage");
    assertThat(new String(producer.history().get(1).key(), StandardCharsets.UTF_8)).isEqualTo("b");
    assertThat(new String(producer.history().get(1).value(), StandardCharsets.UTF_8))
        .isEqualTo("value of b");
  }

  @Test
  void completesOnlyOnceEveryRecordIsAcknowledged() throws Exception {
    MockProducer<byte[], byte[]> producer = producer(false);

    CompletableFuture<Void> stored = shipper(producer, Duration.ofSeconds(30)).store(TWO);
    assertThat(producer.history()).hasSize(2);
    producer.completeNext();
    assertThat(stored).isNotDone();
    producer.completeNext();

    stored.get(10, TimeUnit.SECONDS);
  }

  @Test
  void nothingToStoreCompletesAtOnce() {
    assertThat(shipper(producer(false), Duration.ofSeconds(1)).store(List.of())).isCompleted();
  }

  @Test
  void brokerErrorFailsTheBatchAsRetryable() {
    MockProducer<byte[], byte[]> producer = producer(false);
    KafkaShipper shipper = shipper(producer, Duration.ofSeconds(30));

    CompletableFuture<Void> stored = shipper.store(TWO);
    producer.errorNext(new NetworkException("broker went away"));
    producer.errorNext(new NetworkException("broker went away"));

    assertThatThrownBy(() -> stored.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessageContaining("broker went away");
    assertThat(shipper.sendErrors()).as("one failed batch, counted once").isEqualTo(1);
  }

  @Test
  void missingAcknowledgementTimesOut() {
    MockProducer<byte[], byte[]> producer = producer(false);
    KafkaShipper shipper = shipper(producer, Duration.ofMillis(200));

    CompletableFuture<Void> stored = shipper.store(TWO);

    assertThatThrownBy(() -> stored.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessage("Kafka did not acknowledge within 200ms");
    assertThat(shipper.sendErrors()).isEqualTo(1);
  }

  @Test
  void synchronousSendFailureIsRetryable() {
    MockProducer<byte[], byte[]> producer = producer(true);
    producer.sendException = new org.apache.kafka.common.KafkaException("producer is closed");

    CompletableFuture<Void> stored = shipper(producer, Duration.ofSeconds(5)).store(TWO);

    assertThatThrownBy(() -> stored.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessageContaining("producer is closed");
  }

  @Test
  void recordTooLargeIsNotRetryable() {
    MockProducer<byte[], byte[]> producer = producer(false);

    CompletableFuture<Void> stored = shipper(producer, Duration.ofSeconds(30)).store(TWO);
    producer.errorNext(new RecordTooLargeException("record is 2 MB"));

    assertThatThrownBy(() -> stored.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.retryable()).isFalse());
  }

  @Test
  void takesDataWithoutAProbe() {
    assertThat(shipper(producer(true), Duration.ofSeconds(1)).unavailableReason()).isNull();
  }

  @Test
  void producerIsDurableByDefaultAndUserOverridesWin() {
    Map<String, Object> defaults = KafkaShipper.producerDefaults(Duration.ofSeconds(10));
    assertThat(defaults)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")
        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4")
        .containsEntry(ProducerConfig.LINGER_MS_CONFIG, "5")
        .containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, "2000");
    assertThat(KafkaShipper.producerDefaults(Duration.ofSeconds(1)))
        .containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000");

    KafkaSettings kafka =
        new KafkaSettings("k:9092", null, Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd"));
    Properties props = kafka.producer(defaults);

    assertThat(props)
        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd")
        .containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "k:9092")
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all");
  }

  @Test
  void invalidProducerOverrideIsAConfigErrorNamingTheKey() {
    KafkaSettings kafka =
        new KafkaSettings(
            "127.0.0.1:9", null, Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "sometimes"));

    assertThatThrownBy(
            () -> KafkaShipper.create(kafka, Duration.ofSeconds(1), null, new PrometheusRegistry()))
        .isInstanceOf(io.vigil.model.config.ConfigException.class)
        .hasMessageStartingWith("kafka.overrides/kafka.producer: invalid producer setting: ")
        .hasMessageContaining("compression.type");
  }
}
