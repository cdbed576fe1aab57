package io.vigil.processor.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.log.LogRecord;
import io.vigil.model.otlp.OtlpJson;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorMetrics;
import io.vigil.processor.TopologyTests;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogsTopologyTest {
  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  @TempDir Path stateDir;

  private final ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> input;
  private TestOutputTopic<String, String> logs;
  private TestOutputTopic<byte[], byte[]> dlq;

  @BeforeEach
  void startDriver() {
    ProcessorConfig config =
        new ProcessorConfig(
            null, "vigil-test", stateDir.toString(), null, null, null, null, null, null);
    Properties props = TopologyTests.props(config, metrics, TopologyTests.dlqProducer());
    driver = new TopologyTestDriver(LogsTopology.build(config, metrics, signal -> {}), props, T0);
    input =
        driver.createInputTopic(
            Topics.OTLP_LOGS, new ByteArraySerializer(), new ByteArraySerializer());
    logs =
        driver.createOutputTopic(
            Topics.LOGS,
            new StringDeserializer(),
            (topic, bytes) -> new String(bytes, StandardCharsets.UTF_8));
    dlq =
        driver.createOutputTopic(
            Topics.DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  private static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  @Test
  void writesTheUpstreamExampleWithEcsFieldNames() throws Exception {
    ExportLogsServiceRequest.Builder request = ExportLogsServiceRequest.newBuilder();
    try (InputStream in = getClass().getResourceAsStream("/fixtures/otlp/logs.json")) {
      OtlpJson.merge(in.readAllBytes(), request);
    }
    input.pipeInput(new TestRecord<>(null, request.build().toByteArray(), T0));

    TestRecord<String, String> out = logs.readRecord();
    assertThat(out.key()).isEqualTo("my.service");
    JsonNode doc = Json.mapper().readTree(out.value());
    assertThat(doc.get("@timestamp").asText()).isEqualTo("2018-12-13T14:51:00.300Z");
    assertThat(doc.get("message").asText()).isEqualTo("Example log record");
    assertThat(doc.at("/log/level").asText()).isEqualTo("info");
    assertThat(doc.at("/service/name").asText()).isEqualTo("my.service");
    assertThat(doc.at("/trace/id").asText()).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(doc.at("/span/id").asText()).isEqualTo("eee19b7ec3c1b174");
    assertThat(doc.at("/attributes/int.attribute").asText()).isEqualTo("10");
    assertThat(doc.at("/attributes/array.attribute").asText()).isEqualTo("[\"many\",\"values\"]");
    assertThat(doc.get("id").asText()).startsWith(Topics.OTLP_LOGS + "-0-");
    assertThat(out.timestamp())
        .as("Kafka timestamp: when the collector wrote it")
        .isEqualTo(T0.toEpochMilli());
  }

  @Test
  void takesKubernetesIdentityFromTheResourceAndTheLevelFromSeverity() throws Exception {
    Resource resource =
        Resource.newBuilder()
            .addAttributes(attr("service.name", "checkout"))
            .addAttributes(attr("k8s.namespace.name", "shop"))
            .addAttributes(attr("k8s.pod.name", "checkout-7d9f"))
            .addAttributes(attr("k8s.cluster.name", "c1"))
            .build();
    ExportLogsServiceRequest request =
        ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(
                ResourceLogs.newBuilder()
                    .setResource(resource)
                    .addScopeLogs(
                        ScopeLogs.newBuilder()
                            .addLogRecords(
                                io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                                    .setTimeUnixNano(T0.toEpochMilli() * 1_000_000L)
                                    .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_ERROR)
                                    .setBody(
                                        AnyValue.newBuilder().setStringValue("payment failed")))
                            .addLogRecords(
                                io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                                    .setObservedTimeUnixNano(T0.toEpochMilli() * 1_000_000L)
                                    .setSeverityText("WARNING")
                                    .setTraceId(ByteString.copyFrom(new byte[16])))))
            .build();
    input.pipeInput(new TestRecord<>(null, request.toByteArray(), T0));

    List<LogRecord> out =
        logs.readValuesToList().stream()
            .map(
                v -> {
                  try {
                    return Json.mapper().readValue(v, LogRecord.class);
                  } catch (IOException e) {
                    throw new AssertionError(e);
                  }
                })
            .toList();
    assertThat(out).extracting(r -> r.log().level()).containsExactly("error", "warn");
    LogRecord error = out.get(0);
    assertThat(error.isError()).isTrue();
    assertThat(error.kubernetes().namespace()).isEqualTo("shop");
    assertThat(error.kubernetes().pod().name()).isEqualTo("checkout-7d9f");
    assertThat(error.orchestrator().cluster().name()).isEqualTo("c1");
    assertThat(out.get(1).timestamp()).as("observed time when there is no time").isEqualTo(T0);
    assertThat(out.get(1).trace()).as("an all-zero trace id is no trace id").isNull();
    assertThat(metrics.logRecords(true)).isEqualTo(1);
    assertThat(metrics.logRecords(false)).isEqualTo(1);
  }

  @Test
  void sendsRecordsThatAreNotOtlpLogsToTheDeadLetterTopic() {
    input.pipeInput(new TestRecord<>(null, "garbage".getBytes(StandardCharsets.UTF_8), T0));

    TestRecord<byte[], byte[]> dead = dlq.readRecord();
    assertThat(
            new String(
                dead.headers().lastHeader(Topics.DLQ_REASON_HEADER).value(),
                StandardCharsets.UTF_8))
        .startsWith("invalid_protobuf: ");
    assertThat(logs.isEmpty()).isTrue();
  }
}
