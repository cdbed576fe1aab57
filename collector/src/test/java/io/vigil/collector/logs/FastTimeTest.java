package io.vigil.collector.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The fast time reader agrees with java.time on every time it accepts, and refuses the rest. */
class FastTimeTest {

  private static long fast(String text) {
    byte[] b = text.getBytes(StandardCharsets.US_ASCII);
    return FastTime.parse(b, 0, b.length);
  }

  private static long slow(String text) {
    Instant i = OffsetDateTime.parse(text).toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  @Test
  void agreesWithJavaTimeOnRandomTimes() {
    SplittableRandom random = new SplittableRandom(7);
    for (int n = 0; n < 20_000; n++) {
      long seconds = random.nextLong(-2_000_000_000L, 4_000_000_000L);
      int nanos = random.nextInt(1_000_000_000);
      int offsetMinutes = random.nextInt(-14 * 60, 14 * 60 + 1);
      OffsetDateTime time =
          Instant.ofEpochSecond(seconds, nanos)
              .atOffset(ZoneOffset.ofTotalSeconds(offsetMinutes * 60));
      int digits = random.nextInt(10);
      String fraction = digits == 0 ? "" : "." + String.format("%09d", nanos).substring(0, digits);
      String zone = offsetMinutes == 0 && random.nextBoolean() ? "Z" : time.getOffset().getId();
      if (zone.equals("Z") && offsetMinutes != 0) {
        continue;
      }
      String text =
          String.format(
                  "%04d-%02d-%02dT%02d:%02d:%02d",
                  time.getYear(),
                  time.getMonthValue(),
                  time.getDayOfMonth(),
                  time.getHour(),
                  time.getMinute(),
                  time.getSecond())
              + fraction
              + zone;
      if (time.getYear() < 0 || time.getYear() > 9999) {
        continue;
      }
      assertThat(fast(text)).as(text).isEqualTo(slow(text));
    }
  }

  @Test
  void leavesAnythingElseToTheGeneralParser() {
    assertThat(fast("2021-02-30T09:21:15Z")).isEqualTo(FastTime.UNKNOWN);
    assertThat(fast("2021-02-16 09:21:15Z")).isEqualTo(FastTime.UNKNOWN);
    assertThat(fast("2021-02-16T09:21:15.Z")).isEqualTo(FastTime.UNKNOWN);
    assertThat(fast("2021-02-16T09:21:15")).isEqualTo(FastTime.UNKNOWN);
    assertThat(fast("2021-02-16T25:21:15Z")).isEqualTo(FastTime.UNKNOWN);
    assertThat(fast("2021-02-16T09:21:15+0100")).isEqualTo(FastTime.UNKNOWN);
    assertThat(fast("2024-02-29T00:00:00Z")).isEqualTo(slow("2024-02-29T00:00:00Z"));
  }

  @Test
  void aMemoGivesTheTimesOfParsingEachAlone() {
    SplittableRandom random = new SplittableRandom(11);
    FastTime.Memo memo = new FastTime.Memo();
    long seconds = 1_700_000_000L;
    String[] zones = {"Z", "z", "+02:00", "-05:30"};
    for (int n = 0; n < 20_000; n++) {
      seconds += random.nextInt(4) == 0 ? random.nextInt(1, 100_000) : 0; // mostly the same second
      String text =
          Instant.ofEpochSecond(seconds).toString().substring(0, 19)
              + "."
              + String.format("%09d", random.nextInt(1_000_000_000))
              + zones[random.nextInt(zones.length)];
      if (random.nextInt(10) == 0) {
        text = text.replace('T', ' '); // refused, and must not be remembered
      } else if (random.nextInt(10) == 0) {
        text = text.substring(0, 5) + "13" + text.substring(7); // month 13: refused
      }
      byte[] b = ("  " + text + " stdout").getBytes(StandardCharsets.US_ASCII);
      int from = 2;
      int to = 2 + text.length();
      assertThat(FastTime.parse(b, from, to, memo)).as(text).isEqualTo(FastTime.parse(b, from, to));
    }
  }
}
