package io.vigil.collector.logs;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.prometheus.metrics.core.metrics.Counter;
import io.vigil.model.otlp.OtlpAttributes;
import java.nio.charset.StandardCharsets;

/**
 * A file's assembled record as an OTLP {@code LogRecord}, appended to its batch's {@link
 * EncodedLogs}: its time (the runtime's, else when it was read), the level the application wrote,
 * its stream as {@code log.iostream}, and — for a JSON or logfmt line, when those are read — its
 * message as the body, its trace and span ids and its other fields as attributes.
 */
final class LogRecords {
  private static final String IOSTREAM = "log.iostream";
  private static final KeyValue STDOUT = utf8Attribute(IOSTREAM, "stdout");
  private static final KeyValue STDERR = utf8Attribute(IOSTREAM, "stderr");

  private final boolean parseJson;
  private final boolean parseLogfmt;
  private final Counter cut;

  /** {@code cut} counts the records cut to the line size limit. */
  LogRecords(boolean parseJson, boolean parseLogfmt, Counter cut) {
    this.parseJson = parseJson;
    this.parseLogfmt = parseLogfmt;
    this.cut = cut;
  }

  /** A string attribute held as UTF-8: written as it is, not encoded again for every record. */
  private static KeyValue utf8Attribute(String key, String value) {
    return KeyValue.newBuilder()
        .setKeyBytes(utf8(key))
        .setValue(AnyValue.newBuilder().setStringValueBytes(utf8(value)))
        .build();
  }

  /**
   * {@code text} in UTF-8, the form a string field takes on the wire: the JDK's encoder (a copy for
   * ASCII text) instead of protobuf's, which encodes a string twice per record, once to size it and
   * once to write it.
   */
  private static ByteString utf8(String text) {
    return UnsafeByteOperations.unsafeWrap(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Appends {@code record} to {@code logs}. */
  void add(EncodedLogs logs, RecordAssembler.Assembled record) {
    if (record.cut()) {
      cut.inc();
    }
    long observed = System.currentTimeMillis() * 1_000_000L;
    LevelSniffer level = LevelSniffer.of(record.content());
    StructuredLine json = parseJson ? StructuredLine.json(record.content()) : null;
    if (json == null && parseLogfmt) {
      json = StructuredLine.logfmt(record.content());
    }
    long time = record.timeNanos() > 0 ? record.timeNanos() : observed;
    KeyValue stream = stream(record.stream());
    if (json == null) {
      logs.addPlain(
          time,
          level.number(),
          level.number() > 0 ? level.text().getBytes(StandardCharsets.UTF_8) : null,
          record.content().getBytes(StandardCharsets.UTF_8),
          stream,
          observed);
      return;
    }
    String body = json.message() != null ? json.message() : record.content();
    LogRecord.Builder log =
        LogRecord.newBuilder()
            .setObservedTimeUnixNano(observed)
            .setTimeUnixNano(time)
            .setBody(AnyValue.newBuilder().setStringValueBytes(utf8(body)));
    json.attributes().forEach((k, v) -> log.addAttributes(OtlpAttributes.string(k, v)));
    if (json.traceId() != null) {
      log.setTraceId(ByteString.copyFrom(json.traceId()));
    }
    if (json.spanId() != null) {
      log.setSpanId(ByteString.copyFrom(json.spanId()));
    }
    if (level.number() > 0) {
      log.setSeverityNumber(SeverityNumber.forNumber(level.number())).setSeverityText(level.text());
    }
    if (stream != null) {
      log.addAttributes(stream);
    }
    logs.add(log.build());
  }

  /** The {@code log.iostream} attribute of a record from {@code stream}, or null. */
  private static KeyValue stream(String stream) {
    if (stream == null) {
      return null;
    }
    return switch (stream) {
      case "stdout" -> STDOUT;
      case "stderr" -> STDERR;
      default -> OtlpAttributes.string(IOSTREAM, stream);
    };
  }
}
