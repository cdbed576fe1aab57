package io.vigil.alerting.notify;

import java.time.Duration;

/** Waits between retries; tests substitute one that records the delays instead of waiting. */
@FunctionalInterface
public interface Sleeper {
  /** The real thing: {@link Thread#sleep(long)}. */
  Sleeper SYSTEM = d -> Thread.sleep(d.toMillis());

  /** Waits {@code duration}. */
  void sleep(Duration duration) throws InterruptedException;
}
