package io.vigil.collector.otlp;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The receiver's counters, registered once per receiver in the registry it is given. */
final class ReceiverMetrics {
  /** {@code signal} label for requests to a path that is no OTLP endpoint. */
  static final String UNKNOWN_SIGNAL = "unknown";

  /** {@code signal} label of OpenLineage events. */
  static final String LINEAGE = "lineage";

  private final Counter requests;
  private final Counter rejected;
  private final Counter received;

  ReceiverMetrics(PrometheusRegistry registry) {
    requests =
        Counter.builder()
            .name("vigil_collector_requests_total")
            .help("OTLP/HTTP requests answered, by signal and HTTP status")
            .labelNames("signal", "status")
            .register(registry);
    rejected =
        Counter.builder()
            .name("vigil_collector_requests_rejected_total")
            .help("OTLP/HTTP requests refused, by signal and reason")
            .labelNames("signal", "reason")
            .register(registry);
    received =
        Counter.builder()
            .name("vigil_collector_received_data_points_total")
            .help(
                "Data points (metrics), log records (logs), spans (traces) and OpenLineage events"
                    + " (lineage) accepted")
            .labelNames("signal")
            .register(registry);
    for (OtlpSignal signal : OtlpSignal.values()) {
      // Present from the start, so rate() has a zero to start from.
      received.labelValues(signal.label());
    }
    received.labelValues(LINEAGE);
  }

  void answered(String signal, int status) {
    requests.labelValues(signal, Integer.toString(status)).inc();
  }

  void rejected(String signal, String reason) {
    rejected.labelValues(signal, reason).inc();
  }

  void accepted(OtlpSignal signal, long items) {
    received.labelValues(signal.label()).inc(items);
  }

  long acceptedItems(OtlpSignal signal) {
    return (long) received.labelValues(signal.label()).get();
  }

  void acceptedLineageEvent() {
    received.labelValues(LINEAGE).inc();
  }

  long acceptedLineageEvents() {
    return (long) received.labelValues(LINEAGE).get();
  }

  long rejectedRequests() {
    return (long) rejected.collect().getDataPoints().stream().mapToDouble(p -> p.getValue()).sum();
  }
}
