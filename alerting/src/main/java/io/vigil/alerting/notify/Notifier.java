package io.vigil.alerting.notify;

/**
 * Sends notifications to one integration target (a Slack webhook, a mail recipient list), one
 * attempt per call: retrying, waiting and queueing belong to the {@link DeliveryWorker} in front of
 * it, which is the same for every integration.
 */
public interface Notifier {
  /** The integration type used in metrics and names, e.g. {@code slack}. */
  String integration();

  /**
   * Makes one attempt to deliver {@code notification}.
   *
   * @throws NotificationException when it was not delivered; says whether to retry
   * @throws InterruptedException when interrupted while sending
   */
  void send(Notification notification) throws NotificationException, InterruptedException;

  /** Whether resolved alerts are announced too ({@code send_resolved}). */
  boolean sendResolved();

  /**
   * Runs once, at start, what the first {@link #send} of {@code sample} would run for the first
   * time (rendering the message, loading the transport's classes) without sending anything, so that
   * the first real alert does not wait for it.
   *
   * @throws Exception when a part could not be prepared; the caller logs it and goes on
   */
  default void warmUp(Notification sample) throws Exception {}
}
