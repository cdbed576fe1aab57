package io.vigil.model.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The build writes the project's version where {@link VigilVersion} reads it. */
class VigilVersionTest {
  @Test
  void isTheProjectsVersionAsTheBuildWroteIt() {
    assertThat(VigilVersion.get()).matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
  }
}
