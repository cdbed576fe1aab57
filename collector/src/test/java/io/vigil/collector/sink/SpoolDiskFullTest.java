package io.vigil.collector.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool on a disk that fills up: a real 256 KiB tmpfs, mounted for the test (root only; where
 * the test may not mount, it is skipped and says why).
 */
class SpoolDiskFullTest {
  @TempDir Path mountPoint;
  private boolean mounted;

  @BeforeEach
  void mountASmallDisk() throws Exception {
    Process mount =
        new ProcessBuilder(
                "mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    mounted = mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0;
    assumeTrue(mounted, "cannot mount a tmpfs here (needs root): " + out.strip());
  }

  @AfterEach
  void unmount() throws Exception {
    if (mounted) {
      new ProcessBuilder("umount", mountPoint.toString()).inheritIO().start().waitFor();
    }
  }

  private static SinkRecord record(int i) {
    byte[] value = new byte[10_000];
    byte[] text = ("value " + i + " ").getBytes(StandardCharsets.UTF_8);
    System.arraycopy(text, 0, value, 0, text.length);
    return new SinkRecord("otlp_metrics", ("key-" + i).getBytes(StandardCharsets.UTF_8), value);
  }

  private static List<Integer> numbers(List<SinkRecord> records) {
    return records.stream()
        .map(r -> new String(r.value(), 0, 20, StandardCharsets.UTF_8).split(" ")[1])
        .map(Integer::valueOf)
        .toList();
  }

  @Test
  void refusesWhatTheDiskCannotHoldKeepsWhatItTookAndGoesOnOnceSpaceIsFreed() throws Exception {
    Path dir = mountPoint.resolve("spool");
    int stored = 0;
    try (Spool spool = Spool.open(dir, 1L << 30)) { // the limit is far: the disk fills first
      IOException full = null;
      while (full == null) {
        try {
          spool.append(List.of(record(stored)));
          stored++;
        } catch (IOException e) {
          full = e;
        }
      }
      assertThat(stored).as("records that fit on 256 KiB").isBetween(10, 26);
      assertThat(spool.writeFailure())
          .as("why the spool cannot write")
          .isEqualTo(full.getMessage());
      int refused = stored;
      assertThatThrownBy(() -> spool.append(List.of(record(refused))))
          .as("still full")
          .isInstanceOf(IOException.class);

      List<Integer> everything = new ArrayList<>();
      for (int i = 0; i < stored; i++) {
        everything.add(i);
      }
      Spool.Read read = spool.read(1L << 20);
      assertThat(numbers(read.records()))
          .as("every record taken, none of the refused ones, each whole")
          .isEqualTo(everything);

      spool.advance(read); // drained: the disk gets its space back
      assertThat(spool.writeFailure()).as("after space was freed").isNull();
      spool.append(List.of(record(stored)));
      assertThat(numbers(spool.read(1L << 20).records())).containsExactly(stored);
    }
    try (Spool reopened = Spool.open(dir, 1L << 30)) {
      assertThat(numbers(reopened.read(1L << 20).records()))
          .as("after a restart")
          .containsExactly(stored);
    }
  }

  @Test
  void aFullDiskInTheMiddleOfABatchLeavesTheRecordsBeforeItReadable() throws Exception {
    Path dir = mountPoint.resolve("spool");
    try (Spool spool = Spool.open(dir, 1L << 30)) {
      int stored = 0;
      List<SinkRecord> batch = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        batch.add(record(i));
      }
      boolean refused = false;
      while (!refused) { // batches of five until one is cut off in its middle
        try {
          spool.append(batch);
          stored += 5;
        } catch (IOException e) {
          refused = true;
        }
      }
      spool.advance(spool.read(1)); // one record read and done: its space is not freed yet
      List<SinkRecord> small = List.of(new SinkRecord("otlp_metrics", null, new byte[10]));
      spool.append(small); // fits where the cut-off batch was

      Spool.Read rest = spool.read(1L << 20);
      assertThat(rest.records())
          .as("the stored records but the first, and the small one")
          .hasSize(stored);
      assertThat(rest.records().get(rest.records().size() - 1).value()).hasSize(10);
    }
  }
}
