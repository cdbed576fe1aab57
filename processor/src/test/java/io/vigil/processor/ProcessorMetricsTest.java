package io.vigil.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProcessorMetricsTest {
  @Test
  void exposesPrefixedCountersWithReasons() throws IOException {
    PrometheusRegistry registry = new PrometheusRegistry();
    ProcessorMetrics metrics = ProcessorMetrics.register(registry);
    metrics.dataPointAccepted();
    metrics.dataPointSkipped("late");
    metrics.signalEmitted("live");
    metrics.dataPointAdjusted("clock_skew");
    metrics.lateRequests(3);
    metrics.recordRejected("invalid_protobuf");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
    String text = out.toString(StandardCharsets.UTF_8);

    assertThat(text)
        .contains("vigil_processor_data_points_total 1.0")
        .contains("vigil_processor_data_points_skipped_total{reason=\"late\"} 1.0")
        .contains("vigil_processor_signals_emitted_total{kind=\"live\"} 1.0")
        .contains("vigil_processor_data_points_adjusted_total{reason=\"clock_skew\"} 1.0")
        .contains("vigil_processor_late_requests_total 3.0")
        .contains("vigil_processor_records_rejected_total{reason=\"invalid_protobuf\"} 1.0");
  }
}
