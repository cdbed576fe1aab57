package io.vigil.processor.signals;

import static io.vigil.processor.OtlpRequests.nanos;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.vigil.model.otlp.OtlpAttributes;
import io.vigil.model.otlp.OtlpJson;
import io.vigil.processor.OtlpRequests;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OtlpSpansDecoderTest {
  private static final Instant T = Instant.parse("2026-12-01T12:00:00Z");
  private static final Resource CHECKOUT = OtlpRequests.resource("checkout", "shop", "c1");

  private final List<MetricPoint> points = new ArrayList<>();
  private final List<String> skipped = new ArrayList<>();

  private void decode(ExportTraceServiceRequest request) {
    OtlpSpansDecoder.decode(request, PointSink.into(points, skipped::add));
  }

  /** A server span of {@code name} ending at {@code T + endMs} after {@code latencyMs}. */
  static Span server(String name, long endMs, long latencyMs) {
    Instant end = T.plusMillis(endMs);
    return Span.newBuilder()
        .setName(name)
        .setKind(Span.SpanKind.SPAN_KIND_SERVER)
        .setStartTimeUnixNano(nanos(end.minusMillis(latencyMs)))
        .setEndTimeUnixNano(nanos(end))
        .build();
  }

  static Span failed(Span span) {
    return span.toBuilder()
        .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR))
        .build();
  }

  static ExportTraceServiceRequest spans(Resource resource, Span... spans) {
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .setResource(resource)
                .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(List.of(spans))))
        .build();
  }

  @Test
  void countsTheServerSpanOfTheUpstreamExample() throws Exception {
    ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
    try (InputStream in = getClass().getResourceAsStream("/fixtures/otlp/trace.json")) {
      OtlpJson.merge(in.readAllBytes(), request);
    }
    decode(request.build());

    assertThat(skipped).isEmpty();
    assertThat(points).hasSize(1);
    MetricPoint p = points.get(0);
    assertThat(p.seriesKey()).isEqualTo("//my.service/");
    // No route or RPC attributes: the server span's name is its operation.
    assertThat(p.operation()).isEqualTo("I'm a server span");
    assertThat(p.count()).isEqualTo(1);
    assertThat(p.error()).isFalse();
    assertThat(p.cumulative()).isFalse();
    assertThat(p.fromSpans()).isTrue();
    assertThat(p.latencyOnly()).isFalse();
    // It lasted exactly one second.
    assertThat(p.maxMs()).isEqualTo(1000.0);
    assertThat(p.hasBuckets()).isFalse();
    assertThat(p.sketch().count()).isEqualTo(1);
    assertThat(p.sketch().quantile(0.5)).isCloseTo(1000.0, withinPercentage(1));
    assertThat(p.startNanos()).isEqualTo(1544712661000000000L);
    assertThat(p.timeNanos()).isEqualTo(1544712661000000000L);
  }

  @Test
  void sumsServerSpansPerOperationOutcomeAndSecondBetweenTheEarliestAndLatestEnd() {
    decode(
        spans(
            CHECKOUT,
            server("GET /cart", 100, 3),
            server("GET /cart", 900, 40),
            failed(server("GET /cart", 500, 2000)),
            server("POST /pay", 300, 12)));

    assertThat(skipped).isEmpty();
    assertThat(points)
        .extracting(MetricPoint::operation, MetricPoint::error, MetricPoint::count)
        .containsExactly(
            tuple("GET /cart", false, 2L),
            tuple("GET /cart", true, 1L),
            tuple("POST /pay", false, 1L));
    MetricPoint cart = points.get(0);
    assertThat(cart.seriesKey()).isEqualTo("c1/shop/checkout/");
    assertThat(cart.startNanos()).isEqualTo(nanos(T.plusMillis(100)));
    assertThat(cart.timeNanos()).isEqualTo(nanos(T.plusMillis(900)));
    assertThat(cart.maxMs()).isEqualTo(40.0);
    // The durations themselves, within 1 %: no bucket bounds in between.
    assertThat(cart.sketch().count()).isEqualTo(2);
    assertThat(cart.sketch().quantile(0)).isCloseTo(3, withinPercentage(1));
    assertThat(cart.sketch().quantile(1)).isCloseTo(40, withinPercentage(1));
    assertThat(points.get(1).sketch().quantile(0.99)).isCloseTo(2000, withinPercentage(1));
    assertThat(points.get(0).stream()).isNotEqualTo(points.get(1).stream());
  }

  @Test
  void givesEachSecondOfSpansItsOwnPointOfTheSameStream() {
    decode(
        spans(
            CHECKOUT,
            server("GET /cart", 200, 10),
            server("GET /cart", 1_100, 20),
            server("GET /cart", 1_900, 30),
            server("GET /cart", 4_000, 40)));

    assertThat(points)
        .extracting(p -> p.startNanos(), p -> p.timeNanos(), MetricPoint::count)
        .containsExactly(
            tuple(nanos(T.plusMillis(200)), nanos(T.plusMillis(200)), 1L),
            tuple(nanos(T.plusMillis(1_100)), nanos(T.plusMillis(1_900)), 2L),
            tuple(nanos(T.plusMillis(4_000)), nanos(T.plusMillis(4_000)), 1L));
    assertThat(points.get(1).sketch().quantile(1)).isCloseTo(30, withinPercentage(1));
    assertThat(points).extracting(MetricPoint::stream).containsOnly(points.get(0).stream());
  }

  @Test
  void namesOperationsAsTheRequestMetricsDo() {
    Span http =
        server("GET", 10, 1).toBuilder()
            .addAttributes(OtlpAttributes.string("http.request.method", "GET"))
            .addAttributes(OtlpAttributes.string("http.route", "/users/{id}"))
            .addAttributes(OtlpAttributes.string("url.path", "/users/42"))
            .build();
    Span oldHttp =
        server("/orders", 10, 1).toBuilder()
            .addAttributes(OtlpAttributes.string("http.method", "POST"))
            .addAttributes(OtlpAttributes.string("http.route", "/orders"))
            .build();
    Span rpc =
        server("shop.Cart/Add", 10, 1).toBuilder()
            .addAttributes(OtlpAttributes.string("rpc.service", "shop.Cart"))
            .addAttributes(OtlpAttributes.string("rpc.method", "Add"))
            .build();
    Span unnamed = server("", 10, 1);
    decode(spans(CHECKOUT, http, oldHttp, rpc, unnamed));

    assertThat(points)
        .extracting(MetricPoint::operation)
        .containsExactly("GET /users/{id}", "POST /orders", "shop.Cart/Add", null);
  }

  @Test
  void ignoresSpansThatAreNotServerSpansWithoutCountingThem() {
    Span.SpanKind[] others = {
      Span.SpanKind.SPAN_KIND_CLIENT,
      Span.SpanKind.SPAN_KIND_INTERNAL,
      Span.SpanKind.SPAN_KIND_PRODUCER,
      Span.SpanKind.SPAN_KIND_CONSUMER,
      Span.SpanKind.SPAN_KIND_UNSPECIFIED
    };
    List<Span> spans = new ArrayList<>();
    for (Span.SpanKind kind : others) {
      spans.add(failed(server("call", 10, 1)).toBuilder().setKind(kind).build());
    }
    spans.add(server("GET /", 20, 1));
    decode(spans(CHECKOUT, spans.toArray(Span[]::new)));

    assertThat(skipped).isEmpty();
    assertThat(points).singleElement().satisfies(p -> assertThat(p.count()).isEqualTo(1));
  }

  @Test
  void skipsServerSpansWithNonsenseTimes() {
    Span good = server("GET /", 10, 5);
    decode(
        spans(
            CHECKOUT,
            good.toBuilder().setStartTimeUnixNano(0).build(),
            good.toBuilder().setEndTimeUnixNano(0).build(),
            good.toBuilder().setEndTimeUnixNano(good.getStartTimeUnixNano() - 1).build(),
            good.toBuilder().setEndTimeUnixNano(-1).build(),
            good));

    assertThat(skipped)
        .containsExactly("missing_time", "missing_time", "invalid_start_time", "missing_time");
    assertThat(points).singleElement().satisfies(p -> assertThat(p.count()).isEqualTo(1));
  }

  @Test
  void keepsResourcesApart() {
    Resource cart = OtlpRequests.resource("cart", "shop", "c1");
    decode(
        ExportTraceServiceRequest.newBuilder()
            .addAllResourceSpans(spans(CHECKOUT, server("GET /", 10, 1)).getResourceSpansList())
            .addAllResourceSpans(spans(cart, server("GET /", 10, 1)).getResourceSpansList())
            .build());

    assertThat(points)
        .extracting(MetricPoint::seriesKey)
        .containsExactly("c1/shop/checkout/", "c1/shop/cart/");
  }
}
