package io.vigil.model.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IsoInstantSerializerTest {
  @Test
  void writesWhatIsoInstantWritesForEveryKindOfFraction() throws Exception {
    List<Instant> instants =
        new ArrayList<>(
            List.of(
                Instant.EPOCH,
                Instant.parse("2026-12-03T22:19:49Z"),
                Instant.parse("2026-12-03T22:19:49.100Z"),
                Instant.parse("2026-12-03T22:19:49.000120Z"),
                Instant.parse("2026-12-03T22:19:49.000000007Z"),
                Instant.parse("2024-02-29T23:59:59.999999999Z"),
                Instant.parse("1969-12-31T23:59:59.5Z"),
                Instant.parse("0000-01-01T00:00:00Z"),
                Instant.parse("9999-12-31T23:59:59.999Z"),
                Instant.parse("-0001-12-31T23:59:59Z"),
                Instant.parse("+10000-01-01T00:00:00Z"),
                Instant.MIN,
                Instant.MAX));
    SplittableRandom random = new SplittableRandom(20261203);
    for (int i = 0; i < 20_000; i++) {
      long seconds = random.nextLong(-80_000_000_000L, 300_000_000_000L);
      int nanos =
          switch (i % 4) {
            case 0 -> 0;
            case 1 -> random.nextInt(1_000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1_000;
            default -> random.nextInt(1_000_000_000);
          };
      instants.add(Instant.ofEpochSecond(seconds, nanos));
    }

    assertThat(Json.mapper().getSerializerProviderInstance().findValueSerializer(Instant.class))
        .as("the mapper's serializer for instants")
        .isInstanceOf(IsoInstantSerializer.class);
    for (Instant instant : instants) {
      assertThat(Json.mapper().writeValueAsString(instant))
          .as("epoch second %d, nano %d", instant.getEpochSecond(), instant.getNano())
          .isEqualTo("\"" + DateTimeFormatter.ISO_INSTANT.format(instant) + "\"");
      assertThat(Json.mapper().readValue(Json.mapper().writeValueAsString(instant), Instant.class))
          .isEqualTo(instant);
    }
  }
}
