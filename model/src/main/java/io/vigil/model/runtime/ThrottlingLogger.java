package io.vigil.model.runtime;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs at most a few lines per minute per logger, then counts what it suppressed and says so in the
 * next line it lets through. Used on every path that bad input can reach, so a flood of bad
 * requests cannot flood the log.
 */
public final class ThrottlingLogger {
  private static final long WINDOW_MILLIS = 60_000;
  private static final int LINES_PER_WINDOW = 5;

  private final Logger delegate;
  private final Clock clock;
  private final AtomicLong windowStart = new AtomicLong();
  private final AtomicLong linesInWindow = new AtomicLong();
  private final AtomicLong suppressed = new AtomicLong();

  /** Throttles {@code delegate} using {@code clock} for its windows. */
  public ThrottlingLogger(Logger delegate, Clock clock) {
    this.delegate = delegate;
    this.clock = clock;
  }

  /** Throttles {@code delegate} on the system clock. */
  public ThrottlingLogger(Logger delegate) {
    this(delegate, Clock.systemUTC());
  }

  /** Logs a warning unless this logger's budget for the current minute is spent. */
  public void warn(String format, Object... args) {
    if (admit()) {
      long dropped = suppressed.getAndSet(0);
      if (dropped > 0) {
        delegate.warn("({} similar messages suppressed) " + format, prepend(dropped, args));
      } else {
        delegate.warn(format, args);
      }
    } else {
      suppressed.incrementAndGet();
    }
  }

  private boolean admit() {
    long now = clock.millis();
    long start = windowStart.get();
    if (now - start >= WINDOW_MILLIS && windowStart.compareAndSet(start, now)) {
      linesInWindow.set(0);
    }
    return linesInWindow.incrementAndGet() <= LINES_PER_WINDOW;
  }

  private static Object[] prepend(Object first, Object[] rest) {
    Object[] all = new Object[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }
}
