package io.vigil.alerting.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeliveryWorkerTest {
  private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");

  /** A notifier that fails as scripted, then succeeds, remembering what it delivered. */
  private static final class ScriptedNotifier implements Notifier {
    final Deque<NotificationException> failures = new ArrayDeque<>();
    final List<Notification> delivered = new ArrayList<>();
    int attempts;
    boolean sendResolved = true;

    @Override
    public String integration() {
      return "slack";
    }

    @Override
    public void send(Notification notification) throws NotificationException {
      attempts++;
      NotificationException next = failures.poll();
      if (next != null) {
        throw next;
      }
      delivered.add(notification);
    }

    @Override
    public boolean sendResolved() {
      return sendResolved;
    }
  }

  private final ScriptedNotifier notifier = new ScriptedNotifier();
  private Instant now = T0;
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now;
        }
      };
  private final NotificationMetrics metrics =
      NotificationMetrics.register(new PrometheusRegistry());
  private final NotificationLog log =
      new NotificationLog(
          null,
          Counter.builder().name("w").labelNames("outcome").register(new PrometheusRegistry()),
          Duration.ofDays(7),
          clock);
  private final DeliveryWorker worker =
      new DeliveryWorker(
          "team",
          "slack[0]",
          notifier,
          log,
          new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), Integer.MAX_VALUE),
          metrics,
          clock);

  /** Runs due attempts until the worker waits; returns how long it waits (null: idle). */
  private Duration drain() throws InterruptedException {
    Duration wait;
    while ((wait = worker.step()) != null && wait.isZero()) {
      // attempt made; look again
    }
    return wait;
  }

  @Test
  void retriesAServerErrorWithBackoffUntilItIsDelivered() throws Exception {
    notifier.failures.add(NotificationException.retryable("HTTP 500", null));
    notifier.failures.add(NotificationException.retryable("HTTP 500", null));
    worker.offer(Alerts.notification(1, Alerts.firing("x")));

    Duration first = drain();
    assertThat(first).isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
    now = now.plus(first);
    Duration second = drain();
    assertThat(second).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
    now = now.plus(second);

    assertThat(drain()).isNull();
    assertThat(notifier.delivered).hasSize(1);
    assertThat(metrics.count("slack", "retry")).isEqualTo(2);
    assertThat(log.deliveredVersion(Alerts.notification(1).groupKey(), "slack[0]")).isEqualTo(1);
  }

  @Test
  void aRateLimitPausesTheIntegrationForRetryAfter() throws Exception {
    notifier.failures.add(NotificationException.rateLimited("HTTP 429", Duration.ofSeconds(30)));
    worker.offer(Alerts.notification(1, Alerts.firing("x")));
    worker.offer(
        new Notification("other", "team", java.util.Map.of(), List.of(Alerts.firing("y")), 1));

    assertThat(drain()).isEqualTo(Duration.ofSeconds(30));
    assertThat(notifier.attempts).as("the second group waits too").isEqualTo(1);
    now = now.plusSeconds(30);

    assertThat(drain()).isNull();
    assertThat(notifier.delivered).hasSize(2);
  }

  @Test
  void aNewerVersionReplacesTheUndeliveredOneSoOnlyTheCurrentStateGoesOut() throws Exception {
    notifier.failures.add(NotificationException.retryable("down", null));
    worker.offer(Alerts.notification(1, Alerts.firing("x")));
    Duration wait = drain();
    worker.offer(Alerts.notification(2, Alerts.resolved()));
    now = now.plus(wait);

    assertThat(drain()).isNull();

    assertThat(notifier.delivered)
        .singleElement()
        .satisfies(n -> assertThat(n.title()).startsWith("[RESOLVED]"));
  }

  @Test
  void aPermanentFailureIsCountedAndDropped() throws Exception {
    notifier.failures.add(NotificationException.permanent("HTTP 404", null));
    worker.offer(Alerts.notification(1, Alerts.firing("x")));

    assertThat(drain()).isNull();

    assertThat(notifier.delivered).isEmpty();
    assertThat(metrics.count("slack", "failure")).isEqualTo(1);
    assertThat(worker.pending()).isZero();
  }

  @Test
  void whatTheLogShowsDeliveredIsNotSentAgain() throws Exception {
    worker.offer(Alerts.notification(5, Alerts.firing("x")));
    drain();

    worker.offer(Alerts.notification(5, Alerts.firing("x")));
    worker.offer(Alerts.notification(4, Alerts.firing("x")));

    assertThat(worker.pending()).isZero();
    assertThat(metrics.count("slack", "deduplicated")).isEqualTo(2);
    assertThat(notifier.delivered).hasSize(1);
  }

  @Test
  void withoutSendResolvedAResolvedOnlyGroupIsSkipped() throws Exception {
    notifier.sendResolved = false;
    worker.offer(Alerts.notification(1, Alerts.firing("cart", "x"), Alerts.resolved()));
    worker.offer(
        new Notification("other", "team", java.util.Map.of(), List.of(Alerts.resolved()), 1));

    assertThat(drain()).isNull();

    assertThat(notifier.delivered)
        .singleElement()
        .satisfies(n -> assertThat(n.alerts()).hasSize(1));
  }
}
