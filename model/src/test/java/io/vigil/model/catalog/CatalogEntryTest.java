package io.vigil.model.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.model.kafka.JsonSerde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class CatalogEntryTest {
  private final JsonSerde<CatalogEntry> serde = JsonSerde.of(CatalogEntry.class);

  @Test
  void writesTheContractFieldNamesAndKeysByKind() {
    CatalogEntry job = new CatalogEntry("job", "airflow", "nightly", "data", "1", 7200.0, null);

    String json = new String(serde.serializer().serialize("t", job), StandardCharsets.UTF_8);

    assertThat(json)
        .isEqualTo(
            "{\"kind\":\"job\",\"namespace\":\"airflow\",\"name\":\"nightly\",\"team\":\"data\","
                + "\"tier\":\"1\",\"expected_duration_s\":7200.0}");
    assertThat(serde.deserializer().deserialize("t", json.getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(job);
    assertThat(job.key())
        .isEqualTo("job:airflow/nightly")
        .isEqualTo(CatalogEntry.jobKey("airflow", "nightly"));
    assertThat(job.expectedDuration()).isEqualTo(Duration.ofHours(2));
    assertThat(new CatalogEntry("service", "airflow", "nightly", null, null, null, null).key())
        .as("a service never overwrites a job of the same name")
        .isEqualTo(CatalogEntry.serviceKey("airflow", "nightly"))
        .isNotEqualTo(job.key());
  }

  @Test
  void refusesAnEntryWithoutKindOrIdentity() {
    assertThatThrownBy(
            () ->
                serde
                    .deserializer()
                    .deserialize(
                        "t",
                        "{\"kind\":\"table\",\"namespace\":\"a\",\"name\":\"b\"}"
                            .getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("kind must be job or service");
    assertThatThrownBy(
            () ->
                serde
                    .deserializer()
                    .deserialize(
                        "t",
                        "{\"kind\":\"job\",\"namespace\":\"a\"}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("name");
  }
}
