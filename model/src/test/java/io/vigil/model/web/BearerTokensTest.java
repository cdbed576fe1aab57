package io.vigil.model.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerTokensTest {
  @TempDir Path dir;

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final List<String> refusals = new ArrayList<>();

  /** The tokens of {@code file} as the admin port reads them, on the test's clock. */
  private BearerTokens watch(Path file) {
    WebConfig config =
        new WebConfig(null, null, Map.of("inline", "in-token"), file.toString(), null, null);
    return BearerTokens.watching(
        file,
        config.tokens(dir),
        () -> config.tokens(dir),
        (ConfigException e) -> refusals.add(e.getMessage()),
        clock::get);
  }

  private void aSecondLater() {
    clock.addAndGet(BearerTokens.CHECK_INTERVAL.toNanos());
  }

  @Test
  void takesARotatedTokenFileOnTheFirstRequestASecondLater() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), "grafana old-token\n");
    BearerTokens tokens = watch(file);
    assertThat(tokens.holder("old-token")).isEqualTo("grafana");

    Files.writeString(file, "grafana new-token-2\n# rotated\n");
    assertThat(tokens.holder("new-token-2")).as("not looked at again yet").isNull();
    aSecondLater();

    assertThat(tokens.holder("new-token-2")).isEqualTo("grafana");
    assertThat(tokens.holder("old-token")).isNull();
    assertThat(tokens.holder("in-token")).as("inline tokens stay").isEqualTo("inline");
    assertThat(refusals).isEmpty();
  }

  @Test
  void keepsTheTokensInUseWhenTheChangedFileCannotBeUsedAndTakesTheNextChange() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), "grafana old-token\n");
    BearerTokens tokens = watch(file);

    Files.writeString(file, "grafana half-written-token and more\n");
    aSecondLater();
    assertThat(tokens.holder("old-token")).isEqualTo("grafana");
    Files.delete(file);
    aSecondLater();
    assertThat(tokens.holder("old-token")).isEqualTo("grafana");

    assertThat(refusals).hasSize(2);
    assertThat(refusals.get(0)).contains("line 1").doesNotContain("half-written-token");
    assertThat(refusals.get(1)).contains("cannot read");

    Files.writeString(file, "grafana next-token\n");
    aSecondLater();
    assertThat(tokens.holder("next-token")).isEqualTo("grafana");
    assertThat(tokens.holder("old-token")).isNull();
  }

  @Test
  void refusesEveryBearerOnceTheFileIsEmptiedButStillAsksForOne() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), "grafana old-token\n");
    BearerTokens tokens =
        BearerTokens.watching(
            file, Map.of("grafana", "old-token"), Map::of, e -> refusals.add("?"), clock::get);

    Files.writeString(file, "");
    aSecondLater();

    assertThat(tokens.holder("old-token")).isNull();
    assertThat(tokens.holder("")).isNull();
    assertThat(tokens.isEmpty()).as("a server with a token file keeps asking").isFalse();
    assertThat(BearerTokens.of(Map.of()).isEmpty()).isTrue();
  }
}
