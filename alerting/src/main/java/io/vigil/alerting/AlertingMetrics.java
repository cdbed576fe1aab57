package io.vigil.alerting;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.IntSupplier;

/** The service's own counters; every name starts with {@code vigil_alerting_}. */
final class AlertingMetrics {
  final Counter signalsEvaluated;
  final Counter transitions;
  final Counter dlq;
  final Counter retries;
  final Counter notificationLog;

  AlertingMetrics(PrometheusRegistry registry, IntSupplier firing) {
    signalsEvaluated =
        Counter.builder()
            .name("vigil_alerting_signals_evaluated")
            .help("Golden-signal windows evaluated against the rules")
            .register(registry);
    transitions =
        Counter.builder()
            .name("vigil_alerting_alert_transitions")
            .help("Alert state transitions emitted, by state (firing, resolved)")
            .labelNames("state")
            .register(registry);
    dlq =
        Counter.builder()
            .name("vigil_alerting_dlq_records")
            .help("Records sent to the dead-letter topic, by reason")
            .labelNames("reason")
            .register(registry);
    retries =
        Counter.builder()
            .name("vigil_alerting_batch_retries")
            .help("Batches whose output had to be retried, by stage (kafka, elasticsearch)")
            .labelNames("stage")
            .register(registry);
    notificationLog =
        Counter.builder()
            .name("vigil_alerting_notification_log_writes")
            .help(
                "Writes to the notification log (vigil.notifications), by outcome (written, failed)")
            .labelNames("outcome")
            .register(registry);
    GaugeWithCallback.builder()
        .name("vigil_alerting_alerts_firing")
        .help("Alerts firing now")
        .callback(cb -> cb.call(firing.getAsInt()))
        .register(registry);
  }
}
