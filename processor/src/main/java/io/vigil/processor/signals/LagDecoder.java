package io.vigil.processor.signals;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.vigil.model.otlp.OtlpAttributes;
import io.vigil.model.pipeline.PipelineRun;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns consumer-group lag gauges into the data journey's lag records ({@link PipelineRun#lag}):
 * per group and topic, the messages behind ({@code kafka.consumer_group.lag_sum}) and, where the
 * collector estimated it, the seconds behind (the largest {@code kafka.consumer_group.lag_seconds}
 * of the topic's partitions). Reads the collector's lag watcher (the group in the resource's {@code
 * messaging.consumer.group.name}, the cluster in {@code kafka.cluster.name}) and the OpenTelemetry
 * Collector's {@code kafkametrics} receiver (the group in the point's {@code group} attribute). The
 * job of a lag record is the group: namespace = the cluster's name (else {@code kafka}), name = the
 * group id. Pure: no Kafka, no clock.
 */
final class LagDecoder {
  /** Messages behind, per group and topic. */
  static final String LAG_SUM = "kafka.consumer_group.lag_sum";

  /** Seconds behind, per group, topic and partition (the collector's estimate). */
  static final String LAG_SECONDS = "kafka.consumer_group.lag_seconds";

  private LagDecoder() {}

  /** Reports one lag record per group and topic of {@code request} to {@code sink}. */
  static void decode(ExportMetricsServiceRequest request, Consumer<PipelineRun> sink) {
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      Metric sum = null;
      Metric seconds = null;
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric metric : sm.getMetricsList()) {
          if (metric.getName().equals(LAG_SUM) && metric.hasGauge()) {
            sum = metric;
          } else if (metric.getName().equals(LAG_SECONDS) && metric.hasGauge()) {
            seconds = metric;
          }
        }
      }
      if (sum == null) {
        continue;
      }
      List<KeyValue> resource = rm.getResource().getAttributesList();
      String cluster = OtlpAttributes.get(resource, "kafka.cluster.name");
      String namespace = cluster == null || cluster.isEmpty() ? "kafka" : cluster;
      String resourceGroup = OtlpAttributes.get(resource, "messaging.consumer.group.name");
      Map<String, Double> secondsBehind = new LinkedHashMap<>();
      if (seconds != null) {
        for (NumberDataPoint dp : seconds.getGauge().getDataPointsList()) {
          String key = group(resourceGroup, dp) + "\n" + topic(dp);
          double v = value(dp);
          if (Double.isFinite(v) && v >= 0) {
            secondsBehind.merge(key, v, Math::max);
          }
        }
      }
      for (NumberDataPoint dp : sum.getGauge().getDataPointsList()) {
        String group = group(resourceGroup, dp);
        String topic = topic(dp);
        double messages = value(dp);
        if (group == null || topic == null || !Double.isFinite(messages) || messages < 0) {
          continue;
        }
        long nanos = dp.getTimeUnixNano();
        sink.accept(
            PipelineRun.lag(
                Instant.ofEpochSecond(0, nanos),
                new PipelineRun.Job(namespace, group),
                new PipelineRun.Lag(
                    topic, Math.round(messages), secondsBehind.get(group + "\n" + topic))));
      }
    }
  }

  private static String group(String resourceGroup, NumberDataPoint dp) {
    return resourceGroup != null
        ? resourceGroup
        : OtlpAttributes.get(dp.getAttributesList(), "group");
  }

  private static String topic(NumberDataPoint dp) {
    return OtlpAttributes.get(dp.getAttributesList(), "topic");
  }

  private static double value(NumberDataPoint dp) {
    return dp.hasAsInt() ? dp.getAsInt() : dp.getAsDouble();
  }
}
