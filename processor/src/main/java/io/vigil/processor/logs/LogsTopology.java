package io.vigil.processor.logs;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.vigil.model.Topics;
import io.vigil.model.kafka.DeadLetterRoute;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.log.LogRecord;
import io.vigil.model.runtime.ThrottlingLogger;
import io.vigil.processor.ProcessorMetrics;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.LoggerFactory;

/**
 * The logs topology: {@code otlp_logs} (OTLP protobuf) → one ECS log record per OTLP log record on
 * {@code vigil.logs} (JSON {@link LogRecord}, keyed by {@code service.name}). Stateless; a record
 * that is not an {@code ExportLogsServiceRequest} goes to {@code vigil.dlq}.
 *
 * <pre>
 * otlp_logs ─ decode ─┬─ rejected ──────────────────────────────────────────────▶ vigil.dlq
 *                     └─ ECS log records (id = partition-offset-position) ──────▶ vigil.logs
 * </pre>
 */
public final class LogsTopology {
  private static final ThrottlingLogger LOG =
      new ThrottlingLogger(LoggerFactory.getLogger(LogsTopology.class));

  private LogsTopology() {}

  /** The logs topology alone (for tests and tools). */
  public static Topology build(ProcessorMetrics metrics) {
    StreamsBuilder builder = new StreamsBuilder();
    addTo(builder, metrics);
    return builder.build();
  }

  /** Adds the logs steps to {@code builder}. */
  public static void addTo(StreamsBuilder builder, ProcessorMetrics metrics) {
    KStream<String, Object> decoded =
        builder.stream(
                Topics.OTLP_LOGS,
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("otlp-logs-source"))
            .process(() -> new DecodeLogs(metrics), Named.as("decode-logs"));
    DeadLetterRoute.route(decoded, "logs", LogRecord.class)
        .to(
            Topics.LOGS,
            Produced.with(Serdes.String(), JsonSerde.of(LogRecord.class)).withName("logs-sink"));
  }

  /** Decodes each request into its log records, or sends it towards the DLQ. */
  private static final class DecodeLogs
      extends ContextualProcessor<byte[], byte[], String, Object> {
    private final ProcessorMetrics metrics;

    DecodeLogs(ProcessorMetrics metrics) {
      this.metrics = metrics;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      if (record.value() == null) {
        reject(record, "null_value", "record has no value");
        return;
      }
      ExportLogsServiceRequest request;
      try {
        request = ExportLogsServiceRequest.parseFrom(record.value());
      } catch (InvalidProtocolBufferException e) {
        reject(
            record, "invalid_protobuf", "not an OTLP ExportLogsServiceRequest: " + e.getMessage());
        return;
      }
      String where =
          context()
              .recordMetadata()
              .map(m -> m.topic() + "-" + m.partition() + "-" + m.offset())
              .orElse("unknown-" + record.timestamp());
      List<LogRecord> out = new ArrayList<>();
      try {
        OtlpLogsDecoder.decode(request, where, out::add);
      } catch (RuntimeException e) {
        reject(record, "unprocessable", e.toString());
        return;
      }
      for (LogRecord log : out) {
        metrics.logRecordAccepted(log.isError());
        // Kafka refuses timestamps far ahead; the time the collector wrote it is safe.
        context().forward(new Record<>(log.service().name(), log, record.timestamp()));
      }
    }

    private void reject(Record<byte[], byte[]> record, String reason, String detail) {
      String topic = context().recordMetadata().map(RecordMetadata::topic).orElse(Topics.OTLP_LOGS);
      context()
          .forward(
              DeadLetterRoute.reject(record, topic, reason, detail, metrics::recordRejected, LOG));
    }
  }
}
