package io.vigil.alerting.notify;

/** A notification that could not be delivered, after any retries. The message holds no secrets. */
public final class NotificationException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Delivery failed for {@code reason}. */
  public NotificationException(String reason, Throwable cause) {
    super(reason, cause);
  }

  /** Delivery failed for {@code reason}. */
  public NotificationException(String reason) {
    super(reason);
  }
}
