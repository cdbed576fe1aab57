package io.vigil.processor.logs;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.vigil.model.Topics;
import io.vigil.model.kafka.DeadLetterRoute;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.log.LogRecord;
import io.vigil.model.runtime.ThrottlingLogger;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorMetrics;
import io.vigil.processor.signals.GoldenSignalsTopology;
import io.vigil.processor.signals.LogCounts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
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
 * {@code vigil.logs} (JSON {@link LogRecord}, keyed by {@code service.name}), and each service's
 * log volume — records and ERROR-or-worse records per second — as signals of their own ({@link
 * GoldenSignalsTopology#addLogSignals}). A record that is not an {@code ExportLogsServiceRequest}
 * goes to {@code vigil.dlq}.
 *
 * <pre>
 * otlp_logs ─ decode ─┬─ rejected ──────────────────────────────────────────────▶ vigil.dlq
 *                     ├─ ECS log records (id = partition-offset-position) ──────▶ vigil.logs
 *                     └─ counts per service and second ─ log signals ─┬─ live ─▶ vigil.signals.live
 *                                                                     └─ final ▶ vigil.signals
 * </pre>
 *
 * <p>A log record stamped further ahead than {@code max_clock_skew} of the time its request reached
 * Kafka is counted at that time (a sender's clock must not open windows in the future); an old one
 * keeps its time (a file read from its start tells of the past) and counts in its final window, as
 * a late supplement when that was emitted already.
 */
public final class LogsTopology {
  private static final ThrottlingLogger LOG =
      new ThrottlingLogger(LoggerFactory.getLogger(LogsTopology.class));

  private LogsTopology() {}

  /** The logs topology alone (for tests and tools). */
  public static Topology build(
      ProcessorConfig config, ProcessorMetrics metrics, Consumer<GoldenSignal> listener) {
    StreamsBuilder builder = new StreamsBuilder();
    addTo(builder, config, metrics, listener);
    return builder.build();
  }

  /**
   * Adds the logs steps to {@code builder}; every live log-volume signal is shown to {@code
   * listener}.
   */
  public static void addTo(
      StreamsBuilder builder,
      ProcessorConfig config,
      ProcessorMetrics metrics,
      Consumer<GoldenSignal> listener) {
    long maxSkewMs = config.maxClockSkew().toMillis();
    KStream<String, Object> decoded =
        builder.stream(
                Topics.OTLP_LOGS,
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("otlp-logs-source"))
            .process(() -> new DecodeLogs(metrics, maxSkewMs), Named.as("decode-logs"));
    Map<String, KStream<String, Object>> kinds =
        DeadLetterRoute.route(decoded, "logs", Object.class)
            .split(Named.as("logs-kind-"))
            .branch((key, v) -> v instanceof LogCounts, Branched.as("counts"))
            .defaultBranch(Branched.as("records"));
    kinds
        .get("logs-kind-records")
        .mapValues(v -> (LogRecord) v, Named.as("log-records"))
        .to(
            Topics.LOGS,
            Produced.with(Serdes.String(), JsonSerde.of(LogRecord.class)).withName("logs-sink"));
    GoldenSignalsTopology.addLogSignals(
        kinds.get("logs-kind-counts").mapValues(v -> (LogCounts) v, Named.as("log-counts")),
        config,
        metrics,
        listener);
  }

  /** Decodes each request into its log records, or sends it towards the DLQ. */
  private static final class DecodeLogs
      extends ContextualProcessor<byte[], byte[], String, Object> {
    private final ProcessorMetrics metrics;
    private final long maxSkewMs;

    DecodeLogs(ProcessorMetrics metrics, long maxSkewMs) {
      this.metrics = metrics;
      this.maxSkewMs = maxSkewMs;
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
      long now = context().currentSystemTimeMs();
      long written = record.timestamp() > 0 ? Math.min(record.timestamp(), now) : now;
      LogCounts.Tally tally = new LogCounts.Tally();
      for (LogRecord log : out) {
        metrics.logRecordAccepted(log.isError());
        // Kafka refuses timestamps far ahead; the time the collector wrote it is safe.
        context().forward(new Record<>(log.service().name(), log, record.timestamp()));
        long time = log.timestamp().toEpochMilli();
        if (time > written + maxSkewMs) {
          metrics.logRecordAdjusted("clock_skew");
          time = written;
        }
        tally.add(cluster(log), namespace(log), log.service().name(), time, log.isError());
      }
      tally
          .counts()
          .forEach(
              (series, counts) ->
                  context().forward(new Record<>(series, counts, record.timestamp())));
    }

    private static String cluster(LogRecord log) {
      return log.orchestrator() == null || log.orchestrator().cluster() == null
          ? null
          : log.orchestrator().cluster().name();
    }

    /** As the request series: the Kubernetes namespace, else {@code service.namespace}. */
    private static String namespace(LogRecord log) {
      if (log.kubernetes() != null && log.kubernetes().namespace() != null) {
        return log.kubernetes().namespace();
      }
      return log.service().namespace();
    }

    private void reject(Record<byte[], byte[]> record, String reason, String detail) {
      String topic = context().recordMetadata().map(RecordMetadata::topic).orElse(Topics.OTLP_LOGS);
      context()
          .forward(
              DeadLetterRoute.reject(record, topic, reason, detail, metrics::recordRejected, LOG));
    }
  }
}
