package io.vigil.alerting;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.rules.EvaluateProcessor;
import io.vigil.model.alert.AlertTransition;
import java.util.function.IntSupplier;

/** The service's own counters; every name starts with {@code vigil_alerting_}. */
final class AlertingMetrics {
  final Counter samplesEvaluated;
  final Counter transitions;
  final Counter dlq;
  final Counter retries;
  final Counter notificationLog;

  AlertingMetrics(PrometheusRegistry registry, IntSupplier firing) {
    samplesEvaluated =
        Counter.builder()
            .name("vigil_alerting_samples_evaluated")
            .help("Samples (live signals, pipeline runs) evaluated against the rules")
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
            .help(
                "Indexing batches whose output had to be retried, by stage (kafka, elasticsearch)")
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

  void rejected(String reason) {
    dlq.labelValues(reason).inc();
  }

  void retried(String stage) {
    retries.labelValues(stage).inc();
  }

  EvaluateProcessor.Counters evaluationCounters() {
    return new EvaluateProcessor.Counters() {
      @Override
      public void evaluated() {
        samplesEvaluated.inc();
      }

      @Override
      public void transition(AlertTransition t) {
        transitions.labelValues(t.state().wireName()).inc();
      }

      @Override
      public void rejected(String reason) {
        AlertingMetrics.this.rejected(reason);
      }
    };
  }
}
