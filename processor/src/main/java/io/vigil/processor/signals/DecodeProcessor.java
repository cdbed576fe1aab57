package io.vigil.processor.signals;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.vigil.model.Topics;
import io.vigil.model.kafka.DeadLetters;
import io.vigil.model.runtime.ThrottlingLogger;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.LoggerFactory;

/**
 * Parses each {@code otlp_metrics} record and forwards one record per usable data point, keyed by
 * series and stamped with the point's event time; a record that does not parse is forwarded as
 * {@link Rejected}, bound for the DLQ.
 */
final class DecodeProcessor extends ContextualProcessor<byte[], byte[], String, Decoded> {
  /**
   * Points further ahead of the wall clock than this are skipped: one would push stream time
   * forward and close every open window early, and the broker refuses timestamps far in the future.
   */
  static final Duration MAX_FUTURE_SKEW = Duration.ofMinutes(10);

  private static final ThrottlingLogger LOG =
      new ThrottlingLogger(LoggerFactory.getLogger(DecodeProcessor.class));

  private final ProcessorMetrics metrics;

  DecodeProcessor(ProcessorMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    if (record.value() == null) {
      reject(record, "null_value", "record has no value");
      return;
    }
    ExportMetricsServiceRequest request;
    try {
      request = ExportMetricsServiceRequest.parseFrom(record.value());
    } catch (InvalidProtocolBufferException e) {
      reject(
          record, "invalid_protobuf", "not an OTLP ExportMetricsServiceRequest: " + e.getMessage());
      return;
    }
    List<MetricPoint> points = new ArrayList<>();
    try {
      OtlpMetricsDecoder.decode(
          request,
          new OtlpMetricsDecoder.Sink() {
            @Override
            public void point(MetricPoint point) {
              points.add(point);
            }

            @Override
            public void skipped(String reason) {
              metrics.dataPointSkipped(reason);
            }
          });
    } catch (RuntimeException e) {
      // A bug must not turn one odd request into a dead stream thread.
      reject(record, "unprocessable", e.toString());
      return;
    }
    long latestAllowed = context().currentSystemTimeMs() + MAX_FUTURE_SKEW.toMillis();
    for (MetricPoint point : points) {
      if (point.timeMillis() > latestAllowed) {
        metrics.dataPointSkipped("future_timestamp");
        continue;
      }
      metrics.dataPointAccepted();
      context()
          .forward(
              new Record<String, Decoded>(
                  point.seriesKey(), point, point.timeMillis(), new RecordHeaders()));
    }
  }

  private void reject(Record<byte[], byte[]> record, String reason, String detail) {
    String topic =
        context().recordMetadata().map(RecordMetadata::topic).orElse(Topics.OTLP_METRICS);
    metrics.recordRejected(reason);
    LOG.warn("sending record from {} to {}: {}", topic, Topics.DLQ, detail);
    context()
        .forward(
            new Record<String, Decoded>(
                null,
                new Rejected(record.key(), record.value()),
                record.timestamp(),
                DeadLetters.headers(record.headers(), reason + ": " + detail, topic)));
  }
}
