package io.vigil.model.kafka;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when a stream thread dies: it is replaced, unless threads keep dying (more than
 * {@code maxCrashes} within {@code period}), which points at a fault a new thread will hit again;
 * then the client shuts down, its state becomes {@code ERROR} and readiness fails, so the
 * orchestrator restarts the service instead of it spinning silently.
 */
public final class StreamThreadCrashPolicy implements StreamsUncaughtExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(StreamThreadCrashPolicy.class);

  private final int maxCrashes;
  private final Duration period;
  private final Clock clock;
  private final Deque<Long> crashes = new ArrayDeque<>();

  public StreamThreadCrashPolicy(int maxCrashes, Duration period, Clock clock) {
    this.maxCrashes = maxCrashes;
    this.period = period;
    this.clock = clock;
  }

  @Override
  public synchronized StreamThreadExceptionResponse handle(Throwable exception) {
    long now = clock.millis();
    crashes.addLast(now);
    while (!crashes.isEmpty() && crashes.peekFirst() < now - period.toMillis()) {
      crashes.removeFirst();
    }
    if (crashes.size() > maxCrashes) {
      LOG.error(
          "stream thread died {} times within {}; shutting down the Kafka Streams client",
          crashes.size(),
          period,
          exception);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    LOG.error("stream thread died; replacing it", exception);
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }
}
