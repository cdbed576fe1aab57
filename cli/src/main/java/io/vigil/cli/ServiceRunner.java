package io.vigil.cli;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds what a command started and closes it in reverse start order exactly once: at the end of the
 * command, or when the JVM is asked to stop (Ctrl-C, SIGTERM).
 */
public final class ServiceRunner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceRunner.class);

  private final Deque<AutoCloseable> parts = new ArrayDeque<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread hook;
  private boolean closed;

  /** A runner that closes its parts on shutdown. */
  public ServiceRunner() {
    this(() -> {});
  }

  /** A runner that, when the JVM is asked to stop, runs {@code onSignal} and then closes. */
  public ServiceRunner(Runnable onSignal) {
    hook =
        new Thread(
            () -> {
              onSignal.run();
              close();
            },
            "vigil-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Registers a started part; it is closed after the parts started after it. A part added while
   * shutting down is closed at once and the caller stops with {@link IllegalStateException}.
   */
  public <T extends AutoCloseable> T add(T part) {
    synchronized (this) {
      if (!closed) {
        parts.push(part);
        return part;
      }
    }
    closeQuietly(part);
    throw new IllegalStateException("shutting down");
  }

  /** Blocks until the runner is closed. */
  public void awaitShutdown() throws InterruptedException {
    stopped.await();
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    AutoCloseable part;
    while ((part = poll()) != null) {
      closeQuietly(part);
    }
    stopped.countDown();
    if (Thread.currentThread() != hook) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The JVM is already exiting; the hook is running or has run.
      }
    }
  }

  private synchronized AutoCloseable poll() {
    return parts.poll();
  }

  private static void closeQuietly(AutoCloseable part) {
    try {
      part.close();
    } catch (Exception e) {
      LOG.warn("error while stopping {}: {}", part.getClass().getSimpleName(), e.toString());
    }
  }
}
