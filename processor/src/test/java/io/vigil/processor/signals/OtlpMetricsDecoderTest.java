package io.vigil.processor.signals;

import static io.vigil.processor.OtlpRequests.point;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.Buckets;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.processor.OtlpRequests;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OtlpMetricsDecoderTest {
  private static final Instant T = Instant.parse("2025-03-01T12:00:00Z");

  private final List<MetricPoint> points = new ArrayList<>();
  private final List<String> skipped = new ArrayList<>();

  private void decode(ExportMetricsServiceRequest request) {
    OtlpMetricsDecoder.decode(request, PointSink.into(points, skipped::add));
  }

  @Test
  void readsSeriesFromResourceAttributesAndConvertsSecondsToMilliseconds() {
    Resource resource =
        Resource.newBuilder()
            .addAttributes(OtlpRequests.resource("api", null, null).getAttributes(0))
            .addAttributes(
                io.opentelemetry.proto.common.v1.KeyValue.newBuilder()
                    .setKey("service.namespace")
                    .setValue(
                        io.opentelemetry.proto.common.v1.AnyValue.newBuilder()
                            .setStringValue("payments")))
            .build();
    HistogramDataPoint dp =
        point(T, T.plusSeconds(1), 200, new double[] {0.1, 1}, 1, 2, 3).toBuilder()
            .setMax(2.5)
            .build();
    decode(OtlpRequests.request(resource, OtlpRequests.delta(dp)));

    assertThat(skipped).isEmpty();
    MetricPoint p = points.get(0);
    assertThat(p.seriesKey()).isEqualTo("/payments/api/");
    assertThat(p.boundsMs()).containsExactly(100.0, 1000.0);
    assertThat(p.bucketCounts()).containsExactly(1, 2, 3);
    assertThat(p.count()).isEqualTo(6);
    assertThat(p.maxMs()).isEqualTo(2500.0);
    assertThat(p.cumulative()).isFalse();
    assertThat(p.timeMillis()).isEqualTo(T.plusSeconds(1).toEpochMilli());
  }

  @Test
  void namesAServiceWithoutNameLikeTheSdks() {
    decode(
        OtlpRequests.request(
            Resource.getDefaultInstance(), OtlpRequests.cumulative(point(T, T, 200, 1))));

    assertThat(points.get(0).service()).isEqualTo("unknown_service");
    assertThat(points.get(0).cluster()).isNull();
    assertThat(points.get(0).namespace()).isNull();
  }

  @Test
  void givesEachAttributeSetItsOwnStream() {
    decode(
        OtlpRequests.request(
            OtlpRequests.resource("api", "ns", "c"),
            OtlpRequests.cumulative(
                point(T, T, 200, 1), point(T, T, 500, 1), point(T, T.plusSeconds(1), 200, 2))));

    assertThat(points.get(0).stream()).isNotEqualTo(points.get(1).stream());
    assertThat(points.get(0).stream()).isEqualTo(points.get(2).stream());
    assertThat(points.get(1).error()).isTrue();
  }

  @Test
  void dropsTheMaxOfCumulativePoints() {
    decode(
        OtlpRequests.request(
            OtlpRequests.resource("api", null, null),
            OtlpRequests.cumulative(point(T, T, 200, 1).toBuilder().setMax(1).build())));

    assertThat(points.get(0).maxMs()).isNull();
  }

  @Test
  void skipsPointsItCannotUse() {
    HistogramDataPoint good = point(T, T.plusSeconds(1), 200, 1);
    decode(
        OtlpRequests.request(
            OtlpRequests.resource("api", null, null),
            OtlpRequests.duration(
                "min", AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA, good),
            OtlpRequests.duration(
                "s", AggregationTemporality.AGGREGATION_TEMPORALITY_UNSPECIFIED, good),
            OtlpRequests.delta(
                good.toBuilder().setTimeUnixNano(0).build(),
                good.toBuilder().setStartTimeUnixNano(OtlpRequests.nanos(T.plusSeconds(5))).build(),
                good.toBuilder()
                    .setFlags(DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE)
                    .build(),
                good.toBuilder().setExplicitBounds(1, 0.001).build(),
                good.toBuilder().clearBucketCounts().build())));

    assertThat(points).isEmpty();
    assertThat(skipped)
        .containsExactly(
            "unsupported_unit",
            "unspecified_temporality",
            "missing_time",
            "invalid_start_time",
            "no_recorded_value",
            "invalid_bounds",
            "bucket_mismatch");
  }

  @Test
  void acceptsAPointWithoutBuckets() {
    HistogramDataPoint countOnly =
        HistogramDataPoint.newBuilder().setTimeUnixNano(OtlpRequests.nanos(T)).setCount(3).build();
    decode(
        OtlpRequests.request(
            OtlpRequests.resource("api", null, null), OtlpRequests.delta(countOnly)));

    assertThat(points.get(0).count()).isEqualTo(3);
    assertThat(points.get(0).hasBuckets()).isFalse();
  }

  private static Metric named(String name, String unit, HistogramDataPoint... points) {
    return OtlpRequests.duration(unit, AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA, points)
        .toBuilder()
        .setName(name)
        .build();
  }

  private static HistogramDataPoint rpc(long grpcCode, long count) {
    return point(T, T.plusSeconds(1), 200, new double[] {5, 50}, 0, count, 0).toBuilder()
        .clearAttributes()
        .addAttributes(
            KeyValue.newBuilder()
                .setKey("rpc.grpc.status_code")
                .setValue(AnyValue.newBuilder().setIntValue(grpcCode)))
        .build();
  }

  @Test
  void readsTheOldHttpNameInMillisecondsUnlessItsSuccessorIsSentToo() {
    HistogramDataPoint dp = point(T, T.plusSeconds(1), 503, new double[] {5, 50}, 1, 2, 0);
    Resource legacy = OtlpRequests.resource("legacy", null, null);
    Resource migrating = OtlpRequests.resource("migrating", null, null);
    decode(OtlpRequests.request(legacy, named("http.server.duration", "ms", dp)));
    decode(
        OtlpRequests.request(
            migrating,
            named("http.server.duration", "ms", dp),
            named("http.server.request.duration", "s", dp)));

    assertThat(points).extracting(MetricPoint::service).containsExactly("legacy", "migrating");
    assertThat(points.get(0).boundsMs()).containsExactly(5.0, 50.0);
    assertThat(points.get(0).error()).isTrue();
    assertThat(skipped).containsExactly("superseded_metric");
  }

  @Test
  void countsGrpcServerErrorsByStatusCode() {
    decode(
        OtlpRequests.request(
            OtlpRequests.resource("grpc", null, null),
            named("rpc.server.duration", "ms", rpc(0, 5), rpc(5, 1), rpc(14, 2), rpc(13, 3))));

    assertThat(points).extracting(MetricPoint::error).containsExactly(false, false, true, true);
    assertThat(skipped).isEmpty();
  }

  @Test
  void turnsExponentialBucketsIntoExplicitOnes() {
    // Scale 0: base 2. Offset 3: buckets (8, 16], (16, 32], (32, 64] seconds.
    ExponentialHistogramDataPoint dp =
        ExponentialHistogramDataPoint.newBuilder()
            .setStartTimeUnixNano(OtlpRequests.nanos(T))
            .setTimeUnixNano(OtlpRequests.nanos(T.plusSeconds(1)))
            .setScale(0)
            .setZeroCount(1)
            .setCount(10)
            .setPositive(
                Buckets.newBuilder()
                    .setOffset(3)
                    .addBucketCounts(2)
                    .addBucketCounts(0)
                    .addBucketCounts(7))
            .setMax(60)
            .build();
    decode(
        OtlpRequests.request(
            OtlpRequests.resource("api", null, null),
            Metric.newBuilder()
                .setName("http.server.request.duration")
                .setUnit("s")
                .setExponentialHistogram(
                    ExponentialHistogram.newBuilder()
                        .setAggregationTemporality(
                            AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                        .addDataPoints(dp)
                        .addDataPoints(dp.toBuilder().setScale(21))
                        .addDataPoints(dp.toBuilder().setCount(11)))
                .build()));

    assertThat(points).hasSize(1);
    MetricPoint p = points.get(0);
    assertThat(p.boundsMs()).containsExactly(8_000.0, 16_000.0, 32_000.0, 64_000.0);
    assertThat(p.bucketCounts()).containsExactly(1, 2, 0, 7, 0);
    assertThat(p.count()).isEqualTo(10);
    assertThat(p.maxMs()).isEqualTo(60_000.0);
    assertThat(skipped).containsExactly("invalid_scale", "bucket_mismatch");
    // The median is in (32 s, 64 s]: 10 × 0.5 = rank 5, 3 below, 7 inside.
    assertThat(QuantileEstimator.quantile(0.5, p.boundsMs(), new double[] {1, 2, 0, 7, 0}))
        .isCloseTo(32_000 + 32_000 * 2 / 7.0, within(1e-6));
  }

  private static KeyValue str(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  @Test
  void namesTheOperationByRouteTemplateOrRpcMethodNeverByPath() {
    var http = OtlpMetricsDecoder.Source.HTTP;
    assertThat(
            OtlpMetricsDecoder.operation(
                http, List.of(str("http.request.method", "GET"), str("http.route", "/u/{id}"))))
        .isEqualTo("GET /u/{id}");
    assertThat(
            OtlpMetricsDecoder.operation(
                OtlpMetricsDecoder.Source.HTTP_OLD,
                List.of(str("http.method", "POST"), str("http.route", "/pay"))))
        .as("the semantic conventions before 1.20")
        .isEqualTo("POST /pay");
    assertThat(
            OtlpMetricsDecoder.operation(
                http, List.of(str("http.request.method", "GET"), str("url.path", "/u/123"))))
        .as("a raw path has ids in it: no operation")
        .isNull();
    assertThat(
            OtlpMetricsDecoder.operation(
                OtlpMetricsDecoder.Source.RPC,
                List.of(str("rpc.service", "shop.Cart"), str("rpc.method", "Add"))))
        .isEqualTo("shop.Cart/Add");
  }
}
