package io.vigil.collector.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.vigil.collector.TestRequests;
import io.vigil.collector.kafka.ResourceSplitter.KeyedRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResourceSplitterTest {

  @Test
  void splitsMetricsIntoOneRequestPerResourceKeyedByServiceName() throws Exception {
    ExportMetricsServiceRequest request = TestRequests.metrics(2, "checkout", "payments", null);

    List<KeyedRequest> records = ResourceSplitter.split(request);

    assertThat(records)
        .extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
        .containsExactly("checkout", "payments", "unknown_service");
    for (int i = 0; i < records.size(); i++) {
      ExportMetricsServiceRequest single =
          ExportMetricsServiceRequest.parseFrom(records.get(i).value());
      assertThat(single.getResourceMetricsList()).containsExactly(request.getResourceMetrics(i));
    }
  }

  @Test
  void keysAreUtf8() {
    List<KeyedRequest> records = ResourceSplitter.split(TestRequests.metrics(1, "café-ümlaut"));

    assertThat(records.get(0).key()).isEqualTo("café-ümlaut".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void splitsLogsAndTraces() throws Exception {
    ExportLogsServiceRequest logs =
        ExportLogsServiceRequest.newBuilder()
            .addAllResourceLogs(TestRequests.logs("a").getResourceLogsList())
            .addAllResourceLogs(TestRequests.logs("b").getResourceLogsList())
            .build();
    List<KeyedRequest> logRecords = ResourceSplitter.split(logs);
    assertThat(logRecords).extracting(KeyedRequest::service).containsExactly("a", "b");
    assertThat(ExportLogsServiceRequest.parseFrom(logRecords.get(1).value()).getResourceLogsList())
        .containsExactly(logs.getResourceLogs(1));

    List<KeyedRequest> spanRecords = ResourceSplitter.split(TestRequests.traces("checkout"));
    assertThat(spanRecords).extracting(KeyedRequest::service).containsExactly("checkout");
    assertThat(ExportTraceServiceRequest.parseFrom(spanRecords.get(0).value()))
        .isEqualTo(TestRequests.traces("checkout"));
  }

  @Test
  void emptyRequestGivesNoRecords() {
    assertThat(ResourceSplitter.split(ExportMetricsServiceRequest.getDefaultInstance())).isEmpty();
  }

  @Test
  void refusesMessagesThatAreNoExportRequest() {
    assertThatThrownBy(
            () -> ResourceSplitter.split(ExportMetricsServiceResponse.getDefaultInstance()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ExportMetricsServiceResponse");
  }
}
