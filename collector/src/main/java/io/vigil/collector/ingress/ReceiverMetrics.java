package io.vigil.collector.ingress;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The receivers' counters, registered once per collector in the registry it is given and shared by
 * every receiver: requests answered and refused by transport ({@code http}, {@code grpc}) and
 * signal, items accepted by signal.
 */
public final class ReceiverMetrics {
  /** {@code signal} label for requests to a path that is no endpoint. */
  public static final String UNKNOWN_SIGNAL = "unknown";

  private final Counter requests;
  private final Counter rejected;
  private final Counter received;
  private final Counter adjusted;
  private final Counter itemsRejected;

  /** Registers the counters, with a zero for each of {@code signals}. */
  public ReceiverMetrics(PrometheusRegistry registry, Iterable<String> signals) {
    requests =
        Counter.builder()
            .name("vigil_collector_requests_total")
            .help("Requests answered, by transport, signal and status (HTTP code or gRPC status)")
            .labelNames("transport", "signal", "status")
            .register(registry);
    rejected =
        Counter.builder()
            .name("vigil_collector_requests_rejected_total")
            .help("Requests refused, by transport, signal and reason")
            .labelNames("transport", "signal", "reason")
            .register(registry);
    received =
        Counter.builder()
            .name("vigil_collector_received_data_points_total")
            .help(
                "Data points (metrics), log records (logs), spans (traces) and OpenLineage events"
                    + " (lineage) accepted")
            .labelNames("signal")
            .register(registry);
    adjusted =
        Counter.builder()
            .name("vigil_collector_timestamps_adjusted_total")
            .help(
                "Items whose time was moved, by signal and reason (future: beyond max_clock_skew)")
            .labelNames("signal", "reason")
            .register(registry);
    itemsRejected =
        Counter.builder()
            .name("vigil_collector_items_rejected_total")
            .help(
                "Items left out of accepted requests and reported in partial_success, by signal"
                    + " and reason (invalid_id: a malformed trace or span id)")
            .labelNames("signal", "reason")
            .register(registry);
    for (String signal : signals) {
      received.labelValues(signal); // present from the start, so rate() has a zero to start from
    }
  }

  public void answered(String transport, String signal, String status) {
    requests.labelValues(transport, signal, status).inc();
  }

  public void rejected(String transport, String signal, String reason) {
    rejected.labelValues(transport, signal, reason).inc();
  }

  public void accepted(String signal, long items) {
    received.labelValues(signal).inc(items);
  }

  public void adjusted(String signal, String reason, long items) {
    adjusted.labelValues(signal, reason).inc(items);
  }

  public void itemsRejected(String signal, String reason, long items) {
    itemsRejected.labelValues(signal, reason).inc(items);
  }

  public long acceptedItems(String signal) {
    return (long) received.labelValues(signal).get();
  }

  public long rejectedRequests() {
    return (long) rejected.collect().getDataPoints().stream().mapToDouble(p -> p.getValue()).sum();
  }
}
