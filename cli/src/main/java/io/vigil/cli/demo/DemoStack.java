package io.vigil.cli.demo;

import java.util.ArrayDeque;
import java.util.Deque;

/** What the demo started, closed in reverse order exactly once (normal end or Ctrl-C). */
final class DemoStack implements AutoCloseable {
  private final Deque<AutoCloseable> parts = new ArrayDeque<>();
  private boolean closed;

  synchronized <T extends AutoCloseable> T add(T part) {
    if (closed) {
      closeQuietly(part);
      throw new IllegalStateException("demo is shutting down");
    }
    parts.push(part);
    return part;
  }

  synchronized void onClose(Runnable action) {
    add(action::run);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    while (!parts.isEmpty()) {
      closeQuietly(parts.pop());
    }
  }

  private static void closeQuietly(AutoCloseable part) {
    try {
      part.close();
    } catch (Exception e) {
      System.err.println("vigil demo: error while stopping: " + e);
    }
  }
}
