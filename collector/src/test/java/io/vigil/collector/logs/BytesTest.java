package io.vigil.collector.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BytesTest {
  @Test
  void findsTheFirstOccurrenceAtEveryPositionAndAlignment() {
    Random random = new Random(7);
    for (int round = 0; round < 2_000; round++) {
      byte[] b = new byte[random.nextInt(40)];
      for (int i = 0; i < b.length; i++) {
        // few distinct values, half of them negative: matches, near misses and borrows
        b[i] = (byte) (random.nextInt(6) - 3 + (random.nextBoolean() ? 0 : 0x80));
      }
      byte wanted = (byte) (random.nextInt(6) - 3);
      int from = b.length == 0 ? 0 : random.nextInt(b.length);
      int to = from + random.nextInt(b.length - from + 1);
      assertThat(Bytes.indexOf(b, from, to, wanted))
          .as("round %d", round)
          .isEqualTo(naive(b, from, to, wanted));
    }
  }

  @Test
  void findsNewlinesInText() {
    byte[] text = "2024-05-01T10:00:00Z stdout F a line\nand the next\n".getBytes();
    int first = Bytes.indexOf(text, 0, text.length, (byte) '\n');
    assertThat(first).isEqualTo(36);
    assertThat(Bytes.indexOf(text, first + 1, text.length, (byte) '\n')).isEqualTo(49);
    assertThat(Bytes.indexOf(text, 0, first, (byte) '\n')).isEqualTo(-1);
    assertThat(Bytes.indexOf(text, 0, text.length, (byte) ' ')).isEqualTo(20);
  }

  private static int naive(byte[] b, int from, int to, byte wanted) {
    for (int i = from; i < to; i++) {
      if (b[i] == wanted) {
        return i;
      }
    }
    return -1;
  }
}
