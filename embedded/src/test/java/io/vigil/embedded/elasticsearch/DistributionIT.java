package io.vigil.embedded.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DistributionIT {

  @Test
  void redoesAHalfUnpackedFolderAndKeepsExecBits(@TempDir Path cache) throws Exception {
    Path leftover = cache.resolve("vigil-elasticsearch").resolve("8.19.21");
    Files.createDirectories(leftover.resolve("elasticsearch-8.19.21"));
    Files.writeString(leftover.resolve("elasticsearch-8.19.21").resolve("junk"), "x");

    Distribution distribution = Distribution.locate(Map.of("VIGIL_CACHE_DIR", cache.toString()));
    Path home = distribution.home();

    assertThat(home).isEqualTo(leftover.resolve("elasticsearch-8.19.21"));
    assertThat(home.resolve("junk")).doesNotExist();
    assertThat(leftover.resolve(".vigil-unpacked")).exists();
    assertThat(Files.isExecutable(home.resolve("bin/elasticsearch"))).isTrue();
    assertThat(home.resolve("config/jvm.options")).isRegularFile();
    // Second call: already unpacked, same folder.
    assertThat(distribution.home()).isEqualTo(home);
  }
}
