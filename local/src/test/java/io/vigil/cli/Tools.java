package io.vigil.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** The outside tools some checks run (kubectl, node, npm, python3): whether one is installed. */
final class Tools {
  private Tools() {}

  /** Whether {@code command} is an executable file in a folder of {@code PATH}. */
  static boolean onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}
