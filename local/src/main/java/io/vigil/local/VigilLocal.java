package io.vigil.local;

import io.vigil.cli.Vigil;
import io.vigil.local.demo.DemoCommand;
import java.util.List;

/**
 * The {@code vigil} command of {@code local/target/vigil-local.jar}, the jar {@code ./vigil} runs:
 * the services' commands plus {@code demo} and {@code standalone}, which need the embedded servers.
 */
public final class VigilLocal {
  private VigilLocal() {}

  /** Entry point; exits with 0, 1 or 2 as {@link Vigil} does. */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns the exit code instead of exiting (used by tests). */
  public static int execute(String... args) {
    return Vigil.execute(List.of(new DemoCommand(), new StandaloneCommand()), args);
  }
}
