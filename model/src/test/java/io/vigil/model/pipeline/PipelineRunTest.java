package io.vigil.model.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.JsonSerde;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineRunTest {
  private static final Instant END = Instant.parse("2026-11-22T02:10:00Z");

  private static PipelineRun failed() {
    return new PipelineRun(
        END,
        PipelineRun.RUN,
        new PipelineRun.Job("dbt", "orders"),
        new PipelineRun.Run("r-1", "p-1", "airflow/nightly"),
        "failed",
        END.minusSeconds(90),
        END,
        90.0,
        120L,
        null,
        new PipelineRun.DataQuality(3, 1, List.of("not_null(id)")),
        null);
  }

  @Test
  void writesTheContractFieldNames() throws Exception {
    JsonNode json = Json.mapper().readTree(Json.mapper().writeValueAsBytes(failed()));

    assertThat(json.get("@timestamp").asText()).isEqualTo("2026-11-22T02:10:00Z");
    assertThat(json.at("/job/namespace").asText()).isEqualTo("dbt");
    assertThat(json.at("/run/parent_job").asText()).isEqualTo("airflow/nightly");
    assertThat(json.get("duration_s").asDouble()).isEqualTo(90.0);
    assertThat(json.at("/data_quality/failed_assertions/0").asText()).isEqualTo("not_null(id)");
    assertThat(json.has("bytes")).isFalse();
    assertThat(json.has("freshness")).isFalse();
    assertThat(json.get("id").asText()).isEqualTo("dbt/orders/r-1/failed");
  }

  @Test
  void writesTheCatalogsExpectationsOnlyWhenThereAreAny() throws Exception {
    PipelineRun slow =
        new PipelineRun(
            END,
            PipelineRun.RUN,
            new PipelineRun.Job("airflow", "nightly"),
            new PipelineRun.Run("r-2", null, null),
            "complete",
            END.minusSeconds(900),
            END,
            900.0,
            null,
            null,
            null,
            null,
            new PipelineRun.Sla(600.0, true),
            "data",
            "1");
    PipelineRun stale =
        PipelineRun.freshness(
            END,
            new PipelineRun.Job("airflow", "nightly"),
            new PipelineRun.Freshness(END.minusSeconds(600), 600.0, 300.0, true),
            "data",
            null);

    JsonNode run = Json.mapper().readTree(Json.mapper().writeValueAsBytes(slow));
    assertThat(run.at("/sla/expected_duration_s").asDouble()).isEqualTo(600.0);
    assertThat(run.at("/sla/breached").asBoolean()).isTrue();
    assertThat(run.get("team").asText()).isEqualTo("data");
    assertThat(run.get("tier").asText()).isEqualTo("1");
    JsonNode freshness = Json.mapper().readTree(Json.mapper().writeValueAsBytes(stale));
    assertThat(freshness.at("/freshness/target_s").asDouble()).isEqualTo(300.0);
    assertThat(freshness.at("/freshness/stale").asBoolean()).isTrue();
    assertThat(freshness.has("tier")).isFalse();
    JsonNode plain = Json.mapper().readTree(Json.mapper().writeValueAsBytes(failed()));
    assertThat(plain.has("sla")).isFalse();
    assertThat(plain.has("team")).isFalse();
    JsonSerde<PipelineRun> serde = JsonSerde.of(PipelineRun.class);
    assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", slow)))
        .isEqualTo(slow);
    assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", stale)))
        .isEqualTo(stale);
  }

  @Test
  void roundTripsAFreshnessRecordThroughTheSerde() {
    PipelineRun freshness =
        PipelineRun.freshness(
            END,
            new PipelineRun.Job("dbt", "orders"),
            new PipelineRun.Freshness(END.minusSeconds(600), 600.0));
    JsonSerde<PipelineRun> serde = JsonSerde.of(PipelineRun.class);

    PipelineRun back =
        serde.deserializer().deserialize("t", serde.serializer().serialize("t", freshness));

    assertThat(back).isEqualTo(freshness);
    assertThat(back.id()).isEqualTo("dbt/orders@" + END.toEpochMilli());
    assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", failed())))
        .isEqualTo(failed());
  }
}
