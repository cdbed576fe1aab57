package io.vigil.alerting.notify;

/** Delivers notifications to one integration target (a Slack webhook, a mail recipient list). */
public interface Notifier {
  /** The integration name used in metrics, e.g. {@code slack}. */
  String integration();

  /**
   * Delivers {@code notification}, retrying transient failures.
   *
   * @throws NotificationException when it could not be delivered
   * @throws InterruptedException when interrupted while waiting to retry
   */
  void send(Notification notification) throws NotificationException, InterruptedException;

  /** Whether resolved alerts are announced too ({@code send_resolved}). */
  boolean sendResolved();
}
