package io.vigil.collector.logs;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.otlp.OtlpAttributes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Records encoded as they are read: the same requests as built from the records. */
class EncodedLogsTest {
  private static final Resource POD =
      Resource.newBuilder()
          .addAttributes(OtlpAttributes.string("service.name", "checkout"))
          .addAttributes(OtlpAttributes.string("k8s.namespace.name", "shop"))
          .addAttributes(OtlpAttributes.string("k8s.pod.name", "checkout-7d9f-x2"))
          .build();

  private static LogRecord record(int i, int bodyChars) {
    return LogRecord.newBuilder()
        .setTimeUnixNano(1_700_000_000_000_000_000L + i)
        .setObservedTimeUnixNano(1_700_000_000_500_000_000L + i)
        .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_WARN)
        .setSeverityText("WARN")
        .setBody(AnyValue.newBuilder().setStringValue("line " + i + " é " + "x".repeat(bodyChars)))
        .addAttributes(OtlpAttributes.string("log.iostream", i % 2 == 0 ? "stdout" : "stderr"))
        .build();
  }

  /** The request as the OTLP classes build it: one resource, one scope, these records. */
  private static ExportLogsServiceRequest built(List<LogRecord> records) {
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(
            ResourceLogs.newBuilder()
                .setResource(POD)
                .addScopeLogs(ScopeLogs.newBuilder().addAllLogRecords(records)))
        .build();
  }

  @Test
  void writesTheSameBytesAsTheMessageBuiltFromTheRecords() throws Exception {
    EncodedLogs logs = new EncodedLogs(1 << 20);
    List<LogRecord> records = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      LogRecord record = record(i, i % 300);
      records.add(record);
      logs.add(record);
    }

    List<byte[]> requests = logs.requests(POD);

    assertThat(logs.records()).isEqualTo(1_000);
    assertThat(requests).hasSize(1);
    assertThat(requests.get(0)).isEqualTo(built(records).toByteArray());
    assertThat(ExportLogsServiceRequest.parseFrom(requests.get(0))).isEqualTo(built(records));
  }

  @Test
  void startsANewRequestBeforeAChunkWouldPassItsLimitAndKeepsTheRecordsInOrder() throws Exception {
    int limit = 16 * 1024;
    EncodedLogs logs = new EncodedLogs(limit);
    List<LogRecord> records = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      LogRecord record = record(i, 200);
      records.add(record);
      logs.add(record);
    }
    // One record longer than the limit goes alone into a chunk of its own.
    LogRecord huge = record(500, 3 * limit);
    records.add(huge);
    logs.add(huge);
    logs.add(record(501, 10));
    records.add(record(501, 10));

    List<byte[]> requests = logs.requests(POD);

    List<LogRecord> back = new ArrayList<>();
    for (byte[] request : requests) {
      ExportLogsServiceRequest parsed = ExportLogsServiceRequest.parseFrom(request);
      assertThat(parsed.getResourceLogsCount()).isOne();
      assertThat(parsed.getResourceLogs(0).getResource()).isEqualTo(POD);
      ScopeLogs scope = parsed.getResourceLogs(0).getScopeLogs(0);
      if (scope.getLogRecordsCount() > 1) {
        assertThat(scope.getSerializedSize()).isLessThanOrEqualTo(limit);
      }
      back.addAll(scope.getLogRecordsList());
    }
    assertThat(requests.size()).isGreaterThan(500 * 200 / limit);
    assertThat(back).containsExactlyElementsOf(records);
    assertThat(
            requests.stream()
                .map(r -> parse(r).getResourceLogs(0).getScopeLogs(0))
                .filter(scope -> scope.getSerializedSize() > limit)
                .map(ScopeLogs::getLogRecordsCount))
        .as("only the huge record's chunk is over the limit, alone")
        .containsExactly(1);
  }

  @Test
  void writesAPlainRecordAsTheRecordBuiltWithItsFields() throws Exception {
    KeyValue stdout = OtlpAttributes.string("log.iostream", "stdout");
    EncodedLogs plain = new EncodedLogs(1 << 20);
    EncodedLogs built = new EncodedLogs(1 << 20);
    String[] bodies = {"", "INFO started", "é ü 日本 " + "x".repeat(200), "y".repeat(20_000)};
    for (String body : bodies) {
      for (int severity : new int[] {0, 9, 17}) {
        for (KeyValue attribute : new KeyValue[] {null, stdout}) {
          for (long time : new long[] {0, 1_700_000_000_123_456_789L}) {
            String text = severity == 0 ? null : severity == 9 ? "INFO" : "";
            plain.addPlain(
                time,
                severity,
                text == null ? null : text.getBytes(StandardCharsets.UTF_8),
                body.getBytes(StandardCharsets.UTF_8),
                attribute,
                1_700_000_001_000_000_000L);
            LogRecord.Builder record =
                LogRecord.newBuilder()
                    .setTimeUnixNano(time)
                    .setObservedTimeUnixNano(1_700_000_001_000_000_000L)
                    .setBody(AnyValue.newBuilder().setStringValue(body));
            if (severity != 0) {
              record.setSeverityNumber(SeverityNumber.forNumber(severity)).setSeverityText(text);
            }
            if (attribute != null) {
              record.addAttributes(attribute);
            }
            built.add(record.build());
          }
        }
      }
    }

    assertThat(plain.records()).isEqualTo(built.records()).isEqualTo(4 * 3 * 2 * 2);
    assertThat(plain.requests(POD)).containsExactlyElementsOf(built.requests(POD));
  }

  @Test
  void holdsNothingOnceItsRequestsAreTaken() {
    EncodedLogs logs = new EncodedLogs(1 << 20);
    logs.add(record(1, 10));

    assertThat(logs.requests(POD)).hasSize(1);
    assertThat(logs.requests(POD)).isEmpty();
  }

  private static ExportLogsServiceRequest parse(byte[] bytes) {
    try {
      return ExportLogsServiceRequest.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
