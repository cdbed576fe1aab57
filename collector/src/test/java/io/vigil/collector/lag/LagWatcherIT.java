package io.vigil.collector.lag;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.TopicTail;
import io.vigil.collector.kafka.KafkaShipper;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.TopicInitializer;
import io.vigil.model.otlp.OtlpAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** A consumer group 60 messages behind, read from a real broker into {@code otlp_metrics}. */
@WithKafka
class LagWatcherIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void reportsAGroupsLagPerPartitionAndTopic(EmbeddedKafka kafka) throws Exception {
    KafkaSettings settings = KafkaSettings.of(kafka.bootstrapServers());
    TopicInitializer.ensureTopics(settings, Set.of(Topics.OTLP_METRICS), Map.of());
    TopicInitializer.ensureTopics(settings, Set.of("orders"), Map.of());
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            kafka.clientProperties(), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 100; i++) {
        producer.send(new ProducerRecord<>("orders", 0, null, ("order " + i).getBytes()));
      }
      producer.flush();
    }
    Properties props = kafka.clientProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "billing");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.commitSync(Map.of(new TopicPartition("orders", 0), new OffsetAndMetadata(40)));
    }

    LagSettings lag =
        new LagSettings(
            true,
            Duration.ofSeconds(1),
            List.of(
                new LagSettings.Cluster(
                    "main", kafka.bootstrapServers(), List.of("billing"), null)));
    PrometheusRegistry registry = new PrometheusRegistry();
    ResourceMetrics billing = null;
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.OTLP_METRICS);
        KafkaShipper shipper =
            KafkaShipper.create(settings, Duration.ofSeconds(10), null, registry);
        LagWatcher watcher = LagWatcher.start(lag, shipper, registry)) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (billing == null) {
        assertThat(System.nanoTime()).as("lag reported in time").isLessThan(deadline);
        for (ConsumerRecord<byte[], byte[]> r : tail.await(1, Duration.ofMillis(200))) {
          ResourceMetrics read =
              ExportMetricsServiceRequest.parseFrom(r.value()).getResourceMetrics(0);
          // The first reading cannot say how long ago; the second can.
          if (metric(read, "kafka.consumer_group.lag_seconds").getGauge().getDataPointsCount()
              > 0) {
            billing = read;
          }
        }
      }
    }

    var resource = billing.getResource().getAttributesList();
    assertThat(OtlpAttributes.get(resource, "service.name")).isEqualTo("billing");
    assertThat(OtlpAttributes.get(resource, "kafka.cluster.name")).isEqualTo("main");
    NumberDataPoint partition0 =
        metric(billing, "kafka.consumer_group.lag").getGauge().getDataPoints(0);
    assertThat(partition0.getAsDouble()).isEqualTo(60);
    assertThat(OtlpAttributes.get(partition0.getAttributesList(), "topic")).isEqualTo("orders");
    assertThat(OtlpAttributes.getLong(partition0.getAttributesList(), "partition")).isZero();
    assertThat(
            metric(billing, "kafka.consumer_group.offset")
                .getGauge()
                .getDataPoints(0)
                .getAsDouble())
        .isEqualTo(40);
    assertThat(
            metric(billing, "kafka.consumer_group.lag_sum")
                .getGauge()
                .getDataPoints(0)
                .getAsDouble())
        .isEqualTo(60);
    assertThat(
            metric(billing, "kafka.consumer_group.lag_seconds")
                .getGauge()
                .getDataPoints(0)
                .getAsDouble())
        .as("nothing produced since the first reading: behind at least since then")
        .isGreaterThan(0.5);
  }

  private static Metric metric(ResourceMetrics rm, String name) {
    return rm.getScopeMetrics(0).getMetricsList().stream()
        .filter(m -> m.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }
}
