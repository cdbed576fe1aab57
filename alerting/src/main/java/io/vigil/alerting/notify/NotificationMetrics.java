package io.vigil.alerting.notify;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * {@code vigil_alerting_notifications_total{integration,outcome}}: one count per attempt outcome —
 * {@code success}, {@code retry} (a failed attempt that will be retried), {@code failure} (given
 * up), or {@code deduplicated} (skipped: the notification log had it already).
 */
public final class NotificationMetrics {
  private final Counter notifications;

  private NotificationMetrics(Counter notifications) {
    this.notifications = notifications;
  }

  /** Registers the counter in {@code registry}; call once per registry. */
  public static NotificationMetrics register(PrometheusRegistry registry) {
    return new NotificationMetrics(
        Counter.builder()
            .name("vigil_alerting_notifications")
            .help(
                "Notification attempts by integration and outcome (success, retry, failure, deduplicated)")
            .labelNames("integration", "outcome")
            .register(registry));
  }

  /** Counts one outcome. */
  public void record(String integration, String outcome) {
    notifications.labelValues(integration, outcome).inc();
  }

  /** The current count, for tests and progress output. */
  public long count(String integration, String outcome) {
    return (long) notifications.labelValues(integration, outcome).get();
  }
}
