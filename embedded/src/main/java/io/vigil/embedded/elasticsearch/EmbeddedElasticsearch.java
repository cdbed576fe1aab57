package io.vigil.embedded.elasticsearch;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Elasticsearch, from {@link ElasticsearchLauncher#start}: either a server this JVM
 * launched (stopped and deleted by {@link #close()}) or an external one named by {@code
 * ELASTICSEARCH_URL} (left alone by {@link #close()}).
 */
public final class EmbeddedElasticsearch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedElasticsearch.class);
  private static final Duration GRACEFUL_STOP = Duration.ofSeconds(30);

  private final String url;
  private final String version;
  private final Process process;
  private final Path instanceDirectory;
  private final Thread shutdownHook;
  private boolean closed;

  private EmbeddedElasticsearch(
      String url, String version, Process process, Path instanceDirectory) {
    this.url = url;
    this.version = version;
    this.process = process;
    this.instanceDirectory = instanceDirectory;
    if (process != null) {
      this.shutdownHook = new Thread(this::stop, "elasticsearch-shutdown-" + process.pid());
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    } else {
      this.shutdownHook = null;
    }
  }

  static EmbeddedElasticsearch external(String url) {
    return new EmbeddedElasticsearch(stripTrailingSlash(url), null, null, null);
  }

  static EmbeddedElasticsearch launched(
      String url, String version, Process process, Path instanceDirectory) {
    return new EmbeddedElasticsearch(url, version, process, instanceDirectory);
  }

  /**
   * The base URL without a trailing slash, for example {@code http://127.0.0.1:39201}. For an
   * external cluster this is {@code ELASTICSEARCH_URL} as given, credentials included.
   */
  public String url() {
    return url;
  }

  /** True if this is an external cluster that {@link #close()} leaves running. */
  public boolean isExternal() {
    return process == null;
  }

  /** The launched server's version, empty for an external cluster. */
  public Optional<String> version() {
    return Optional.ofNullable(version);
  }

  /** The PID of the launched process (the launcher; the server JVM is its child), if any. */
  public OptionalLong pid() {
    return process == null ? OptionalLong.empty() : OptionalLong.of(process.pid());
  }

  /** The launched server's folder (config, data, logs, {@code elasticsearch.out}), if any. */
  public Optional<Path> instanceDirectory() {
    return Optional.ofNullable(instanceDirectory);
  }

  /**
   * Stops a launched server (SIGTERM, then SIGKILL after 30 s, descendants included) and deletes
   * its folder. Does nothing for an external cluster. Idempotent.
   */
  @Override
  public void close() {
    if (process == null) {
      return;
    }
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // already shutting down: the hook is running or has run
    }
  }

  private synchronized void stop() {
    if (closed) {
      return;
    }
    closed = true;
    // Collect descendants first: once the launcher exits they are re-parented and out of reach.
    List<ProcessHandle> tree = new ArrayList<>();
    process.descendants().forEach(tree::add);
    tree.add(process.toHandle());
    tree.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + GRACEFUL_STOP.toNanos();
    for (ProcessHandle handle : tree) {
      long remaining = deadline - System.nanoTime();
      try {
        handle.onExit().get(Math.max(remaining, 0), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (Exception e) {
        // timed out: forced below
      }
    }
    for (ProcessHandle handle : tree) {
      if (handle.isAlive()) {
        LOG.warn(
            "Elasticsearch process {} did not stop in {}, killing it", handle.pid(), GRACEFUL_STOP);
        handle.destroyForcibly();
        try {
          handle.onExit().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (Exception e) {
          LOG.warn("Elasticsearch process {} still alive after SIGKILL", handle.pid());
        }
      }
    }
    Distribution.deleteRecursively(instanceDirectory);
    LOG.info("Elasticsearch at {} stopped", url);
  }

  @Override
  public String toString() {
    return "EmbeddedElasticsearch["
        + ClusterHealth.redacted(URI.create(url))
        + (isExternal() ? ", external" : ", pid " + process.pid())
        + "]";
  }

  private static String stripTrailingSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
