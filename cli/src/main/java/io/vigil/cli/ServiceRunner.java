package io.vigil.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps started parts running until the JVM is asked to stop (Ctrl-C, SIGTERM), then closes them in
 * reverse start order.
 */
final class ServiceRunner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceRunner.class);

  private final List<AutoCloseable> parts = Collections.synchronizedList(new ArrayList<>());
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread hook = new Thread(this::close, "vigil-shutdown");

  ServiceRunner() {
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Registers a started part; it is closed on shutdown, after the parts started after it. */
  <T extends AutoCloseable> T add(T part) {
    parts.add(part);
    return part;
  }

  /** Blocks until shutdown. */
  void awaitShutdown() throws InterruptedException {
    stopped.await();
  }

  @Override
  public void close() {
    if (stopped.getCount() == 0) {
      return;
    }
    List<AutoCloseable> reversed;
    synchronized (parts) {
      reversed = new ArrayList<>(parts);
    }
    Collections.reverse(reversed);
    for (AutoCloseable part : reversed) {
      try {
        part.close();
      } catch (Exception e) {
        LOG.warn("error while stopping {}: {}", part.getClass().getSimpleName(), e.toString());
      }
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
}
