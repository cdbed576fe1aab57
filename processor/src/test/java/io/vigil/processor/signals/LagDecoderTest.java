package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.otlp.OtlpAttributes;
import io.vigil.model.pipeline.PipelineRun;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LagDecoderTest {
  private static final Instant T = Instant.parse("2025-03-01T12:00:00Z");
  private static final long NANOS = T.getEpochSecond() * 1_000_000_000L;

  private static NumberDataPoint point(double value, KeyValue... attributes) {
    return NumberDataPoint.newBuilder()
        .setTimeUnixNano(NANOS)
        .setAsDouble(value)
        .addAllAttributes(List.of(attributes))
        .build();
  }

  private static Metric gauge(String name, NumberDataPoint... points) {
    return Metric.newBuilder()
        .setName(name)
        .setGauge(Gauge.newBuilder().addAllDataPoints(List.of(points)))
        .build();
  }

  private static List<PipelineRun> decode(Resource resource, Metric... metrics) {
    List<PipelineRun> out = new ArrayList<>();
    LagDecoder.decode(
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                ResourceMetrics.newBuilder()
                    .setResource(resource)
                    .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(List.of(metrics))))
            .build(),
        out::add);
    return out;
  }

  @Test
  void theCollectorsLagGaugesBecomeOneRecordPerGroupAndTopicWithTheSlowestPartitionsSeconds() {
    // As the collector's lag watcher stores one group of cluster "main".
    Resource group =
        Resource.newBuilder()
            .addAttributes(OtlpAttributes.string("service.name", "orders-enricher"))
            .addAttributes(
                OtlpAttributes.string("messaging.consumer.group.name", "orders-enricher"))
            .addAttributes(OtlpAttributes.string("kafka.cluster.name", "main"))
            .build();
    KeyValue orders = OtlpAttributes.string("topic", "orders");
    KeyValue refunds = OtlpAttributes.string("topic", "refunds");

    List<PipelineRun> lags =
        decode(
            group,
            gauge(
                LagDecoder.LAG_SECONDS,
                point(12.5, orders, OtlpAttributes.integer("partition", 0)),
                point(40.0, orders, OtlpAttributes.integer("partition", 1)),
                point(0.0, refunds, OtlpAttributes.integer("partition", 0))),
            gauge(LagDecoder.LAG_SUM, point(1500, orders), point(0, refunds)));

    assertThat(lags)
        .extracting(
            r -> r.kind(),
            r -> r.job().key(),
            r -> r.lag().topic(),
            r -> r.lag().messages(),
            r -> r.lag().seconds(),
            PipelineRun::timestamp)
        .containsExactly(
            tuple("lag", "main/orders-enricher", "orders", 1500L, 40.0, T),
            tuple("lag", "main/orders-enricher", "refunds", 0L, 0.0, T));
    assertThat(lags.get(0).id()).isEqualTo("main/orders-enricher/orders@" + T.toEpochMilli());
  }

  @Test
  void kafkametricsGaugesNameTheGroupOnEachPointAndHaveNoSeconds() {
    // The OpenTelemetry Collector's kafkametrics receiver: group and topic are point attributes.
    List<PipelineRun> lags =
        decode(
            Resource.getDefaultInstance(),
            gauge(
                LagDecoder.LAG_SUM,
                point(
                    7,
                    OtlpAttributes.string("group", "billing"),
                    OtlpAttributes.string("topic", "invoices"))));

    assertThat(lags).hasSize(1);
    assertThat(lags.get(0).job()).isEqualTo(new PipelineRun.Job("kafka", "billing"));
    assertThat(lags.get(0).lag()).isEqualTo(new PipelineRun.Lag("invoices", 7, null));
  }

  @Test
  void pointsWithoutGroupOrTopicOrWithANegativeLagAreLeftOut() {
    List<PipelineRun> lags =
        decode(
            Resource.getDefaultInstance(),
            gauge(
                LagDecoder.LAG_SUM,
                point(3, OtlpAttributes.string("topic", "t")),
                point(3, OtlpAttributes.string("group", "g")),
                point(
                    -1, OtlpAttributes.string("group", "g"), OtlpAttributes.string("topic", "t"))));

    assertThat(lags).isEmpty();
  }
}
