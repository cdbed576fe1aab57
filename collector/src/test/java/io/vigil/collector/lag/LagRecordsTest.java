package io.vigil.collector.lag;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.vigil.collector.otlp.ResourceSplitter;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.otlp.OtlpAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** A group's lag records: one for a usual group, whole topics per record for a huge one. */
class LagRecordsTest {
  private static final long NOW = 1_714_557_600_000L;

  private final LagEstimator estimator = new LagEstimator();

  /** {@code topics} topics of {@code partitions} partitions, each 7 messages behind. */
  private Map<TopicPartition, OffsetAndMetadata> offsets(
      int topics, int partitions, Map<TopicPartition, Long> ends) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (int t = 0; t < topics; t++) {
      for (int p = 0; p < partitions; p++) {
        TopicPartition partition = new TopicPartition("mirror.topic-" + t, p);
        offsets.put(partition, new OffsetAndMetadata(1_000 + p));
        ends.put(partition, 1_007L + p);
        estimator.end(partition.toString(), NOW - 10_000, 1_000 + p);
        estimator.end(partition.toString(), NOW, 1_007 + p);
      }
    }
    return offsets;
  }

  private static Metric metric(ExportMetricsServiceRequest request, String name) {
    return request.getResourceMetrics(0).getScopeMetrics(0).getMetricsList().stream()
        .filter(m -> m.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aUsualGroupIsOneRecord() throws Exception {
    Map<TopicPartition, Long> ends = new HashMap<>();
    List<SinkRecord> records =
        LagRecords.of("main", estimator, "billing", offsets(2, 3, ends), ends, NOW);

    assertThat(records).hasSize(1);
    ExportMetricsServiceRequest request =
        ExportMetricsServiceRequest.parseFrom(records.get(0).value());
    assertThat(
            OtlpAttributes.get(
                request.getResourceMetrics(0).getResource().getAttributesList(),
                "kafka.cluster.name"))
        .isEqualTo("main");
    assertThat(metric(request, "kafka.consumer_group.lag").getGauge().getDataPointsList())
        .hasSize(6)
        .allMatch(p -> p.getAsDouble() == 7);
    assertThat(metric(request, "kafka.consumer_group.lag_sum").getGauge().getDataPointsList())
        .extracting(NumberDataPoint::getAsDouble)
        .containsExactly(21.0, 21.0);
    assertThat(metric(request, "kafka.consumer_group.lag_seconds").getGauge().getDataPointsList())
        .hasSize(6);
  }

  @Test
  void aGroupTooLargeForOneRecordIsSplitByWholeTopics() throws Exception {
    Map<TopicPartition, Long> ends = new HashMap<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = offsets(80, 100, ends); // 8,000 partitions

    List<SinkRecord> records = LagRecords.of("main", estimator, "mirror", offsets, ends, NOW);

    assertThat(records).hasSizeGreaterThan(1);
    Set<String> lagPoints = new HashSet<>();
    List<String> topicsSummed = new ArrayList<>();
    for (SinkRecord record : records) {
      assertThat(record.value().length).isLessThanOrEqualTo(ResourceSplitter.MAX_RECORD_BYTES);
      assertThat(new String(record.key(), java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo("mirror");
      ExportMetricsServiceRequest request = ExportMetricsServiceRequest.parseFrom(record.value());
      Set<String> topicsHere = new HashSet<>();
      for (NumberDataPoint point :
          metric(request, "kafka.consumer_group.lag").getGauge().getDataPointsList()) {
        String topic = OtlpAttributes.get(point.getAttributesList(), "topic");
        topicsHere.add(topic);
        assertThat(
                lagPoints.add(
                    topic + "/" + OtlpAttributes.getLong(point.getAttributesList(), "partition")))
            .as("each partition once")
            .isTrue();
      }
      Set<String> secondsTopics = new HashSet<>();
      metric(request, "kafka.consumer_group.lag_seconds")
          .getGauge()
          .getDataPointsList()
          .forEach(p -> secondsTopics.add(OtlpAttributes.get(p.getAttributesList(), "topic")));
      for (NumberDataPoint sum :
          metric(request, "kafka.consumer_group.lag_sum").getGauge().getDataPointsList()) {
        String topic = OtlpAttributes.get(sum.getAttributesList(), "topic");
        topicsSummed.add(topic);
        assertThat(sum.getAsDouble()).as(topic).isEqualTo(700.0); // all its 100 partitions here
      }
      assertThat(secondsTopics).as("a topic's seconds beside its sum").isEqualTo(topicsHere);
    }
    assertThat(lagPoints).hasSize(8_000);
    assertThat(topicsSummed).as("each topic's sum once").hasSize(80).doesNotHaveDuplicates();
  }
}
