package io.vigil.alerting.notify;

import io.vigil.model.runtime.ThrottlingLogger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the notifications of one integration of one receiver (e.g. {@code oncall}'s {@code
 * slack[0]}) on its own thread — the one retry loop every integration shares, over single-attempt
 * {@link Notifier}s, so a failing Slack never delays email or another receiver.
 *
 * <p>It holds the latest undelivered notification per alert group: a newer version replaces an
 * older one not yet out (a firing that resolved meanwhile goes out once, as resolved). Retryable
 * failures wait with exponential backoff and jitter ({@code Retry-After} when the server gives one;
 * a 429 pauses the whole integration, since the limit is the webhook's) and are retried until they
 * succeed or a newer version replaces them; nothing is dropped for having failed too often.
 * Permanent failures (a rejected payload, an SMTP 5xx reply) are counted, logged and dropped. Each
 * success is written to the {@link NotificationLog} before the group is taken off the queue.
 */
public final class DeliveryWorker implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(DeliveryWorker.class);

  private final String receiver;
  private final String name;
  private final Notifier notifier;
  private final NotificationLog log;
  private final Backoff backoff;
  private final NotificationMetrics metrics;
  private final Clock clock;
  private final Random jitter = new Random();
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);
  private final Map<String, Pending> pending = new HashMap<>(); // guarded by this
  private Instant pausedUntil = Instant.MIN; // guarded by this
  private volatile boolean running = true;

  /**
   * A worker for {@code receiver}'s integration {@code name} (e.g. {@code slack[0]}), retrying with
   * {@code backoff} (its attempt limit is ignored: delivery is retried until it succeeds).
   */
  public DeliveryWorker(
      String receiver,
      String name,
      Notifier notifier,
      NotificationLog log,
      Backoff backoff,
      NotificationMetrics metrics,
      Clock clock) {
    this.receiver = receiver;
    this.name = name;
    this.notifier = notifier;
    this.log = log;
    this.backoff = backoff;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** {@code <receiver>/<integration>}, e.g. {@code oncall/slack[0]}. */
  public String id() {
    return receiver + "/" + name;
  }

  /**
   * Queues {@code notification} unless the log shows it (or a later version) delivered, or a later
   * version is queued already.
   */
  public synchronized void offer(Notification notification) {
    if (log.deliveredVersion(notification.groupKey(), name) >= notification.version()) {
      metrics.record(notifier.integration(), "deduplicated");
      return;
    }
    Pending current = pending.get(notification.groupKey());
    if (current != null && current.notification.version() >= notification.version()) {
      return;
    }
    Pending next = new Pending(notification, clock.instant());
    if (current != null) {
      next.queuedAt = current.queuedAt;
      next.attempts = current.attempts;
      next.notBefore = current.notBefore;
    }
    pending.put(notification.groupKey(), next);
    notifyAll();
  }

  /** Drops the queued notifications of the groups {@code groupKeys} accepts (no longer ours). */
  public synchronized void forget(Predicate<String> groupKeys) {
    pending.keySet().removeIf(groupKeys);
  }

  /** Notifications waiting for delivery. */
  public synchronized int pending() {
    return pending.size();
  }

  /** Seconds the oldest waiting notification has waited; 0 when none waits. */
  public synchronized double oldestPendingSeconds() {
    Instant now = clock.instant();
    return pending.values().stream()
        .mapToDouble(p -> Duration.between(p.queuedAt, now).toMillis() / 1000.0)
        .max()
        .orElse(0);
  }

  /**
   * Runs once, at start, what this worker's first delivery of {@code sample} would run for the
   * first time: the notifier's {@link Notifier#warmUp} and the log's entry. Sends nothing.
   */
  public void warmUp(Notification sample) throws Exception {
    notifier.warmUp(sample);
    NotificationLog.warmUp(sample, name);
  }

  /** Stops the loop after the attempt in progress. */
  public void stop() {
    running = false;
    synchronized (this) {
      notifyAll();
    }
  }

  @Override
  public void run() {
    try {
      while (running) {
        Duration wait = step();
        synchronized (this) {
          if (!running) {
            return;
          }
          if (wait == null) {
            wait(1000);
          } else if (!wait.isZero()) {
            wait(Math.max(1, wait.toMillis()));
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Makes at most one delivery attempt, for the oldest due notification.
   *
   * @return how long until the next one is due ({@link Duration#ZERO}: at once), or null when
   *     nothing is queued
   */
  Duration step() throws InterruptedException {
    Pending due;
    synchronized (this) {
      if (pending.isEmpty()) {
        return null;
      }
      Instant now = clock.instant();
      if (now.isBefore(pausedUntil)) {
        return Duration.between(now, pausedUntil);
      }
      due = null;
      Instant soonest = null;
      for (Pending p : pending.values()) {
        if (!p.notBefore.isAfter(now)) {
          if (due == null || p.notification.version() < due.notification.version()) {
            due = p;
          }
        } else if (soonest == null || p.notBefore.isBefore(soonest)) {
          soonest = p.notBefore;
        }
      }
      if (due == null) {
        return Duration.between(now, soonest);
      }
    }
    attempt(due);
    return Duration.ZERO;
  }

  private void attempt(Pending p) throws InterruptedException {
    Notification notification = p.notification;
    Notification message = notifier.sendResolved() ? notification : notification.withoutResolved();
    if (message == null) {
      done(p);
      return;
    }
    try {
      notifier.send(message);
      metrics.record(notifier.integration(), "success");
      log.delivered(notification, name);
      done(p);
    } catch (NotificationException e) {
      if (!e.retryable()) {
        metrics.record(notifier.integration(), "failure");
        throttled.warn(
            "{} gave up on the notification of group {}: {}", id(), notification.groupKey(), e);
        done(p);
        return;
      }
      metrics.record(notifier.integration(), "retry");
      Instant now = clock.instant();
      synchronized (this) {
        p.attempts++;
        Duration wait =
            e.retryAfter().map(backoff::cap).orElseGet(() -> jittered(backoff.delay(p.attempts)));
        p.notBefore = now.plus(wait);
        if (e.retryAfter().isPresent()) {
          pausedUntil = p.notBefore;
        }
        throttled.warn(
            "{} could not deliver the notification of group {} (attempt {}), retrying in {}: {}",
            id(),
            notification.groupKey(),
            p.attempts,
            wait,
            e.getMessage());
      }
    }
  }

  /** Takes {@code p} off the queue unless a newer version replaced it meanwhile. */
  private synchronized void done(Pending p) {
    pending.remove(p.notification.groupKey(), p);
  }

  /** {@code delay} spread over [delay/2, delay], so failed integrations do not retry in step. */
  private Duration jittered(Duration delay) {
    long half = delay.toMillis() / 2;
    return Duration.ofMillis(half + (half > 0 ? (long) (jitter.nextDouble() * half) : 0));
  }

  private static final class Pending {
    final Notification notification;
    Instant queuedAt;
    Instant notBefore = Instant.MIN;
    int attempts;

    Pending(Notification notification, Instant queuedAt) {
      this.notification = notification;
      this.queuedAt = queuedAt;
    }
  }
}
