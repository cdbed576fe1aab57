package io.vigil.embedded.elasticsearch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the Elasticsearch {@code integ-test-zip} distribution and unpacks it, once, into a cache
 * folder shared by every JVM on the machine.
 *
 * <p>Where the zip comes from, first match wins: {@code VIGIL_ELASTICSEARCH_ZIP}; the path the
 * build recorded in {@code vigil-embedded.properties}; the local Maven repository under {@code
 * ~/.m2/repository}. Unpacking happens under a file lock into a scratch folder that is renamed into
 * place, then a marker file is written, so a crash mid-way leaves nothing that looks complete.
 */
final class Distribution {
  private static final Logger LOG = LoggerFactory.getLogger(Distribution.class);
  static final String ENV_ZIP = "VIGIL_ELASTICSEARCH_ZIP";
  static final String ENV_CACHE_DIR = "VIGIL_CACHE_DIR";
  static final String DEFAULT_VERSION = "8.19.21";
  private static final String MARKER = ".vigil-unpacked";
  private static final Set<PosixFilePermission> DIR_PERMISSIONS =
      PosixFilePermissions.fromString("rwxr-xr-x");

  private final String version;
  private final Path zip;
  private final Path cacheRoot;

  private Distribution(String version, Path zip, Path cacheRoot) {
    this.version = version;
    this.zip = zip;
    this.cacheRoot = cacheRoot;
  }

  /** Resolves the zip and the cache folder, failing with a message that says how to fix it. */
  static Distribution locate(Map<String, String> env) {
    Properties build = buildProperties();
    String version = build.getProperty("elasticsearch.version", DEFAULT_VERSION);
    if (version.isBlank() || version.contains("${")) {
      version = DEFAULT_VERSION;
    }
    List<Path> candidates = new ArrayList<>();
    String fromEnv = env.get(ENV_ZIP);
    if (fromEnv != null && !fromEnv.isBlank()) {
      Path path = Path.of(fromEnv);
      if (!Files.isRegularFile(path)) {
        throw new IllegalStateException(
            ENV_ZIP + ": no such file, was " + fromEnv + " (expected elasticsearch-*.zip)");
      }
      candidates.add(path);
    }
    String recorded = build.getProperty("elasticsearch.zip", "");
    if (!recorded.isBlank() && !recorded.contains("${")) {
      candidates.add(Path.of(recorded));
    }
    Path m2 =
        Path.of(
            System.getProperty("user.home"),
            ".m2",
            "repository",
            "org",
            "elasticsearch",
            "distribution",
            "integ-test-zip",
            "elasticsearch",
            version,
            "elasticsearch-" + version + ".zip");
    candidates.add(m2);
    Path zip = candidates.stream().filter(Files::isRegularFile).findFirst().orElse(null);
    if (zip == null) {
      throw new IllegalStateException(
          "Elasticsearch "
              + version
              + " distribution not found; looked at "
              + candidates
              + ". Build the project once (mvn -pl embedded install downloads"
              + " org.elasticsearch.distribution.integ-test-zip:elasticsearch:"
              + version
              + ":zip), or set "
              + ENV_ZIP
              + " to the zip, or set ELASTICSEARCH_URL to use a running Elasticsearch.");
    }
    String cacheDir = env.get(ENV_CACHE_DIR);
    Path base =
        cacheDir == null || cacheDir.isBlank()
            ? Path.of(System.getProperty("java.io.tmpdir"))
            : Path.of(cacheDir);
    return new Distribution(version, zip, base.toAbsolutePath().resolve("vigil-elasticsearch"));
  }

  String version() {
    return version;
  }

  /** {@code <cache>/vigil-elasticsearch}: holds the unpacked versions and the instance folders. */
  Path cacheRoot() {
    return cacheRoot;
  }

  /** Unpacks the distribution if needed and returns its home folder (with {@code bin/}). */
  Path home() {
    Path target = cacheRoot.resolve(version);
    try {
      createDirectories(cacheRoot);
      if (Files.exists(target.resolve(MARKER))) {
        return home(target);
      }
      try (FileChannel channel =
          FileChannel.open(
              cacheRoot.resolve(version + ".lock"),
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE)) {
        // Other JVMs (parallel builds) may unpack at the same time: one does it, the rest wait.
        FileLock lock = channel.lock();
        try {
          if (!Files.exists(target.resolve(MARKER))) {
            unpack(target);
          }
        } finally {
          lock.release();
        }
      }
      return home(target);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack " + zip + " into " + target, e);
    }
  }

  private static Path home(Path target) throws IOException {
    try (Stream<Path> children = Files.list(target)) {
      return children
          .filter(p -> Files.isRegularFile(p.resolve("bin").resolve("elasticsearch")))
          .findFirst()
          .orElseThrow(() -> new IOException("no bin/elasticsearch under " + target));
    }
  }

  private void unpack(Path target) throws IOException {
    long started = System.nanoTime();
    LOG.info("Unpacking {} into {}", zip, target);
    deleteRecursively(target); // a half-unpacked leftover: no marker
    Path scratch = Files.createTempDirectory(cacheRoot, version + ".unpacking-");
    Files.setPosixFilePermissions(scratch, DIR_PERMISSIONS);
    try (FileSystem zipFs =
        FileSystems.newFileSystem(
            URI.create("jar:" + zip.toUri()), Map.of("enablePosixFileAttributes", "true"))) {
      Path root = zipFs.getPath("/");
      try (Stream<Path> entries = Files.walk(root)) {
        for (Path entry : (Iterable<Path>) entries::iterator) {
          Path out = scratch.resolve(root.relativize(entry).toString()).normalize();
          if (!out.startsWith(scratch)) {
            throw new IOException("zip entry escapes the target folder: " + entry);
          }
          if (Files.isDirectory(entry)) {
            createDirectories(out);
          } else {
            createDirectories(out.getParent());
            try (InputStream in = Files.newInputStream(entry)) {
              Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.setPosixFilePermissions(out, permissions(entry));
          }
        }
      }
    }
    Files.move(scratch, target, StandardCopyOption.ATOMIC_MOVE);
    Files.writeString(target.resolve(MARKER), zip.toString());
    LOG.info(
        "Unpacked Elasticsearch {} in {} s",
        version,
        String.format("%.1f", (System.nanoTime() - started) / 1e9));
  }

  /**
   * The entry's own mode when the zip records one, made world-readable (an unprivileged user may
   * run it); otherwise executable for {@code bin/*}.
   */
  private static Set<PosixFilePermission> permissions(Path entry) {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    try {
      perms.addAll(Files.readAttributes(entry, PosixFileAttributes.class).permissions());
    } catch (IOException | UnsupportedOperationException e) {
      // no mode recorded
    }
    if (perms.isEmpty()) {
      perms.add(PosixFilePermission.OWNER_READ);
      perms.add(PosixFilePermission.OWNER_WRITE);
      Path parent = entry.getParent();
      if (parent != null && parent.getFileName() != null) {
        String name = entry.getFileName().toString();
        if ("bin".equals(parent.getFileName().toString())
            && !name.endsWith(".bat")
            && !name.endsWith(".exe")) {
          perms.add(PosixFilePermission.OWNER_EXECUTE);
        }
      }
    }
    perms.add(PosixFilePermission.OWNER_READ);
    perms.add(PosixFilePermission.GROUP_READ);
    perms.add(PosixFilePermission.OTHERS_READ);
    if (perms.contains(PosixFilePermission.OWNER_EXECUTE)) {
      perms.add(PosixFilePermission.GROUP_EXECUTE);
      perms.add(PosixFilePermission.OTHERS_EXECUTE);
    }
    return perms;
  }

  static void createDirectories(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, DIR_PERMISSIONS);
    }
  }

  static void deleteRecursively(Path dir) {
    try {
      Utils.delete(dir == null ? null : dir.toFile());
    } catch (IOException e) {
      LOG.warn("cannot delete {}", dir, e);
    }
  }

  private static Properties buildProperties() {
    Properties properties = new Properties();
    try (InputStream in = Distribution.class.getResourceAsStream("/vigil-embedded.properties")) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      LOG.debug("cannot read vigil-embedded.properties", e);
    }
    return properties;
  }
}
