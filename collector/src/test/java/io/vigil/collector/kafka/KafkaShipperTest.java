package io.vigil.collector.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.TestRequests;
import io.vigil.collector.otlp.OtlpSignal;
import io.vigil.collector.otlp.SinkException;
import io.vigil.model.kafka.KafkaSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class KafkaShipperTest {

  private static MockProducer<byte[], byte[]> producer(boolean autoComplete) {
    return new MockProducer<>(
        autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
  }

  @Test
  void shipsOneRecordPerResourceToTheSignalsTopic() throws Exception {
    MockProducer<byte[], byte[]> producer = producer(true);
    KafkaShipper shipper =
        new KafkaShipper(producer, Duration.ofSeconds(5), new PrometheusRegistry());
    ExportMetricsServiceRequest request = TestRequests.metrics(2, "checkout", "payments");

    shipper.accept(OtlpSignal.METRICS, request);

    assertThat(producer.history()).hasSize(2);
    assertThat(producer.history()).extracting(ProducerRecord::topic).containsOnly("otlp_metrics");
    ProducerRecord<byte[], byte[]> second = producer.history().get(1);
    assertThat(new String(second.key(), StandardCharsets.UTF_8)).isEqualTo("payments");
    assertThat(ExportMetricsServiceRequest.parseFrom(second.value()).getResourceMetricsList())
        .containsExactly(request.getResourceMetrics(1));
    assertThat(shipper.isReady()).isTrue();
  }

  @Test
  void routesLogsAndTracesToTheirTopics() throws Exception {
    MockProducer<byte[], byte[]> producer = producer(true);
    KafkaShipper shipper =
        new KafkaShipper(producer, Duration.ofSeconds(5), new PrometheusRegistry());

    shipper.accept(OtlpSignal.LOGS, TestRequests.logs("a"));
    shipper.accept(OtlpSignal.TRACES, TestRequests.traces("b"));

    assertThat(producer.history())
        .extracting(ProducerRecord::topic)
        .containsExactly("otlp_logs", "otlp_spans");
  }

  @Test
  void waitsForTheAcknowledgementBeforeReturning() throws Exception {
    MockProducer<byte[], byte[]> producer = producer(false);
    KafkaShipper shipper =
        new KafkaShipper(producer, Duration.ofSeconds(30), new PrometheusRegistry());

    CompletableFuture<Void> accepted = acceptAsync(shipper, TestRequests.metrics(1, "a", "b"));
    awaitSent(producer, 2);
    producer.completeNext();
    assertThat(accepted).isNotDone();
    producer.completeNext();

    accepted.get(10, TimeUnit.SECONDS);
  }

  @Test
  void brokerErrorMakesTheRequestRetryableAndFailsReadiness() throws Exception {
    MockProducer<byte[], byte[]> producer = producer(false);
    PrometheusRegistry registry = new PrometheusRegistry();
    KafkaShipper shipper = new KafkaShipper(producer, Duration.ofSeconds(30), registry);

    CompletableFuture<Void> accepted = acceptAsync(shipper, TestRequests.metrics(1, "a"));
    awaitSent(producer, 1);
    producer.errorNext(new NetworkException("broker went away"));

    assertThatThrownBy(() -> accepted.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessageContaining("broker went away");
    assertThat(shipper.sendErrors()).isEqualTo(1);
    assertThat(shipper.isReady()).isFalse();
  }

  @Test
  void missingAcknowledgementTimesOut() {
    MockProducer<byte[], byte[]> producer = producer(false);
    KafkaShipper shipper =
        new KafkaShipper(producer, Duration.ofMillis(200), new PrometheusRegistry());

    assertThatThrownBy(() -> shipper.accept(OtlpSignal.METRICS, TestRequests.metrics(1, "a")))
        .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessage("Kafka did not acknowledge within 200ms");
    assertThat(shipper.sendErrors()).isEqualTo(1);
  }

  @Test
  void synchronousSendFailureIsRetryable() {
    MockProducer<byte[], byte[]> producer = producer(true);
    producer.sendException = new org.apache.kafka.common.KafkaException("producer is closed");
    KafkaShipper shipper =
        new KafkaShipper(producer, Duration.ofSeconds(5), new PrometheusRegistry());

    assertThatThrownBy(() -> shipper.accept(OtlpSignal.METRICS, TestRequests.metrics(1, "a")))
        .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessageContaining("producer is closed");
  }

  @Test
  void recordTooLargeIsNotRetryable() throws Exception {
    MockProducer<byte[], byte[]> producer = producer(false);
    KafkaShipper shipper =
        new KafkaShipper(producer, Duration.ofSeconds(30), new PrometheusRegistry());

    CompletableFuture<Void> accepted = acceptAsync(shipper, TestRequests.metrics(1, "a"));
    awaitSent(producer, 1);
    producer.errorNext(new RecordTooLargeException("record is 2 MB"));

    assertThatThrownBy(() -> accepted.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.retryable()).isFalse());
  }

  @Test
  void notReadyBeforeAnyMetricsWentThrough() throws Exception {
    KafkaShipper shipper =
        new KafkaShipper(producer(true), Duration.ofSeconds(5), new PrometheusRegistry());
    assertThat(shipper.isReady()).isFalse();

    shipper.accept(OtlpSignal.LOGS, TestRequests.logs("a"));
    assertThat(shipper.isReady()).isFalse();

    shipper.accept(OtlpSignal.METRICS, TestRequests.metrics(1, "a"));
    assertThat(shipper.isReady()).isTrue();
  }

  @Test
  void producerIsDurableByDefaultAndUserOverridesWin() {
    Map<String, Object> defaults = KafkaShipper.producerDefaults(Duration.ofSeconds(10));
    assertThat(defaults)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")
        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4")
        .containsEntry(ProducerConfig.LINGER_MS_CONFIG, "5")
        .containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");

    KafkaSettings kafka =
        new KafkaSettings("k:9092", null, Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd"));
    Properties props = kafka.properties(defaults);

    assertThat(props)
        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd")
        .containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "k:9092")
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all");
  }

  @Test
  void invalidProducerOverrideIsAConfigErrorNamingTheKey() {
    KafkaSettings kafka =
        new KafkaSettings("127.0.0.1:9", null, Map.of(ProducerConfig.ACKS_CONFIG, "sometimes"));

    assertThatThrownBy(
            () -> KafkaShipper.create(kafka, Duration.ofSeconds(1), new PrometheusRegistry()))
        .isInstanceOf(io.vigil.model.config.ConfigException.class)
        .hasMessageStartingWith("kafka.overrides: invalid producer setting: ")
        .hasMessageContaining("acks");
  }

  private static CompletableFuture<Void> acceptAsync(
      KafkaShipper shipper, ExportMetricsServiceRequest request) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            shipper.accept(OtlpSignal.METRICS, request);
          } catch (SinkException e) {
            throw new CompletionException(e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
          }
        });
  }

  private static void awaitSent(MockProducer<byte[], byte[]> producer, int records)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (producer.history().size() < records) {
      assertThat(System.nanoTime()).as("records sent before deadline").isLessThan(deadline);
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
  }
}
