package io.vigil.collector.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.sink.SinkException;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.kafka.KafkaProbe;
import io.vigil.model.kafka.KafkaSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The shipper and the probe of a real broker that goes away: a store still waiting for Kafka's
 * acknowledgement (a producer that never answers) is refused as soon as the probe finds the broker
 * gone, not after the send timeout — its sender is told to retry, or the spool takes the data,
 * within seconds.
 */
class KafkaShipperIT {
  @Test
  void aStoreWaitingWhenKafkaIsLostIsRefusedOnceTheProbeSeesIt() throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(0);
    PrometheusRegistry registry = new PrometheusRegistry();
    try (KafkaProbe probe =
        KafkaProbe.start("collector", KafkaSettings.of(kafka.bootstrapServers()), registry)) {
      assertThat(probe.isReachable()).isTrue();
      MockProducer<byte[], byte[]> neverAnswers =
          new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
      KafkaShipper shipper = new KafkaShipper(neverAnswers, Duration.ofMinutes(5), probe, registry);
      CompletableFuture<Void> waiting =
          shipper.store(
              List.of(
                  new SinkRecord(
                      "otlp_metrics",
                      "checkout".getBytes(StandardCharsets.UTF_8),
                      new byte[] {1, 2, 3})));
      assertThat(waiting).isNotDone();

      kafka.close();

      // The probe asks every second and gives up on an answer after two: well inside 30 s, and
      // far from the 5 minutes the send timeout would take.
      assertThatThrownBy(() -> waiting.get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOfSatisfying(
              SinkException.class,
              e -> assertThat(e.getMessage()).startsWith("Kafka became unreachable ("));
      assertThat(shipper.unavailableReason()).startsWith("Kafka is unreachable");
    } finally {
      kafka.close();
    }
  }
}
