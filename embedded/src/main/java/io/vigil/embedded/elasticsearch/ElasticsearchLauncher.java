package io.vigil.embedded.elasticsearch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provides an Elasticsearch for {@code vigil demo} and integration tests.
 *
 * <p>If {@code ELASTICSEARCH_URL} is set (non-empty) in the given environment, waits for that
 * cluster to be yellow or green and returns a handle whose {@code close()} does nothing. Otherwise
 * launches the real {@code integ-test-zip} distribution (see {@link Distribution}) on free ports of
 * 127.0.0.1, security disabled, single node, 512 MB heap, with a fresh config, data and log folder
 * per start. As root it runs as {@code nobody} through {@code setpriv}, because Elasticsearch
 * refuses root.
 *
 * <p>Environment keys: {@code ELASTICSEARCH_URL}, {@code VIGIL_ELASTICSEARCH_ZIP}, {@code
 * VIGIL_CACHE_DIR} (default {@code java.io.tmpdir}).
 */
public final class ElasticsearchLauncher {
  private static final Logger LOG = LoggerFactory.getLogger(ElasticsearchLauncher.class);

  /** Environment key naming an external cluster to use instead of launching one. */
  public static final String ENV_URL = "ELASTICSEARCH_URL";

  /** How long {@link #start(Map)} waits for the cluster to become yellow. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

  private static final String HOST = "127.0.0.1";
  private static final int LOG_TAIL_LINES = 40;
  private static final int MAX_ATTEMPTS = 3;
  private static final Duration PROBE_PAUSE = Duration.ofMillis(250);

  private ElasticsearchLauncher() {}

  /** {@link #start(Map, Duration)} with the default 120 s deadline. */
  public static EmbeddedElasticsearch start(Map<String, String> env) {
    return start(env, DEFAULT_TIMEOUT);
  }

  /**
   * Connects to {@code ELASTICSEARCH_URL}, or launches a local Elasticsearch, and returns once it
   * is yellow or green.
   *
   * @param env the environment to read (tests pass a map; only the JUnit extension and the CLI pass
   *     {@code System.getenv()})
   * @param timeout how long to wait for the cluster to be usable
   * @throws IllegalStateException if it is not usable in time, with the tail of the server log
   */
  public static EmbeddedElasticsearch start(Map<String, String> env, Duration timeout) {
    String external = env.get(ENV_URL);
    if (external != null && !external.isBlank()) {
      return connect(external.trim(), timeout);
    }
    Distribution distribution = Distribution.locate(env);
    Path home = distribution.home();
    ProcessUser user = ProcessUser.detect();
    IllegalStateException last = null;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        return launch(distribution, home, user, timeout);
      } catch (PortTaken e) {
        // Free ports are picked, then released for the server: another process can win the race.
        LOG.info("Elasticsearch lost a port race ({}), retrying", e.getMessage());
        last = new IllegalStateException(e.getMessage());
      }
    }
    throw last;
  }

  private static EmbeddedElasticsearch connect(String url, Duration timeout) {
    String shown = ClusterHealth.redacted(URI.create(url));
    long started = System.nanoTime();
    ClusterHealth health = new ClusterHealth(url);
    long deadline = started + timeout.toNanos();
    try {
      while (true) {
        Optional<String> status = health.probe();
        if (status.isPresent()) {
          LOG.info(
              "Using Elasticsearch at {} ({}), ready in {} s",
              shown,
              status.get(),
              seconds(started));
          return EmbeddedElasticsearch.external(url);
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              ENV_URL + ": Elasticsearch at " + shown + " not yellow/green within " + timeout);
        }
        pause();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + shown, e);
    }
  }

  private static EmbeddedElasticsearch launch(
      Distribution distribution, Path home, ProcessUser user, Duration timeout) throws PortTaken {
    long started = System.nanoTime();
    Path instance;
    Path logFile;
    Process process;
    String url;
    try {
      Path instances = distribution.cacheRoot().resolve("instances");
      Distribution.createDirectories(instances);
      user.checkTraversable(instances.resolve("x"));
      instance = Files.createTempDirectory(instances, "es-");
      Path config = instance.resolve("config");
      copyTree(home.resolve("config"), config);
      Path data = Files.createDirectories(instance.resolve("data"));
      Path logs = Files.createDirectories(instance.resolve("logs"));
      Path tmp = Files.createDirectories(instance.resolve("tmp"));
      logFile = instance.resolve("elasticsearch.out");
      Files.createFile(logFile);
      user.own(instance);

      int httpPort = freePort();
      int transportPort = freePort();
      url = "http://" + HOST + ":" + httpPort;
      List<String> command = new ArrayList<>();
      command.add(home.resolve("bin").resolve("elasticsearch").toString());
      command.add("-Ecluster.name=vigil-embedded");
      command.add("-Enode.name=vigil-embedded");
      command.add("-Expack.security.enabled=false");
      command.add("-Expack.ml.enabled=false");
      command.add("-Ediscovery.type=single-node");
      command.add("-Enetwork.host=" + HOST);
      command.add("-Ehttp.port=" + httpPort);
      command.add("-Etransport.port=" + transportPort);
      command.add("-Epath.data=" + data);
      command.add("-Epath.logs=" + logs);
      // A nearly full disk on a laptop or CI runner must not turn indices read-only.
      command.add("-Ecluster.routing.allocation.disk.threshold_enabled=false");
      ProcessBuilder builder =
          new ProcessBuilder(user.wrap(command))
              .directory(instance.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      Map<String, String> env = builder.environment();
      env.put("ES_JAVA_HOME", System.getProperty("java.home"));
      env.remove("JAVA_HOME");
      env.put("ES_PATH_CONF", config.toString());
      env.put("ES_TMPDIR", tmp.toString());
      env.put("ES_JAVA_OPTS", "-Xms512m -Xmx512m");
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot launch Elasticsearch " + distribution.version(), e);
    }
    EmbeddedElasticsearch handle =
        EmbeddedElasticsearch.launched(url, distribution.version(), process, instance);
    try {
      awaitReady(handle, process, logFile, timeout, started);
    } catch (RuntimeException | PortTaken e) {
      handle.close();
      throw e;
    }
    LOG.info(
        "Elasticsearch {} ready at {} in {} s (pid {}{})",
        distribution.version(),
        url,
        seconds(started),
        process.pid(),
        user.dropsPrivileges() ? ", as uid " + ProcessUser.NOBODY : "");
    return handle;
  }

  private static void awaitReady(
      EmbeddedElasticsearch handle, Process process, Path logFile, Duration timeout, long started)
      throws PortTaken {
    ClusterHealth health = new ClusterHealth(handle.url());
    long deadline = started + timeout.toNanos();
    try {
      while (true) {
        if (!process.isAlive()) {
          String tail = tail(logFile);
          if (tail.contains("BindException") || tail.contains("Address already in use")) {
            throw new PortTaken("a port was taken before Elasticsearch bound it");
          }
          throw new IllegalStateException(
              "Elasticsearch exited with code "
                  + process.exitValue()
                  + " before becoming ready; last lines of "
                  + logFile
                  + ":\n"
                  + tail);
        }
        if (health.probe().isPresent()) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "Elasticsearch at "
                  + handle.url()
                  + " not yellow/green within "
                  + timeout
                  + "; last lines of "
                  + logFile
                  + ":\n"
                  + tail(logFile));
        }
        // Returns at once if the process dies, so a crash is reported without delay.
        process.waitFor(PROBE_PAUSE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Elasticsearch", e);
    }
  }

  private static void pause() throws InterruptedException {
    TimeUnit.MILLISECONDS.sleep(PROBE_PAUSE.toMillis()); // poll interval, bounded by the deadline
  }

  static String tail(Path logFile) {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join(
          "\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e.getMessage() + ")";
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path source : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
      return socket.getLocalPort();
    }
  }

  private static String seconds(long startedNanos) {
    return String.format("%.1f", (System.nanoTime() - startedNanos) / 1e9);
  }

  /** The server died because a port chosen for it was taken in the meantime. */
  private static final class PortTaken extends Exception {
    private static final long serialVersionUID = 1L;

    PortTaken(String message) {
      super(message);
    }
  }
}
