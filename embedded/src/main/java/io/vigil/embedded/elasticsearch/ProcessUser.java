package io.vigil.embedded.elasticsearch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Who the Elasticsearch process runs as. Elasticsearch refuses to run as root; when this JVM is
 * root (containers, CI), the server is started through {@code setpriv} as {@code nobody} and every
 * folder it writes is handed to that user. Otherwise it runs as the current user, unchanged.
 */
final class ProcessUser {
  static final int NOBODY = 65534;

  private final boolean dropPrivileges;

  private ProcessUser(boolean dropPrivileges) {
    this.dropPrivileges = dropPrivileges;
  }

  static ProcessUser detect() {
    return new ProcessUser(isRoot());
  }

  boolean dropsPrivileges() {
    return dropPrivileges;
  }

  /** The command line that runs {@code command} as the right user. */
  List<String> wrap(List<String> command) {
    if (!dropPrivileges) {
      return command;
    }
    List<String> wrapped = new ArrayList<>();
    wrapped.add(setpriv());
    wrapped.add("--reuid=" + NOBODY);
    wrapped.add("--regid=" + NOBODY);
    wrapped.add("--clear-groups");
    wrapped.addAll(command);
    return wrapped;
  }

  /** Gives {@code dir} and everything below it to the process user. */
  void own(Path dir) throws IOException {
    if (!dropPrivileges) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        Files.setAttribute(path, "unix:uid", NOBODY);
        Files.setAttribute(path, "unix:gid", NOBODY);
      }
    }
  }

  /**
   * Fails with a clear message if the process user cannot reach {@code path}: every parent must be
   * traversable by others (a cache under {@code /root} is not).
   */
  void checkTraversable(Path path) throws IOException {
    if (!dropPrivileges) {
      return;
    }
    for (Path p = path.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
      if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
        throw new IllegalStateException(
            "Elasticsearch runs as uid "
                + NOBODY
                + " (it refuses root) but cannot traverse "
                + p
                + "; set "
                + Distribution.ENV_CACHE_DIR
                + " to a folder outside it, for example /tmp");
      }
    }
  }

  private static String setpriv() {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      Path candidate = Path.of(dir, "setpriv");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new IllegalStateException(
        "running as root and setpriv (util-linux) is not installed; Elasticsearch refuses to run"
            + " as root: run as a normal user, install util-linux, or set ELASTICSEARCH_URL");
  }

  /** The effective uid is authoritative; {@code user.name} is only the last resort. */
  private static boolean isRoot() {
    try {
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      return ((Integer) uid) == 0;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return idU() == 0;
    }
  }

  private static int idU() {
    try {
      Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String out = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      id.waitFor(5, TimeUnit.SECONDS);
      return Integer.parseInt(out);
    } catch (IOException | NumberFormatException e) {
      return "root".equals(System.getProperty("user.name")) ? 0 : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
