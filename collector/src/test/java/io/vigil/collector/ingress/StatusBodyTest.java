package io.vigil.collector.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.vigil.model.json.Json;
import org.junit.jupiter.api.Test;

class StatusBodyTest {

  @Test
  void encodesStatusAsProtobufFieldsOneAndTwo() {
    byte[] body = StatusBody.protobuf(3, "bad");

    assertThat(body).containsExactly(0x08, 0x03, 0x12, 0x03, 'b', 'a', 'd');
  }

  @Test
  void protobufStatusRoundTripsNonAsciiMessages() throws Exception {
    String message = "cannot decode OTLP protobuf ExportMetricsServiceRequest: Größe – 🚫";
    CodedInputStream in = CodedInputStream.newInstance(StatusBody.protobuf(14, message));

    assertThat(in.readTag()).isEqualTo(1 << 3 | WireFormat.WIRETYPE_VARINT); // field 1: code
    assertThat(in.readInt32()).isEqualTo(14);
    assertThat(in.readTag())
        .isEqualTo(2 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED); // field 2: message
    assertThat(in.readString()).isEqualTo(message);
    assertThat(in.isAtEnd()).isTrue();
  }

  @Test
  void encodesStatusAsJsonWithEscaping() throws Exception {
    String message = "bad \"value\"\nnext line";

    JsonNode status = Json.mapper().readTree(StatusBody.json(3, message));

    assertThat(status.get("code").asInt()).isEqualTo(3);
    assertThat(status.get("message").asText()).isEqualTo(message);
    assertThat(status.size()).isEqualTo(2);
  }
}
