package io.vigil.processor.signals;

import static io.vigil.processor.OtlpRequests.cumulative;
import static io.vigil.processor.OtlpRequests.point;
import static io.vigil.processor.OtlpRequests.request;
import static io.vigil.processor.OtlpRequests.resource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.vigil.model.otlp.OtlpAttributes;
import io.vigil.model.otlp.OtlpJson;
import io.vigil.processor.OtlpRequests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server-duration histograms read from the wire ({@link HistogramWire}) give exactly what
 * protobuf's parse gives ({@link OtlpMetricsDecoder#decode(ExportMetricsServiceRequest,
 * PointSink)}): the same points, the same skipped reasons, the same refusals, and the rest of the
 * request for the other decoders.
 */
class HistogramWireTest {
  private static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");

  /** What a decoder reported: each point in full, each skipped reason. */
  private record Reported(List<String> points, List<String> skipped) {}

  private static Reported byProtobuf(byte[] bytes) throws InvalidProtocolBufferException {
    List<MetricPoint> points = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    OtlpMetricsDecoder.decode(
        ExportMetricsServiceRequest.parseFrom(bytes), PointSink.into(points, skipped::add));
    return new Reported(described(points), skipped);
  }

  private static Reported byWire(byte[] bytes) throws InvalidProtocolBufferException {
    return byWire(bytes, new PointLabelsCache());
  }

  private static Reported byWire(byte[] bytes, PointLabelsCache cache)
      throws InvalidProtocolBufferException {
    List<MetricPoint> points = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    HistogramWire.decode(bytes, cache, PointSink.into(points, skipped::add));
    return new Reported(described(points), skipped);
  }

  /** Points in full (a record compares its arrays by reference), in a stable order. */
  private static List<String> described(List<MetricPoint> points) {
    List<String> out = new ArrayList<>();
    for (MetricPoint p : points) {
      out.add(
          String.join(
              " ",
              p.stream(),
              p.cluster(),
              p.namespace(),
              p.service(),
              String.valueOf(p.error()),
              String.valueOf(p.cumulative()),
              String.valueOf(p.startNanos()),
              String.valueOf(p.timeNanos()),
              String.valueOf(p.count()),
              Arrays.toString(p.boundsMs()),
              Arrays.toString(p.bucketCounts()),
              String.valueOf(p.maxMs()),
              String.valueOf(p.operation()),
              String.valueOf(p.latencyOnly()),
              String.valueOf(p.exponential()),
              p.sketch() == null ? "-" : Arrays.toString(p.sketch().toBytes())));
    }
    out.sort(null);
    return out;
  }

  private static void assertSame(byte[] bytes) throws InvalidProtocolBufferException {
    Reported expected = byProtobuf(bytes);
    Reported actual = byWire(bytes);
    assertThat(actual.points()).isEqualTo(expected.points());
    assertThat(actual.skipped()).containsExactlyInAnyOrderElementsOf(expected.skipped());
  }

  private static Metric named(Metric metric, String name) {
    return metric.toBuilder().setName(name).build();
  }

  @Test
  void readsTheOpenTelemetryExampleRequestAsProtobufDoes() throws IOException {
    ExportMetricsServiceRequest.Builder builder = ExportMetricsServiceRequest.newBuilder();
    try (InputStream in = getClass().getResourceAsStream("/fixtures/otlp/metrics.json")) {
      OtlpJson.merge(in.readAllBytes(), builder);
    }
    ExportMetricsServiceRequest example = builder.build();
    // Its histograms under the names that carry requests; its counter and gauge stay as they are.
    ExportMetricsServiceRequest.Builder renamed = example.toBuilder();
    for (ResourceMetrics.Builder rm : renamed.getResourceMetricsBuilderList()) {
      for (ScopeMetrics.Builder sm : rm.getScopeMetricsBuilderList()) {
        for (Metric.Builder m : sm.getMetricsBuilderList()) {
          if (m.hasHistogram() || m.hasExponentialHistogram()) {
            m.setName("http.server.request.duration").setUnit("ms");
          }
        }
      }
    }
    byte[] bytes = renamed.build().toByteArray();
    assertSame(bytes);
    assertThat(byWire(bytes).points()).isNotEmpty();
    assertSame(example.toByteArray());
  }

  @Test
  void readsWhatAnSdkSendsAndLeavesTheRestToTheOtherDecoders() throws IOException {
    Metric requests =
        cumulative(
            point(T0, T0.plusSeconds(10), 200, 120),
            point(T0, T0.plusSeconds(10), 503, 3).toBuilder()
                .setMax(0.02)
                .addExemplars(
                    Exemplar.newBuilder()
                        .setAsDouble(0.02)
                        .setTimeUnixNano(OtlpRequests.nanos(T0))
                        .addFilteredAttributes(OtlpAttributes.string("client", "a")))
                .build());
    Metric cpu =
        Metric.newBuilder()
            .setName("process.cpu.time")
            .setUnit("s")
            .setSum(
                Sum.newBuilder()
                    .setIsMonotonic(true)
                    .setAggregationTemporality(
                        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE))
            .build();
    ExportMetricsServiceRequest request =
        request(resource("checkout", "shop", "c1"), requests, cpu).toBuilder()
            .addResourceMetrics(
                request(resource("cart", "shop", "c1"), named(requests, "rpc.server.call.duration"))
                    .getResourceMetrics(0))
            .build();
    byte[] bytes = request.toByteArray();
    assertSame(bytes);
    assertThat(byWire(bytes).points()).hasSize(4);

    List<MetricPoint> points = new ArrayList<>();
    ExportMetricsServiceRequest rest =
        HistogramWire.decode(bytes, new PointLabelsCache(), PointSink.into(points, reason -> {}));
    // The other decoders see every resource and every metric but the histograms read.
    assertThat(rest.getResourceMetricsCount()).isEqualTo(2);
    assertThat(rest.getResourceMetrics(0).getResource())
        .isEqualTo(request.getResourceMetrics(0).getResource());
    assertThat(rest.getResourceMetrics(0).getScopeMetrics(0).getScope())
        .isEqualTo(request.getResourceMetrics(0).getScopeMetrics(0).getScope());
    assertThat(rest.getResourceMetrics(0).getScopeMetrics(0).getMetricsList()).containsExactly(cpu);
    assertThat(rest.getResourceMetrics(1).getScopeMetrics(0).getMetricsList()).isEmpty();
  }

  @Test
  void skipsWhatProtobufsPathSkipsForTheSameReasons() throws IOException {
    HistogramDataPoint good = point(T0, T0.plusSeconds(10), 200, 10);
    ExportMetricsServiceRequest request =
        request(
            resource("checkout", "shop", "c1"),
            // The old name beside its successor: superseded.
            named(cumulative(good), "http.server.duration"),
            cumulative(
                good,
                good.toBuilder().setFlags(1).build(), // no recorded value
                good.toBuilder().setTimeUnixNano(0).build(), // missing time
                good.toBuilder()
                    .setStartTimeUnixNano(OtlpRequests.nanos(T0.plusSeconds(20)))
                    .build(),
                good.toBuilder().setCount(11).build(), // buckets do not add up
                good.toBuilder().setExplicitBounds(3, 0.001).build(), // bounds out of order
                good.toBuilder().clearBucketCounts().clearExplicitBounds().build()), // count only
            cumulative(good).toBuilder().setUnit("min").build(), // a unit not known
            cumulative(good).toBuilder()
                .setHistogram(
                    cumulative(good).getHistogram().toBuilder()
                        .setAggregationTemporality(
                            AggregationTemporality.AGGREGATION_TEMPORALITY_UNSPECIFIED))
                .build(),
            // Both a histogram and a sum: protobuf keeps the last; the wire reader leaves it alone.
            Metric.newBuilder()
                .setName("rpc.server.call.duration")
                .setUnit("s")
                .setHistogram(cumulative(good).getHistogram())
                .build());
    byte[] bytes = request.toByteArray();
    assertSame(bytes);
    assertThat(byWire(bytes).skipped())
        .contains(
            "superseded_metric",
            "no_recorded_value",
            "missing_time",
            "invalid_start_time",
            "bucket_mismatch",
            "invalid_bounds",
            "unsupported_unit",
            "unspecified_temporality");
  }

  /**
   * The same attribute bytes say the same only within one stream: another service, or another
   * metric (here one whose status attribute means something else), gets its own entry, and an
   * export seen before is read from the cache with protobuf's results.
   */
  @Test
  void remembersWhatAttributesSayByTheirBytesWithinEachStream() throws IOException {
    Metric requests =
        cumulative(point(T0, T0.plusSeconds(10), 200, 120), point(T0, T0.plusSeconds(10), 503, 3));
    byte[] checkout = request(resource("checkout", "shop", "c1"), requests).toByteArray();
    byte[] cart = request(resource("cart", "shop", "c1"), requests).toByteArray();
    byte[] rpc =
        request(resource("checkout", "shop", "c1"), named(requests, "rpc.server.call.duration"))
            .toByteArray();
    PointLabelsCache cache = new PointLabelsCache();

    assertThat(byWire(checkout, cache)).isEqualTo(byProtobuf(checkout));
    assertThat(cache.size()).isEqualTo(2);
    assertThat(byWire(cart, cache)).isEqualTo(byProtobuf(cart));
    assertThat(byWire(rpc, cache)).isEqualTo(byProtobuf(rpc));
    assertThat(cache.size()).as("each stream its own entries").isEqualTo(6);
    assertThat(byWire(checkout, cache)).isEqualTo(byProtobuf(checkout));
    assertThat(cache.size()).as("the second export read from the cache").isEqualTo(6);
    assertThat(byProtobuf(rpc).points()).isNotEqualTo(byProtobuf(checkout).points());
  }

  /**
   * A point is first compared with the one at its place in its stream's last export: points in
   * another order (attribute sets of the same length), one more in front, or fewer, still read as
   * protobuf reads them, from the entries already there; so do points past a small cache's limit.
   */
  @Test
  void pointsInAnotherOrderReadAsProtobufReadsThem() throws IOException {
    HistogramDataPoint ok = point(T0, T0.plusSeconds(10), 200, 120);
    HistogramDataPoint failed = point(T0, T0.plusSeconds(10), 503, 3);
    HistogramDataPoint notFound = point(T0, T0.plusSeconds(10), 404, 8);
    List<Metric> exports =
        List.of(
            cumulative(ok, failed),
            cumulative(failed, ok),
            cumulative(notFound, ok, failed),
            cumulative(failed),
            cumulative(ok, failed));
    PointLabelsCache cache = new PointLabelsCache();
    PointLabelsCache small = new PointLabelsCache(2);
    for (Metric export : exports) {
      byte[] bytes = request(resource("checkout", "shop", "c1"), export).toByteArray();
      assertThat(byWire(bytes, cache)).isEqualTo(byProtobuf(bytes));
      assertThat(byWire(bytes, small)).isEqualTo(byProtobuf(bytes));
    }
    assertThat(cache.size()).as("one entry per attribute set").isEqualTo(3);
  }

  /** Past its limit the cache starts afresh; what it reports stays protobuf's. */
  @Test
  void startsAfreshPastItsLimit() throws IOException {
    PointLabelsCache cache = new PointLabelsCache(3);
    byte[] bytes =
        request(
                resource("checkout", "shop", "c1"),
                cumulative(
                    point(T0, T0.plusSeconds(10), 200, 120),
                    point(T0, T0.plusSeconds(10), 404, 8),
                    point(T0, T0.plusSeconds(10), 503, 3)))
            .toByteArray();

    assertThat(byWire(bytes, cache)).isEqualTo(byProtobuf(bytes));
    assertThat(cache.size()).isEqualTo(3);
    byte[] other =
        request(resource("cart", "shop", "c1"), cumulative(point(T0, T0.plusSeconds(10), 200, 1)))
            .toByteArray();
    assertThat(byWire(other, cache)).isEqualTo(byProtobuf(other));
    assertThat(cache.size()).isEqualTo(1);
    assertThat(byWire(bytes, cache)).isEqualTo(byProtobuf(bytes));
  }

  /**
   * A request written by hand the way no SDK writes one but protobuf reads: every message's fields
   * in reverse order (a point's attributes split by its start time), repeated numbers unpacked, the
   * scope after the metrics, the resource in two parts (merged), and a field this version does not
   * know.
   */
  @Test
  void readsFieldsInAnyOrderPackedOrNotAsProtobufDoes() throws IOException {
    HistogramDataPoint dp =
        point(T0, T0.plusSeconds(10), 503, 7).toBuilder().setMax(0.05).setSum(0.2).build();
    ByteArrayOutputStream point = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(point);
    out.writeDouble(12, dp.getMax());
    out.writeUInt32(99, 42); // unknown
    for (double b : dp.getExplicitBoundsList()) {
      out.writeDouble(7, b); // unpacked
    }
    for (long c : dp.getBucketCountsList()) {
      out.writeFixed64(6, c);
    }
    out.writeDouble(5, dp.getSum());
    out.writeFixed64(4, dp.getCount());
    out.writeFixed64(3, dp.getTimeUnixNano());
    for (int i = dp.getAttributesCount() - 1; i >= 1; i--) {
      out.writeMessage(9, dp.getAttributes(i));
    }
    out.writeFixed64(2, dp.getStartTimeUnixNano()); // between two attributes
    out.writeMessage(9, dp.getAttributes(0));
    out.flush();
    byte[] histogram =
        message(
            o -> {
              o.writeEnum(2, AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE_VALUE);
              o.writeByteArray(1, point.toByteArray());
            });
    byte[] metric =
        message(
            o -> {
              o.writeByteArray(9, histogram);
              o.writeString(3, "s");
              o.writeString(1, "http.server.request.duration");
            });
    byte[] scope =
        message(
            o -> {
              o.writeByteArray(2, metric);
              o.writeMessage(
                  1,
                  InstrumentationScope.newBuilder()
                      .setName("io.opentelemetry.jetty")
                      .setVersion("2")
                      .build());
            });
    byte[] resourceMetrics =
        message(
            o -> {
              o.writeByteArray(2, scope);
              o.writeMessage(1, resource("checkout", null, null));
              o.writeMessage(1, resource(null, "shop", "c1")); // merged into the first
            });
    byte[] bytes = message(o -> o.writeByteArray(1, resourceMetrics));

    assertSame(bytes);
    PointLabelsCache cache = new PointLabelsCache();
    Reported wire = byWire(bytes, cache);
    assertThat(wire.points()).hasSize(1);
    assertThat(wire.points().get(0)).contains(" c1 shop checkout true true ");
    assertThat(cache.size())
        .as("attributes with other fields between them: not remembered")
        .isZero();
    assertThat(byWire(bytes, cache)).isEqualTo(wire);
  }

  /**
   * Bucket counts and bounds packed in two runs each (protobuf joins them), and a packed run that
   * is not a whole number of 8-byte values, which protobuf refuses.
   */
  @Test
  void readsPackedNumbersInSeveralRunsAndRefusesABrokenRunAsProtobufDoes() throws IOException {
    HistogramDataPoint dp = point(T0, T0.plusSeconds(10), 503, 7);
    List<Long> counts = dp.getBucketCountsList();
    List<Double> bounds = dp.getExplicitBoundsList();
    byte[] split =
        message(
            o -> {
              o.writeFixed64(2, dp.getStartTimeUnixNano());
              o.writeFixed64(3, dp.getTimeUnixNano());
              o.writeFixed64(4, dp.getCount());
              packedLongs(o, 6, counts.subList(0, 3));
              packedLongs(o, 7, bits(bounds.subList(0, 5)));
              packedLongs(o, 6, counts.subList(3, counts.size()));
              packedLongs(o, 7, bits(bounds.subList(5, bounds.size())));
              for (var attribute : dp.getAttributesList()) {
                o.writeMessage(9, attribute);
              }
            });
    assertSame(requestOf(split));
    assertThat(byWire(requestOf(split)).points()).hasSize(1);

    byte[] broken =
        message(
            o -> {
              o.writeFixed64(4, dp.getCount());
              o.writeTag(6, WireFormat.WIRETYPE_LENGTH_DELIMITED);
              o.writeUInt32NoTag(12);
              o.writeFixed64NoTag(1);
              o.writeFixed32NoTag(2);
            });
    assertThatThrownBy(() -> ExportMetricsServiceRequest.parseFrom(requestOf(broken)))
        .isInstanceOf(InvalidProtocolBufferException.class);
    assertThatThrownBy(() -> byWire(requestOf(broken)))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }

  /**
   * A point whose bounds start as the point before it ends (its first run equal to that point's
   * bounds, a second run after it) leaves that point's bounds as they were, and the points after
   * it, with the first one's bounds and with bounds as many but shifted, read them as protobuf does
   * too.
   */
  @Test
  void boundsLikeThePreviousPointsInTheirFirstRunReadAsProtobufReadsThem() throws IOException {
    HistogramDataPoint ok = point(T0, T0.plusSeconds(10), 200, 7);
    HistogramDataPoint failed = point(T0, T0.plusSeconds(10), 503, 2);
    List<Double> bounds = ok.getExplicitBoundsList();
    byte[] first = pointBytes(ok, bounds.subList(0, 5), List.of());
    byte[] longer = pointBytes(failed, bounds.subList(0, 5), bounds.subList(5, bounds.size()));
    byte[] again = pointBytes(ok, bounds.subList(0, 5), List.of());
    byte[] shifted =
        pointBytes(point(T0, T0.plusSeconds(10), 404, 1), bounds.subList(1, 6), List.of());

    byte[] request = requestOf(first, longer, again, shifted);

    assertSame(request);
    List<MetricPoint> points = new ArrayList<>();
    HistogramWire.decode(request, new PointLabelsCache(), PointSink.into(points, reason -> {}));
    assertThat(points).hasSize(4);
    assertThat(points.get(0).boundsMs()).hasSize(5);
    assertThat(points.get(1).boundsMs()).hasSize(bounds.size());
    assertThat(points.get(2).boundsMs()).hasSize(5);
    assertThat(points.get(3).boundsMs()[0]).isEqualTo(points.get(0).boundsMs()[1]);
  }

  /** {@code dp}'s fields, its bounds replaced by two packed runs (the second maybe empty). */
  private static byte[] pointBytes(HistogramDataPoint dp, List<Double> run, List<Double> more)
      throws IOException {
    int buckets = run.size() + more.size() + 1;
    return message(
        o -> {
          o.writeFixed64(2, dp.getStartTimeUnixNano());
          o.writeFixed64(3, dp.getTimeUnixNano());
          o.writeFixed64(4, dp.getCount());
          packedLongs(o, 6, dp.getBucketCountsList().subList(0, buckets));
          packedLongs(o, 7, bits(run));
          if (!more.isEmpty()) {
            packedLongs(o, 7, bits(more));
          }
          for (var attribute : dp.getAttributesList()) {
            o.writeMessage(9, attribute);
          }
        });
  }

  /** Doubles as the 8 bytes protobuf writes for each. */
  private static List<Long> bits(List<Double> values) {
    return values.stream().map(Double::doubleToRawLongBits).toList();
  }

  private static void packedLongs(CodedOutputStream out, int field, List<Long> values)
      throws IOException {
    out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    out.writeUInt32NoTag(values.size() * 8);
    for (long v : values) {
      out.writeFixed64NoTag(v);
    }
  }

  /** A request of service checkout whose one server-duration histogram has one point. */
  private static byte[] requestOf(byte[]... points) throws IOException {
    byte[] histogram =
        message(
            o -> {
              o.writeEnum(2, AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE_VALUE);
              for (byte[] point : points) {
                o.writeByteArray(1, point);
              }
            });
    byte[] metric =
        message(
            o -> {
              o.writeString(1, "http.server.request.duration");
              o.writeString(3, "s");
              o.writeByteArray(9, histogram);
            });
    byte[] scope = message(o -> o.writeByteArray(2, metric));
    byte[] resourceMetrics =
        message(
            o -> {
              o.writeMessage(1, resource("checkout", "shop", "c1"));
              o.writeByteArray(2, scope);
            });
    return message(o -> o.writeByteArray(1, resourceMetrics));
  }

  @Test
  void refusesWhatProtobufRefuses() throws IOException {
    byte[] good =
        request(
                resource("checkout", "shop", "c1"),
                cumulative(point(T0, T0.plusSeconds(1), 200, 1)))
            .toByteArray();
    byte[] truncated = Arrays.copyOf(good, good.length - 3);
    assertThatThrownBy(() -> ExportMetricsServiceRequest.parseFrom(truncated))
        .isInstanceOf(InvalidProtocolBufferException.class);
    assertThatThrownBy(() -> byWire(truncated)).isInstanceOf(InvalidProtocolBufferException.class);

    // A description that is not UTF-8, which proto3 refuses (appended: the last one counts).
    byte[] metric =
        message(
            o -> {
              o.writeRawBytes(cumulative(point(T0, T0.plusSeconds(1), 200, 1)).toByteArray());
              o.writeByteArray(2, new byte[] {(byte) 0xC3, (byte) 0x28});
            });
    byte[] scope = message(o -> o.writeByteArray(2, metric));
    byte[] resourceMetrics = message(o -> o.writeByteArray(2, scope));
    byte[] badBytes = message(o -> o.writeByteArray(1, resourceMetrics));
    assertThatThrownBy(() -> ExportMetricsServiceRequest.parseFrom(badBytes))
        .isInstanceOf(InvalidProtocolBufferException.class);
    assertThatThrownBy(() -> byWire(badBytes)).isInstanceOf(InvalidProtocolBufferException.class);

    // An end-group tag (field 15) inside a data point.
    byte[] pointBytes = point(T0, T0.plusSeconds(1), 200, 1).toByteArray();
    byte[] grouped = Arrays.copyOf(pointBytes, pointBytes.length + 1);
    grouped[pointBytes.length] = (byte) (15 << 3 | 4);
    byte[] groupedBytes = requestOf(grouped);
    assertThatThrownBy(() -> ExportMetricsServiceRequest.parseFrom(groupedBytes))
        .isInstanceOf(InvalidProtocolBufferException.class);
    assertThatThrownBy(() -> byWire(groupedBytes))
        .isInstanceOf(InvalidProtocolBufferException.class);

    assertThat(byWire(new byte[0]).points()).isEmpty();
  }

  /** Writes a message's fields. */
  private interface Fields {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] message(Fields fields) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    fields.write(out);
    out.flush();
    return bytes.toByteArray();
  }
}
