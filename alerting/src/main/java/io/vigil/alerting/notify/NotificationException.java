package io.vigil.alerting.notify;

import java.time.Duration;
import java.util.Optional;

/**
 * One delivery attempt failed. The message holds no secrets. {@link #retryable()} says whether a
 * later attempt may succeed (a 5xx, a 429, a connection problem) or not (a rejected payload, a
 * malformed address); {@link #retryAfter()} is the wait the server asked for, when it did.
 */
public final class NotificationException extends Exception {
  private static final long serialVersionUID = 1L;

  private final boolean retryable;
  private final transient Duration retryAfter;

  private NotificationException(
      String reason, Throwable cause, boolean retryable, Duration retryAfter) {
    super(reason, cause);
    this.retryable = retryable;
    this.retryAfter = retryAfter;
  }

  /** A failure that a later attempt may overcome. */
  public static NotificationException retryable(String reason, Throwable cause) {
    return new NotificationException(reason, cause, true, null);
  }

  /** A rate limit: retry after {@code wait} (null when the server gave none). */
  public static NotificationException rateLimited(String reason, Duration wait) {
    return new NotificationException(reason, null, true, wait);
  }

  /** A failure that retrying cannot fix. */
  public static NotificationException permanent(String reason, Throwable cause) {
    return new NotificationException(reason, cause, false, null);
  }

  /** Whether a later attempt may succeed. */
  public boolean retryable() {
    return retryable;
  }

  /** The wait the server asked for ({@code Retry-After}), if any. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
