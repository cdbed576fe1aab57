package io.vigil.collector.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class StructuredLineTest {
  @Test
  void readsALogbackJsonLineIntoMessageIdsAndAttributes() {
    StructuredLine line =
        StructuredLine.json(
            "{\"@timestamp\":\"2026-12-02T10:00:00.123Z\",\"level\":\"ERROR\","
                + "\"logger\":\"shop.Checkout\",\"thread\":\"http-7\",\"message\":\"payment"
                + " declined\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\","
                + "\"span_id\":\"00f067aa0ba902b7\",\"order\":{\"id\":42,\"items\":[1,2]},"
                + "\"retries\":3,\"cached\":false,\"note\":null}");

    assertThat(line.message()).isEqualTo("payment declined");
    assertThat(HexFormat.of().formatHex(line.traceId()))
        .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(HexFormat.of().formatHex(line.spanId())).isEqualTo("00f067aa0ba902b7");
    assertThat(line.attributes())
        .containsExactly(
            java.util.Map.entry("logger", "shop.Checkout"),
            java.util.Map.entry("thread", "http-7"),
            java.util.Map.entry("order", "{\"id\":42,\"items\":[1,2]}"),
            java.util.Map.entry("retries", "3"),
            java.util.Map.entry("cached", "false"));
  }

  @Test
  void zapAndPinoShapesAndIdsThatAreNotIds() {
    StructuredLine zap =
        StructuredLine.json(
            "{\"level\":\"warn\",\"ts\":1733133600.5,\"caller\":\"main.go:12\",\"msg\":\"slow\","
                + "\"traceId\":\"not-a-trace-id\",\"spanId\":\"0000000000000000\"}");

    assertThat(zap.message()).isEqualTo("slow");
    assertThat(zap.traceId()).isNull();
    assertThat(zap.spanId()).as("all zeros is no id").isNull();
    assertThat(zap.attributes())
        .containsEntry("caller", "main.go:12")
        .containsEntry("traceId", "not-a-trace-id")
        .doesNotContainKeys("level", "ts", "msg");
  }

  @Test
  void aLineThatIsNotOneJsonObjectIsText() {
    assertThat(StructuredLine.json("INFO started")).isNull();
    assertThat(StructuredLine.json("{\"a\":1} trailing")).isNull();
    assertThat(StructuredLine.json("{\"a\":")).isNull();
    assertThat(StructuredLine.json("[1,2]")).isNull();
    StructuredLine noMessage = StructuredLine.json("{\"event_id\":7}");
    assertThat(noMessage.message()).as("the body stays the line").isNull();
    assertThat(noMessage.attributes()).containsEntry("event_id", "7");
  }

  @Test
  void manyOrLongFieldsAreBounded() {
    StringBuilder json = new StringBuilder("{");
    for (int i = 0; i < 100; i++) {
      json.append("\"f").append(i).append("\":").append(i).append(',');
    }
    json.append("\"long\":\"").append("x".repeat(10_000)).append("\"}");
    StructuredLine line = StructuredLine.json(json.toString());

    assertThat(line.attributes()).hasSize(StructuredLine.MAX_ATTRIBUTES);
    StructuredLine longValue = StructuredLine.json("{\"long\":\"" + "x".repeat(10_000) + "\"}");
    assertThat(longValue.attributes().get("long")).hasSize(StructuredLine.MAX_VALUE);
  }

  @Test
  void readsAGoSlogOrLogrusLogfmtLine() {
    StructuredLine slog =
        StructuredLine.logfmt(
            "time=2026-12-02T10:00:00.123Z level=ERROR msg=\"payment declined: card \\\"x\\\"\""
                + " order=42 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7"
                + " path=/pay empty=");

    assertThat(slog.message()).isEqualTo("payment declined: card \"x\"");
    assertThat(HexFormat.of().formatHex(slog.traceId()))
        .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(HexFormat.of().formatHex(slog.spanId())).isEqualTo("00f067aa0ba902b7");
    assertThat(slog.attributes())
        .containsExactly(
            java.util.Map.entry("order", "42"),
            java.util.Map.entry("path", "/pay"),
            java.util.Map.entry("empty", ""));
  }

  @Test
  void aLineThatIsNotOnlyKeyValuePairsIsText() {
    assertThat(StructuredLine.logfmt("INFO  served 12 requests on /pay")).isNull();
    assertThat(StructuredLine.logfmt("level=info")).as("one pair is not enough").isNull();
    assertThat(StructuredLine.logfmt("level=info served requests=12")).as("a bare word").isNull();
    assertThat(StructuredLine.logfmt("msg=\"not closed level=info")).isNull();
    assertThat(StructuredLine.logfmt("a=\"x\"b c=d")).as("text glued to a quote").isNull();
    assertThat(StructuredLine.logfmt("=x a=b")).as("an empty key").isNull();
    assertThat(StructuredLine.logfmt("x=1 y=2 z=3").attributes()).hasSize(3);
  }
}
