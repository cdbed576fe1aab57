package io.vigil.model.signal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.JsonSerde;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class GoldenSignalTest {
  private static final Instant START = SampleSignals.START;

  private static GoldenSignal checkout() {
    return SampleSignals.checkout(null, null);
  }

  @Test
  void writesTheContractFieldNames() throws Exception {
    JsonNode json = Json.mapper().readTree(Json.mapper().writeValueAsBytes(checkout()));

    assertThat(json.get("@timestamp").asText()).isEqualTo("2026-11-22T10:00:10Z");
    assertThat(json.at("/window/start").asText()).isEqualTo("2026-11-22T10:00:00Z");
    assertThat(json.at("/window/seconds").asLong()).isEqualTo(10);
    assertThat(json.at("/traffic/rate_per_s").asDouble()).isEqualTo(120.0);
    assertThat(json.at("/errors/ratio").asDouble()).isEqualTo(0.025);
    assertThat(json.at("/latency_ms/p99").asDouble()).isEqualTo(120.0);
    assertThat(json.has("operation")).isFalse();
    assertThat(json.has("saturation")).isFalse();
    assertThat(json.get("id").asText()).isEqualTo("c1/shop/checkout/@" + START.toEpochMilli());
  }

  @Test
  void roundTripsThroughTheSerde() {
    JsonSerde<GoldenSignal> serde = JsonSerde.of(GoldenSignal.class);
    byte[] bytes = serde.serializer().serialize("vigil.signals", checkout());

    GoldenSignal back = serde.deserializer().deserialize("vigil.signals", bytes);

    assertThat(back).isEqualTo(checkout());
    assertThat(back.id()).isEqualTo(checkout().id());
  }

  @Test
  void rejectsCorruptJsonWithTheTopicNamed() {
    JsonSerde<GoldenSignal> serde = JsonSerde.of(GoldenSignal.class);

    assertThatThrownBy(() -> serde.deserializer().deserialize("vigil.signals", "{oops".getBytes()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("vigil.signals")
        .hasMessageContaining("line 1, column 2")
        .hasMessageNotContaining("REDACTED");
    assertThatThrownBy(() -> serde.deserializer().deserialize("vigil.signals", "{}".getBytes()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("window");
  }

  @Test
  void logVolumeIsASeriesOfItsOwn() throws Exception {
    GoldenSignal logs =
        GoldenSignal.logs(
            null,
            new GoldenSignal.Window(START, START.plusSeconds(10), 10),
            "c1",
            "shop",
            "checkout",
            new GoldenSignal.Logs(40, 5, 4.0, 0.5),
            null);

    JsonNode json = Json.mapper().readTree(Json.mapper().writeValueAsBytes(logs));

    assertThat(json.get("logs").get("error_rate_per_s").asDouble()).isEqualTo(0.5);
    assertThat(json.get("logs").get("records").asLong()).isEqualTo(40);
    assertThat(json.has("traffic")).isFalse();
    assertThat(logs.seriesKey()).isEqualTo("c1/shop/checkout//logs");
    assertThat(logs.id()).isNotEqualTo(checkout().id()).startsWith("c1/shop/checkout//logs@");
    assertThat(Json.mapper().treeToValue(json, GoldenSignal.class)).isEqualTo(logs);
  }

  @Test
  void alertTransitionsUseLowerCaseStates() throws Exception {
    AlertTransition t =
        new AlertTransition(
            "abc",
            "HighErrorRatio",
            AlertTransition.State.FIRING,
            "critical",
            Map.of("service", "checkout"),
            Map.of("summary", "say \"hi\""),
            0.2,
            START,
            null,
            "http://localhost:8890");

    JsonNode json = Json.mapper().readTree(Json.mapper().writeValueAsBytes(t));

    assertThat(json.get("state").asText()).isEqualTo("firing");
    assertThat(json.get("@timestamp").asText()).isEqualTo("2026-11-22T10:00:00Z");
    assertThat(Json.mapper().treeToValue(json, AlertTransition.class)).isEqualTo(t);
  }
}
