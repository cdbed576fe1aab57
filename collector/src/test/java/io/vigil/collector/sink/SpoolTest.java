package io.vigil.collector.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spool on a real file system: order, durability across reopening, torn writes, limits. */
class SpoolTest {
  @TempDir Path dir;

  private static SinkRecord record(int i) {
    return new SinkRecord(
        "otlp_metrics",
        i % 3 == 0 ? null : ("key-" + i).getBytes(StandardCharsets.UTF_8),
        ("value " + i).getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> values(List<SinkRecord> records) {
    return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }

  @Test
  void givesRecordsBackInOrderAndForgetsThemOnceAdvanced() throws Exception {
    try (Spool spool = Spool.open(dir, 1 << 20)) {
      spool.append(List.of(record(0), record(1)));
      spool.append(List.of(record(2)));

      Spool.Read read = spool.read(1 << 20);
      assertThat(values(read.records())).containsExactly("value 0", "value 1", "value 2");
      assertThat(read.records().get(0).key()).isNull();
      assertThat(new String(read.records().get(1).key(), StandardCharsets.UTF_8))
          .isEqualTo("key-1");
      assertThat(spool.isEmpty()).as("read is not done").isFalse();

      spool.advance(read);
      assertThat(spool.isEmpty()).isTrue();
      assertThat(spool.read(1 << 20).records()).isEmpty();
    }
  }

  @Test
  void keepsWhatWasNotAdvancedAcrossAReopen() throws Exception {
    try (Spool spool = Spool.open(dir, 1 << 20)) {
      for (int i = 0; i < 10; i++) {
        spool.append(List.of(record(i)));
      }
      for (int i = 0; i < 4; i++) {
        spool.advance(spool.read(1)); // a budget of 1 byte reads one record
      }
      assertThat(values(spool.read(1).records())).containsExactly("value 4");
    } // value 4 was read but not advanced: it must come back
    try (Spool reopened = Spool.open(dir, 1 << 20)) {
      assertThat(values(reopened.read(1 << 20).records()))
          .containsExactly("value 4", "value 5", "value 6", "value 7", "value 8", "value 9");
    }
  }

  @Test
  void cutsOffARecordTornByACrashAndKeepsTheRest() throws Exception {
    try (Spool spool = Spool.open(dir, 1 << 20)) {
      spool.append(List.of(record(0), record(1)));
    }
    Path segment;
    try (Stream<Path> files = Files.list(dir)) {
      segment = files.filter(p -> p.toString().endsWith(".seg")).findFirst().orElseThrow();
    }
    // Half a record at the end, as a crash in the middle of a write leaves it.
    Files.write(segment, new byte[] {0, 0, 0, 40, 1, 2, 3}, StandardOpenOption.APPEND);

    try (Spool reopened = Spool.open(dir, 1 << 20)) {
      assertThat(values(reopened.read(1 << 20).records())).containsExactly("value 0", "value 1");
      reopened.append(List.of(record(2)));
      assertThat(values(reopened.read(1 << 20).records()))
          .containsExactly("value 0", "value 1", "value 2");
    }
  }

  @Test
  void refusesWhatDoesNotFit() throws Exception {
    try (Spool spool = Spool.open(dir, 100)) {
      List<SinkRecord> big = new ArrayList<>();
      big.add(new SinkRecord("t", null, new byte[200]));

      assertThatThrownBy(() -> spool.append(big))
          .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.retryable()).isTrue())
          .hasMessageContaining("the spool is full");
      assertThat(spool.isEmpty()).isTrue();
    }
  }

  @Test
  void aDrainedSpoolKeepsNoDataOnDisk() throws Exception {
    try (Spool spool = Spool.open(dir, 1 << 20)) {
      spool.append(List.of(record(0), record(1)));
      spool.advance(spool.read(1 << 20));

      assertThat(segmentBytes()).as("bytes in segment files once drained").isZero();
      spool.append(List.of(record(2)));
      assertThat(values(spool.read(1 << 20).records())).containsExactly("value 2");
    }
    try (Spool reopened = Spool.open(dir, 1 << 20)) {
      assertThat(values(reopened.read(1 << 20).records())).containsExactly("value 2");
    }
  }

  @Test
  void aCursorSlotTornByACrashFallsBackToTheOneBefore() throws Exception {
    try (Spool spool = Spool.open(dir, 1 << 20)) {
      for (int i = 0; i < 4; i++) {
        spool.append(List.of(record(i)));
      }
      spool.advance(spool.read(1)); // value 0 done
      spool.advance(spool.read(1)); // value 1 done: this write is torn below
    }
    Path slots = dir.resolve("cursor.slots");
    byte[] both = Files.readAllBytes(slots);
    int newer = ByteBuffer.wrap(both).getLong(0) > ByteBuffer.wrap(both).getLong(32) ? 0 : 32;
    both[newer + 10] ^= 0x40; // a bit of the newer slot's segment number
    Files.write(slots, both);

    try (Spool reopened = Spool.open(dir, 1 << 20)) {
      assertThat(values(reopened.read(1 << 20).records()))
          .as("at least once: the record whose cursor move was torn comes back")
          .containsExactly("value 1", "value 2", "value 3");
    }
  }

  @Test
  void readsTheCursorFileOfTheVersionBefore() throws Exception {
    Spool.Position afterTwo;
    try (Spool spool = Spool.open(dir, 1 << 20)) {
      for (int i = 0; i < 4; i++) {
        spool.append(List.of(record(i)));
      }
      long first = spool.read(1).bytes();
      afterTwo = spool.read(first + 1).end(); // values 0 and 1: a read stops past its budget
    }
    Files.delete(dir.resolve("cursor.slots"));
    Files.writeString(dir.resolve("cursor"), afterTwo.segment() + " " + afterTwo.offset());

    try (Spool reopened = Spool.open(dir, 1 << 20)) {
      assertThat(values(reopened.read(1 << 20).records())).containsExactly("value 2", "value 3");
    }
    assertThat(dir.resolve("cursor"))
        .as("the old cursor file, replaced by the slots")
        .doesNotExist();
  }

  private long segmentBytes() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      long total = 0;
      for (Path p : files.filter(f -> f.toString().endsWith(".seg")).toList()) {
        total += Files.size(p);
      }
      return total;
    }
  }
}
