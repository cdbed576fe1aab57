package io.vigil.collector.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.vigil.collector.TestRequests;
import io.vigil.collector.sink.SinkRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResourceSplitterTest {

  @Test
  void splitsMetricsIntoOneRequestPerResourceKeyedByServiceName() throws Exception {
    ExportMetricsServiceRequest request = TestRequests.metrics(2, "checkout", "payments", null);

    List<SinkRecord> records = ResourceSplitter.records(OtlpSignal.METRICS, request);

    assertThat(records)
        .extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
        .containsExactly("checkout", "payments", "unknown_service");
    assertThat(records).extracting(SinkRecord::topic).containsOnly("otlp_metrics");
    for (int i = 0; i < records.size(); i++) {
      ExportMetricsServiceRequest single =
          ExportMetricsServiceRequest.parseFrom(records.get(i).value());
      assertThat(single.getResourceMetricsList()).containsExactly(request.getResourceMetrics(i));
    }
  }

  @Test
  void aRequestOfOneResourceIsStoredAsItCame() throws Exception {
    ExportMetricsServiceRequest one = TestRequests.metrics(3, "checkout");
    byte[] encoded = one.toByteArray();

    List<SinkRecord> records = ResourceSplitter.records(OtlpSignal.METRICS, one, encoded);

    assertThat(records).singleElement().satisfies(r -> assertThat(r.value()).isSameAs(encoded));
    assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("checkout");
    ExportMetricsServiceRequest two = TestRequests.metrics(1, "a", "b");
    assertThat(ResourceSplitter.records(OtlpSignal.METRICS, two, two.toByteArray()))
        .as("two resources are still split")
        .hasSize(2);
  }

  @Test
  void aResourceTooLargeForOneKafkaRecordIsSplitNeverDropped() throws Exception {
    ExportMetricsServiceRequest big = TestRequests.metrics(200_000, "bulk"); // about 3.5 MB
    assertThat(big.getSerializedSize()).isGreaterThan(3 * ResourceSplitter.MAX_RECORD_BYTES);

    List<SinkRecord> records = ResourceSplitter.records(OtlpSignal.METRICS, big, big.toByteArray());

    assertThat(records).hasSizeGreaterThan(3);
    assertThat(records)
        .allSatisfy(
            r ->
                assertThat(r.value().length)
                    .isLessThanOrEqualTo(ResourceSplitter.MAX_RECORD_BYTES));
    long points = 0;
    for (SinkRecord r : records) {
      ExportMetricsServiceRequest part = ExportMetricsServiceRequest.parseFrom(r.value());
      assertThat(part.getResourceMetrics(0).getResource())
          .isEqualTo(big.getResourceMetrics(0).getResource());
      for (var point :
          part.getResourceMetrics(0)
              .getScopeMetrics(0)
              .getMetrics(0)
              .getGauge()
              .getDataPointsList()) {
        assertThat(point.getAsDouble()).as("points stay in order").isEqualTo(points++);
      }
      assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("bulk");
    }
    assertThat(points).isEqualTo(OtlpSignal.METRICS.count(big));
  }

  @Test
  void keysAreUtf8() {
    List<SinkRecord> records =
        ResourceSplitter.records(OtlpSignal.METRICS, TestRequests.metrics(1, "café-ümlaut"));

    assertThat(records.get(0).key()).isEqualTo("café-ümlaut".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void splitsLogsAndTraces() throws Exception {
    ExportLogsServiceRequest logs =
        ExportLogsServiceRequest.newBuilder()
            .addAllResourceLogs(TestRequests.logs("a").getResourceLogsList())
            .addAllResourceLogs(TestRequests.logs("b").getResourceLogsList())
            .build();
    List<SinkRecord> logRecords = ResourceSplitter.records(OtlpSignal.LOGS, logs);
    assertThat(logRecords)
        .extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
        .containsExactly("a", "b");
    assertThat(ExportLogsServiceRequest.parseFrom(logRecords.get(1).value()).getResourceLogsList())
        .containsExactly(logs.getResourceLogs(1));

    assertThat(logRecords).extracting(SinkRecord::topic).containsOnly("otlp_logs");
    List<SinkRecord> spanRecords =
        ResourceSplitter.records(OtlpSignal.TRACES, TestRequests.traces("checkout"));
    assertThat(spanRecords)
        .extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
        .containsExactly("checkout");
    assertThat(ExportTraceServiceRequest.parseFrom(spanRecords.get(0).value()))
        .isEqualTo(TestRequests.traces("checkout"));
  }

  @Test
  void emptyRequestGivesNoRecords() {
    assertThat(
            ResourceSplitter.records(
                OtlpSignal.METRICS, ExportMetricsServiceRequest.getDefaultInstance()))
        .isEmpty();
  }

  @Test
  void refusesMessagesThatAreNoExportRequest() {
    assertThatThrownBy(
            () ->
                ResourceSplitter.records(
                    OtlpSignal.METRICS, ExportMetricsServiceResponse.getDefaultInstance()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ExportMetricsServiceResponse");
  }
}
