package io.vigil.processor;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The processor's own Prometheus counters, all prefixed {@code vigil_processor_}. Thread-safe: the
 * Kafka Streams threads and the deserialization handler update them concurrently.
 */
public final class ProcessorMetrics {
  private final Counter dataPoints;
  private final Counter dataPointsSkipped;
  private final Counter signalsEmitted;
  private final Counter recordsRejected;

  private ProcessorMetrics(PrometheusRegistry registry) {
    dataPoints =
        Counter.builder()
            .name("vigil_processor_data_points_total")
            .help("Histogram data points of http.server.request.duration accepted for processing")
            .register(registry);
    dataPointsSkipped =
        Counter.builder()
            .name("vigil_processor_data_points_skipped_total")
            .help("Data points left out of the signals, by reason")
            .labelNames("reason")
            .register(registry);
    signalsEmitted =
        Counter.builder()
            .name("vigil_processor_signals_emitted_total")
            .help("Golden-signal window records written to vigil.signals")
            .register(registry);
    recordsRejected =
        Counter.builder()
            .name("vigil_processor_records_rejected_total")
            .help("Input records sent to the dead-letter topic, by reason")
            .labelNames("reason")
            .register(registry);
  }

  /** Registers the counters in {@code registry}, which may be shared with other services. */
  public static ProcessorMetrics register(PrometheusRegistry registry) {
    return new ProcessorMetrics(registry);
  }

  /** Counters in a private registry, for callers that do not export them. */
  public static ProcessorMetrics unexported() {
    return new ProcessorMetrics(new PrometheusRegistry());
  }

  /** One data point was accepted. */
  public void dataPointAccepted() {
    dataPoints.inc();
  }

  /** One data point was left out; {@code reason} is a short fixed token. */
  public void dataPointSkipped(String reason) {
    dataPointsSkipped.labelValues(reason).inc();
  }

  /** One signal was written. */
  public void signalEmitted() {
    signalsEmitted.inc();
  }

  /** One input record went to the dead-letter topic; {@code reason} is a short fixed token. */
  public void recordRejected(String reason) {
    recordsRejected.labelValues(reason).inc();
  }

  /** Data points accepted so far. */
  public long dataPoints() {
    return (long) dataPoints.get();
  }

  /** Data points skipped so far for {@code reason}. */
  public long dataPointsSkipped(String reason) {
    return (long) dataPointsSkipped.labelValues(reason).get();
  }

  /** Signals written so far. */
  public long signalsEmitted() {
    return (long) signalsEmitted.get();
  }

  /** Records rejected so far for {@code reason}. */
  public long recordsRejected(String reason) {
    return (long) recordsRejected.labelValues(reason).get();
  }
}
