package io.vigil.collector.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.vigil.model.Topics;
import io.vigil.model.otlp.OtlpAttributes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The collector's own resource attributes, added on the wire where a resource misses them. */
class ResourceAttributesTest {
  private static final Map<String, String> OURS = new LinkedHashMap<>();

  static {
    OURS.put("k8s.cluster.name", "prod-eu");
    OURS.put("deployment.environment", "production");
  }

  private static Resource resource(String... keyValues) {
    Resource.Builder r = Resource.newBuilder();
    for (int i = 0; i < keyValues.length; i += 2) {
      r.addAttributes(OtlpAttributes.string(keyValues[i], keyValues[i + 1]));
    }
    return r.build();
  }

  private static ResourceMetrics metrics(Resource resource) {
    return ResourceMetrics.newBuilder()
        .setResource(resource)
        .addScopeMetrics(
            ScopeMetrics.newBuilder()
                .addMetrics(
                    Metric.newBuilder()
                        .setName("up")
                        .setGauge(
                            Gauge.newBuilder()
                                .addDataPoints(NumberDataPoint.newBuilder().setAsDouble(1)))))
        .setSchemaUrl("https://opentelemetry.io/schemas/1.24.0")
        .build();
  }

  @Test
  void addsWhatEachResourceMissesAndKeepsWhatItsSenderSet() throws Exception {
    ExportMetricsServiceRequest request =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(metrics(resource("service.name", "checkout")))
            .addResourceMetrics(
                metrics(resource("service.name", "cart", "k8s.cluster.name", "staging")))
            .build();

    byte[] enriched = new ResourceAttributes(OURS).addTo(request.toByteArray());

    ExportMetricsServiceRequest expected =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                metrics(
                    resource(
                        "service.name",
                        "checkout",
                        "k8s.cluster.name",
                        "prod-eu",
                        "deployment.environment",
                        "production")))
            .addResourceMetrics(
                metrics(
                    resource(
                        "service.name",
                        "cart",
                        "k8s.cluster.name",
                        "staging",
                        "deployment.environment",
                        "production")))
            .build();
    assertThat(ExportMetricsServiceRequest.parseFrom(enriched)).isEqualTo(expected);
  }

  @Test
  void aResourceWithEverythingAlreadyIsStoredAsItCame() {
    byte[] request =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                metrics(
                    resource("deployment.environment", "dev", "k8s.cluster.name", "c1", "x", "y")))
            .build()
            .toByteArray();

    assertThat(new ResourceAttributes(OURS).addTo(request)).isSameAs(request);
  }

  @Test
  void logsAndSpansWithoutAnyResourceGetOne() throws Exception {
    ExportLogsServiceRequest logs =
        ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(
                ResourceLogs.newBuilder()
                    .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(LogRecord.newBuilder())))
            .build();
    ExportTraceServiceRequest spans =
        ExportTraceServiceRequest.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .addScopeSpans(
                        ScopeSpans.newBuilder().addSpans(Span.newBuilder().setName("s"))))
            .build();
    ResourceAttributes ours = new ResourceAttributes(OURS);
    Resource expected =
        resource("k8s.cluster.name", "prod-eu", "deployment.environment", "production");

    assertThat(
            ExportLogsServiceRequest.parseFrom(ours.addTo(logs.toByteArray()))
                .getResourceLogs(0)
                .getResource())
        .isEqualTo(expected);
    assertThat(
            ExportTraceServiceRequest.parseFrom(ours.addTo(spans.toByteArray()))
                .getResourceSpans(0))
        .isEqualTo(spans.getResourceSpans(0).toBuilder().setResource(expected).build());
  }

  @Test
  void bytesThatAreNotARequestAreStoredAsTheyCame() {
    byte[] garbage = {(byte) 0x0a, (byte) 0xff, 0x01};
    assertThat(new ResourceAttributes(OURS).addTo(garbage)).isSameAs(garbage);
  }

  @Test
  void theSinkEnrichesOtlpRecordsAndOpenLineageEvents() throws Exception {
    List<SinkRecord> stored = new ArrayList<>();
    RecordSink sink =
        EnrichingSink.of(
            records -> {
              stored.addAll(records);
              return CompletableFuture.completedFuture(null);
            },
            OURS);
    byte[] metrics =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(metrics(resource("service.name", "checkout")))
            .build()
            .toByteArray();
    byte[] lineage = "{\"run\":{\"runId\":\"r1\"}}".getBytes(StandardCharsets.UTF_8);

    sink.store(
            List.of(
                new SinkRecord(Topics.OTLP_METRICS, null, metrics),
                new SinkRecord(Topics.LINEAGE, null, lineage)))
        .get();

    assertThat(
            OtlpAttributes.get(
                ExportMetricsServiceRequest.parseFrom(stored.get(0).value())
                    .getResourceMetrics(0)
                    .getResource()
                    .getAttributesList(),
                "k8s.cluster.name"))
        .isEqualTo("prod-eu");
    assertThat(new String(stored.get(1).value(), StandardCharsets.UTF_8))
        .startsWith("{\"run\":{\"facets\":{\"vigil_resource\":")
        .contains("\"k8s.cluster.name\":\"prod-eu\"")
        .endsWith("},\"runId\":\"r1\"}}");
    RecordSink plain = records -> CompletableFuture.completedFuture(null);
    assertThat(EnrichingSink.of(plain, Map.of())).isSameAs(plain);
  }
}
