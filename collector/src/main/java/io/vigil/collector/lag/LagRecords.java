package io.vigil.collector.lag;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.collector.otlp.ResourceSplitter;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.Topics;
import io.vigil.model.otlp.OtlpAttributes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * One consumer group's lag as OTLP records on {@code otlp_metrics}: per topic and partition {@code
 * kafka.consumer_group.lag} (messages), {@code kafka.consumer_group.lag_seconds} ({@link
 * LagEstimator}) and {@code kafka.consumer_group.offset}; per topic {@code
 * kafka.consumer_group.lag_sum}. The resource is the group ({@code service.name} and {@code
 * messaging.consumer.group.name}), its cluster ({@code kafka.cluster.name}) and {@code
 * messaging.system} = kafka.
 *
 * <p>One record per group; a group too large for one (thousands of partitions, e.g. a mirroring
 * group that reads every topic) is stored as several, each holding whole topics: a topic's {@code
 * lag_sum} stays with its partitions' {@code lag_seconds}, which the processor pairs. Pure.
 */
final class LagRecords {
  private LagRecords() {}

  /**
   * The records of {@code group} of cluster {@code clusterName}: its committed {@code offsets}
   * against the partitions' {@code ends} (a partition without an end is left out) at {@code
   * nowMillis}, the seconds behind estimated by {@code estimator}.
   */
  static List<SinkRecord> of(
      String clusterName,
      LagEstimator estimator,
      String group,
      Map<TopicPartition, OffsetAndMetadata> offsets,
      Map<TopicPartition, Long> ends,
      long nowMillis) {
    byte[] key = group.getBytes(StandardCharsets.UTF_8);
    Function<Map<TopicPartition, OffsetAndMetadata>, ExportMetricsServiceRequest> request =
        some -> request(clusterName, estimator, group, some, ends, nowMillis);
    ExportMetricsServiceRequest whole = request.apply(offsets);
    if (whole.getSerializedSize() <= ResourceSplitter.MAX_RECORD_BYTES) {
      return List.of(new SinkRecord(Topics.OTLP_METRICS, key, whole.toByteArray()));
    }
    Map<String, Map<TopicPartition, OffsetAndMetadata>> byTopic = new TreeMap<>();
    offsets.forEach((p, m) -> byTopic.computeIfAbsent(p.topic(), t -> new HashMap<>()).put(p, m));
    List<Map<TopicPartition, OffsetAndMetadata>> parts = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> part = new HashMap<>();
    long partBytes = 0;
    for (Map<TopicPartition, OffsetAndMetadata> topic : byTopic.values()) {
      long bytes = request.apply(topic).getSerializedSize();
      if (!part.isEmpty() && partBytes + bytes > ResourceSplitter.MAX_RECORD_BYTES) {
        parts.add(part);
        part = new HashMap<>();
        partBytes = 0;
      }
      part.putAll(topic);
      partBytes += bytes;
    }
    parts.add(part);
    List<SinkRecord> records = new ArrayList<>(parts.size());
    for (Map<TopicPartition, OffsetAndMetadata> each : parts) {
      records.add(new SinkRecord(Topics.OTLP_METRICS, key, request.apply(each).toByteArray()));
    }
    return records;
  }

  private static ExportMetricsServiceRequest request(
      String clusterName,
      LagEstimator estimator,
      String group,
      Map<TopicPartition, OffsetAndMetadata> offsets,
      Map<TopicPartition, Long> ends,
      long nowMillis) {
    long time = nowMillis * 1_000_000L;
    Gauge.Builder lag = Gauge.newBuilder();
    Gauge.Builder seconds = Gauge.newBuilder();
    Gauge.Builder offset = Gauge.newBuilder();
    Map<String, Long> sums = new TreeMap<>();
    offsets.forEach(
        (partition, meta) -> {
          Long end = ends.get(partition);
          if (end == null) {
            return;
          }
          long behind = Math.max(0, end - meta.offset());
          List<KeyValue> attributes =
              List.of(
                  OtlpAttributes.string("topic", partition.topic()),
                  OtlpAttributes.integer("partition", partition.partition()));
          lag.addDataPoints(point(attributes, time, behind));
          offset.addDataPoints(point(attributes, time, meta.offset()));
          double behindSeconds = estimator.seconds(partition.toString(), meta.offset(), nowMillis);
          if (!Double.isNaN(behindSeconds)) {
            seconds.addDataPoints(point(attributes, time, behindSeconds));
          }
          sums.merge(partition.topic(), behind, Long::sum);
        });
    Gauge.Builder sum = Gauge.newBuilder();
    sums.forEach(
        (topic, total) ->
            sum.addDataPoints(point(List.of(OtlpAttributes.string("topic", topic)), time, total)));
    Resource resource =
        Resource.newBuilder()
            .addAttributes(OtlpAttributes.string("service.name", group))
            .addAttributes(OtlpAttributes.string("messaging.consumer.group.name", group))
            .addAttributes(OtlpAttributes.string("messaging.system", "kafka"))
            .addAttributes(OtlpAttributes.string("kafka.cluster.name", clusterName))
            .build();
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .setResource(resource)
                .addScopeMetrics(
                    ScopeMetrics.newBuilder()
                        .setScope(InstrumentationScope.newBuilder().setName("vigil.lag"))
                        .addMetrics(
                            metric(
                                "kafka.consumer_group.lag",
                                "{message}",
                                "Messages the group is behind the partition's end",
                                lag))
                        .addMetrics(
                            metric(
                                "kafka.consumer_group.lag_seconds",
                                "s",
                                "How long ago the partition's end was where the group is now"
                                    + " (estimated)",
                                seconds))
                        .addMetrics(
                            metric(
                                "kafka.consumer_group.offset",
                                "{message}",
                                "The group's committed offset",
                                offset))
                        .addMetrics(
                            metric(
                                "kafka.consumer_group.lag_sum",
                                "{message}",
                                "Messages the group is behind, summed over the topic's partitions",
                                sum))))
        .build();
  }

  private static Metric metric(String name, String unit, String help, Gauge.Builder gauge) {
    return Metric.newBuilder()
        .setName(name)
        .setUnit(unit)
        .setDescription(help)
        .setGauge(gauge)
        .build();
  }

  private static NumberDataPoint point(List<KeyValue> attributes, long time, double value) {
    return NumberDataPoint.newBuilder()
        .addAllAttributes(attributes)
        .setTimeUnixNano(time)
        .setAsDouble(value)
        .build();
  }
}
