package io.vigil.model.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.model.signal.SampleSignals;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GoldenSignalSerializerTest {
  private static final Instant START = Instant.parse("2026-12-06T02:10:00Z");
  private static final String[] TEXTS = {
    "checkout", "", "shop \"eu\"", "päyments/ü€", "tab\tnew\nline\u0001", "GET /api/{id}", "a\\b"
  };
  private static final double[] NUMBERS = {
    0.0,
    -0.0,
    0.025,
    120.0,
    1e-9,
    123456789.123,
    0.1 + 0.2,
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.MIN_VALUE,
    Double.MAX_VALUE,
    1.0 / 3
  };

  private final SplittableRandom random = new SplittableRandom(20261206);

  @Test
  void writesWhatTheBeanSerializerWritesForEveryKindOfRecord() throws Exception {
    ObjectMapper beans = Json.beanMapper().build();
    List<GoldenSignal> signals = new ArrayList<>(List.of(windowOfAService(), nodeSaturation()));
    for (int i = 0; i < 5_000; i++) {
      signals.add(randomSignal());
    }

    assertThat(
            Json.mapper().getSerializerProviderInstance().findValueSerializer(GoldenSignal.class))
        .as("the mapper's serializer for golden signals")
        .isInstanceOf(GoldenSignalSerializer.class);
    for (GoldenSignal signal : signals) {
      String expected = beans.writeValueAsString(signal);
      assertThat(Json.mapper().writeValueAsString(signal)).as("%s", signal).isEqualTo(expected);
      assertThat(Json.mapper().readValue(expected, GoldenSignal.class)).isEqualTo(signal);
    }
  }

  @Test
  void writesTheSameInsideOtherValues() throws Exception {
    ObjectMapper beans = Json.beanMapper().build();
    List<GoldenSignal> signals = List.of(windowOfAService(), nodeSaturation());

    assertThat(Json.mapper().writeValueAsString(signals))
        .isEqualTo(beans.writeValueAsString(signals));
    assertThat(Json.mapper().valueToTree(signals).toString())
        .isEqualTo(beans.valueToTree(signals).toString());
  }

  private static GoldenSignal windowOfAService() {
    return SampleSignals.checkout("POST /cart", 1_765_000_000_123L);
  }

  private static GoldenSignal nodeSaturation() {
    return GoldenSignal.saturation(
        START.plusMillis(1),
        new GoldenSignal.Window(START, START.plusSeconds(10), 10),
        "c1",
        null,
        null,
        "node-1",
        null,
        new GoldenSignal.Saturation(0.81, null),
        null);
  }

  private GoldenSignal randomSignal() {
    Instant start = Instant.ofEpochSecond(random.nextLong(-100_000_000L, 300_000_000_000L));
    if (random.nextBoolean()) {
      start = start.plusNanos(random.nextInt(1_000_000_000));
    }
    long seconds = random.nextInt(1, 3600);
    String service = maybe(text());
    String node = service == null || random.nextInt(4) == 0 ? text() : null;
    return new GoldenSignal(
        random.nextBoolean() ? null : start.plusMillis(random.nextLong(-10_000, 10_000)),
        new GoldenSignal.Window(start, start.plusSeconds(seconds), seconds),
        maybe(text()),
        maybe(text()),
        service,
        maybe(text()),
        node,
        maybe(text()),
        random.nextBoolean() ? null : new GoldenSignal.Traffic(count(), number()),
        random.nextBoolean() ? null : new GoldenSignal.Errors(count(), number()),
        random.nextBoolean()
            ? null
            : new GoldenSignal.Latency(
                maybe(number()),
                maybe(number()),
                maybe(number()),
                maybe(number()),
                maybe(number())),
        random.nextBoolean() ? null : new GoldenSignal.Saturation(maybe(number()), maybe(number())),
        random.nextBoolean() ? null : new GoldenSignal.Logs(count(), count(), number(), number()),
        random.nextBoolean() ? null : random.nextLong());
  }

  private <T> T maybe(T value) {
    return random.nextInt(3) == 0 ? null : value;
  }

  private String text() {
    return TEXTS[random.nextInt(TEXTS.length)];
  }

  private double number() {
    return random.nextBoolean()
        ? NUMBERS[random.nextInt(NUMBERS.length)]
        : random.nextDouble() * Math.pow(10, random.nextInt(-6, 12));
  }

  private long count() {
    return random.nextInt(5) == 0 ? random.nextLong() : random.nextLong(0, 1_000_000_000L);
  }
}
