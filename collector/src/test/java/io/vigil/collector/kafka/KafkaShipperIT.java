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
 * gone, not after the send timeout — its sender is told to retry, or the spool takes the data. A
 * store that has waited half a second has the probe try the broker's port at once: refused means
 * gone (no question's timeout waited for); a broker that takes the connection is left alone.
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

      // Found by the refused connection, not by a question's timeout: far from the 5 minutes the
      // send timeout would take.
      assertThatThrownBy(() -> waiting.get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOfSatisfying(
              SinkException.class,
              e ->
                  assertThat(e.getMessage())
                      .isEqualTo(
                          "Kafka became unreachable (every broker refused the connection ("
                              + kafka.bootstrapServers()
                              + ")) before acknowledging"));
      assertThat(shipper.unavailableReason()).startsWith("Kafka is unreachable");
    } finally {
      kafka.close();
    }
  }

  @Test
  void aSlowBrokerThatTakesConnectionsIsNotTakenForALostOne() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(0)) {
      PrometheusRegistry registry = new PrometheusRegistry();
      try (KafkaProbe probe =
          KafkaProbe.start("collector", KafkaSettings.of(kafka.bootstrapServers()), registry)) {
        MockProducer<byte[], byte[]> neverAnswers =
            new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        KafkaShipper shipper =
            new KafkaShipper(neverAnswers, Duration.ofMinutes(5), probe, registry);
        CompletableFuture<Void> waiting =
            shipper.store(List.of(new SinkRecord("otlp_metrics", null, new byte[] {1, 2, 3})));

        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (probe.suspicionChecks() < 3) {
          assertThat(System.nanoTime()).as("the port tried three times").isLessThan(deadline);
          java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }

        assertThat(probe.isReachable()).isTrue();
        assertThat(waiting).isNotDone();
        assertThat(shipper.unavailableReason()).isNull();
      }
    }
  }
}
