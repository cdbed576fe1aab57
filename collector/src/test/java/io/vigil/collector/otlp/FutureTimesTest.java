package io.vigil.collector.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import org.junit.jupiter.api.Test;

/**
 * A sender five minutes ahead is brought back to now, but for its cumulative points; one within the
 * skew is left alone.
 */
class FutureTimesTest {
  private static final long NOW = 1_700_000_000_000_000_000L;
  private static final long SKEW = 120_000_000_000L;
  private static final long FIVE_MINUTES = 300_000_000_000L;

  private static ExportMetricsServiceRequest sum(long start, long time) {
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .addScopeMetrics(
                    ScopeMetrics.newBuilder()
                        .addMetrics(
                            Metric.newBuilder()
                                .setName("requests")
                                .setSum(
                                    Sum.newBuilder()
                                        .addDataPoints(
                                            NumberDataPoint.newBuilder()
                                                .setStartTimeUnixNano(start)
                                                .setTimeUnixNano(time)
                                                .setAsInt(7))))))
        .build();
  }

  @Test
  void aPointFromTheFutureComesBackToNowKeepingItsInterval() {
    FutureTimes.Clamped clamped =
        FutureTimes.clamp(sum(NOW + FIVE_MINUTES - 10_000_000_000L, NOW + FIVE_MINUTES), NOW, SKEW);

    NumberDataPoint point =
        ((ExportMetricsServiceRequest) clamped.request())
            .getResourceMetrics(0)
            .getScopeMetrics(0)
            .getMetrics(0)
            .getSum()
            .getDataPoints(0);
    assertThat(clamped.items()).isEqualTo(1);
    assertThat(point.getTimeUnixNano()).isEqualTo(NOW);
    assertThat(point.getStartTimeUnixNano()).isEqualTo(NOW - 10_000_000_000L);
    assertThat(point.getAsInt()).isEqualTo(7);
  }

  @Test
  void aCumulativePointKeepsItsTimesForTheProcessorToCorrect() {
    ExportMetricsServiceRequest.Builder cumulative =
        sum(NOW + FIVE_MINUTES - 10_000_000_000L, NOW + FIVE_MINUTES).toBuilder();
    cumulative
        .getResourceMetricsBuilder(0)
        .getScopeMetricsBuilder(0)
        .getMetricsBuilder(0)
        .getSumBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);

    // Moved by each arrival's jitter, its start time would name a new stream at every export.
    assertThat(FutureTimes.clamp(cumulative.build(), NOW, SKEW)).isNull();
  }

  @Test
  void withinTheSkewOrInThePastNothingChanges() {
    assertThat(FutureTimes.clamp(sum(NOW, NOW + SKEW), NOW, SKEW)).isNull();
    assertThat(FutureTimes.clamp(sum(0, NOW - 3_600_000_000_000L), NOW, SKEW)).isNull();
  }

  @Test
  void logRecordsAndSpansToo() {
    ExportLogsServiceRequest logs =
        ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(
                ResourceLogs.newBuilder()
                    .addScopeLogs(
                        ScopeLogs.newBuilder()
                            .addLogRecords(
                                LogRecord.newBuilder().setTimeUnixNano(NOW + FIVE_MINUTES))
                            .addLogRecords(LogRecord.newBuilder().setTimeUnixNano(NOW - 5))))
            .build();
    ExportLogsServiceRequest fixedLogs =
        (ExportLogsServiceRequest) FutureTimes.clamp(logs, NOW, SKEW).request();
    assertThat(fixedLogs.getResourceLogs(0).getScopeLogs(0).getLogRecordsList())
        .extracting(LogRecord::getTimeUnixNano)
        .containsExactly(NOW, NOW - 5);

    ExportTraceServiceRequest spans =
        ExportTraceServiceRequest.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .addScopeSpans(
                        ScopeSpans.newBuilder()
                            .addSpans(
                                Span.newBuilder()
                                    .setStartTimeUnixNano(NOW + FIVE_MINUTES - 250)
                                    .setEndTimeUnixNano(NOW + FIVE_MINUTES))))
            .build();
    Span span =
        ((ExportTraceServiceRequest) FutureTimes.clamp(spans, NOW, SKEW).request())
            .getResourceSpans(0)
            .getScopeSpans(0)
            .getSpans(0);
    assertThat(span.getEndTimeUnixNano()).isEqualTo(NOW);
    assertThat(span.getStartTimeUnixNano()).as("the span keeps its duration").isEqualTo(NOW - 250);
  }
}
