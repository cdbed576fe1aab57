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
  private final Counter dataPointsWindowed;
  private final Counter dataPointsRouted;
  private final Counter signalsEmitted;
  private final Counter recordsRejected;
  private final Counter dataPointsAdjusted;
  private final Counter lateRequests;
  private final Counter lineageEvents;
  private final Counter logRecords;
  private final Counter logRecordsAdjusted;
  private final Counter pipelineRecords;
  private final Counter lineageEventsAfterEnd;

  private ProcessorMetrics(PrometheusRegistry registry) {
    dataPoints =
        Counter.builder()
            .name("vigil_processor_data_points_total")
            .help("Server-duration histogram data points (HTTP and RPC) accepted for processing")
            .register(registry);
    dataPointsWindowed =
        Counter.builder()
            .name("vigil_processor_data_points_windowed_total")
            .help(
                "Data points that reached the signals step after the repartition by series"
                    + " (counted there, or skipped there with a reason); behind"
                    + " vigil_processor_data_points_total by what is still in the repartition topic")
            .register(registry);
    dataPointsRouted =
        Counter.builder()
            .name("vigil_processor_data_points_routed_total")
            .help(
                "Accepted request data points by how they reach the signals step: direct (read on"
                    + " the partition of the task that holds their series, as the collector keys"
                    + " them) or repartition (through the repartition topic: a record keyed by"
                    + " something else than its service.name)")
            .labelNames("route")
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
            .help(
                "Golden-signal records written, by kind: final (vigil.signals), late (a late"
                    + " supplement on vigil.signals), live (vigil.signals.live)")
            .labelNames("kind")
            .register(registry);
    dataPointsAdjusted =
        Counter.builder()
            .name("vigil_processor_data_points_adjusted_total")
            .help("Data points counted at a corrected time, by reason (clock_skew)")
            .labelNames("reason")
            .register(registry);
    lateRequests =
        Counter.builder()
            .name("vigil_processor_late_requests_total")
            .help(
                "Requests that arrived after their window had been emitted; they go out in a"
                    + " late supplement, not lost")
            .register(registry);
    recordsRejected =
        Counter.builder()
            .name("vigil_processor_records_rejected_total")
            .help("Input records sent to the dead-letter topic, by reason")
            .labelNames("reason")
            .register(registry);
    logRecords =
        Counter.builder()
            .name("vigil_processor_log_records_total")
            .help("OTLP log records written to vigil.logs, by whether they are errors or worse")
            .labelNames("error")
            .register(registry);
    logRecordsAdjusted =
        Counter.builder()
            .name("vigil_processor_log_records_adjusted_total")
            .help(
                "OTLP log records counted in the log-volume signals at another time than their own,"
                    + " by reason (clock_skew: stamped too far ahead of when they reached Kafka)")
            .labelNames("reason")
            .register(registry);
    lineageEvents =
        Counter.builder()
            .name("vigil_processor_lineage_events_total")
            .help("OpenLineage RunEvents accepted from vigil.lineage")
            .register(registry);
    pipelineRecords =
        Counter.builder()
            .name("vigil_processor_pipeline_records_total")
            .help(
                "Records written to vigil.pipeline-runs, by state (running, complete, failed,"
                    + " aborted, overdue) or freshness")
            .labelNames("state")
            .register(registry);
    lineageEventsAfterEnd =
        Counter.builder()
            .name("vigil_processor_lineage_events_after_end_total")
            .help(
                "OpenLineage events of a run that had already ended (a repeated COMPLETE or FAIL,"
                    + " a late RUNNING): left out, the run's record stays as it ended")
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

  /** {@code n} accepted data points go to the signals step by {@code route}. */
  public void dataPointsRouted(String route, int n) {
    dataPointsRouted.labelValues(route).inc(n);
  }

  /** Data points routed {@code route} ({@code direct} or {@code repartition}) since start. */
  public long dataPointsRouted(String route) {
    return (long) dataPointsRouted.labelValues(route).get();
  }

  /** One data point was accepted. */
  public void dataPointAccepted() {
    dataPoints.inc();
  }

  /** One data point was left out; {@code reason} is a short fixed token. */
  public void dataPointSkipped(String reason) {
    dataPointsSkipped.labelValues(reason).inc();
  }

  /** One signal record was written; {@code kind} is final, late or live. */
  public void signalEmitted(String kind) {
    signalsEmitted.labelValues(kind).inc();
  }

  /** One data point was counted at a corrected time; {@code reason} is a short fixed token. */
  public void dataPointAdjusted(String reason) {
    dataPointsAdjusted(reason, 1);
  }

  /** {@code points} data points were adjusted for {@code reason}. */
  public void dataPointsAdjusted(String reason, long points) {
    dataPointsAdjusted.labelValues(reason).inc(points);
  }

  /** One log record was written; {@code error} when its severity is ERROR or worse. */
  public void logRecordAccepted(boolean error) {
    logRecords.labelValues(Boolean.toString(error)).inc();
  }

  /** One log record was counted at another time than its own, for {@code reason}. */
  public void logRecordAdjusted(String reason) {
    logRecordsAdjusted.labelValues(reason).inc();
  }

  /** Log records counted at another time than their own, for {@code reason}, so far. */
  public long logRecordsAdjusted(String reason) {
    return (long) logRecordsAdjusted.labelValues(reason).get();
  }

  /** Log records written so far that were (or were not) errors. */
  public long logRecords(boolean error) {
    return (long) logRecords.labelValues(Boolean.toString(error)).get();
  }

  /** One OpenLineage event was accepted. */
  public void lineageEventAccepted() {
    lineageEvents.inc();
  }

  /** An event of a run that had already ended was left out. */
  public void lineageEventAfterEnd() {
    lineageEventsAfterEnd.inc();
  }

  /** Events of runs that had already ended, left out so far. */
  public long lineageEventsAfterEnd() {
    return (long) lineageEventsAfterEnd.get();
  }

  /** One pipeline record of {@code state} (or {@code freshness}) was written. */
  public void pipelineRecordEmitted(String state) {
    pipelineRecords.labelValues(state).inc();
  }

  /** Pipeline records of {@code state} written so far. */
  public long pipelineRecordsEmitted(String state) {
    return (long) pipelineRecords.labelValues(state).get();
  }

  /** {@code requests} arrived after their window had been emitted. */
  public void lateRequests(long requests) {
    lateRequests.inc(requests);
  }

  /** One input record went to the dead-letter topic; {@code reason} is a short fixed token. */
  public void recordRejected(String reason) {
    recordsRejected.labelValues(reason).inc();
  }

  /** {@code n} data points reached the signals step. */
  public void dataPointsWindowed(int n) {
    dataPointsWindowed.inc(n);
  }

  /** Data points that reached the signals step so far. */
  public long dataPointsWindowed() {
    return (long) dataPointsWindowed.get();
  }

  /** Data points accepted so far. */
  public long dataPoints() {
    return (long) dataPoints.get();
  }

  /** Data points skipped so far for {@code reason}. */
  public long dataPointsSkipped(String reason) {
    return (long) dataPointsSkipped.labelValues(reason).get();
  }

  /** Signal records of {@code kind} (final, late, live) written so far. */
  public long signalsEmitted(String kind) {
    return (long) signalsEmitted.labelValues(kind).get();
  }

  /** Data points counted at a corrected time for {@code reason} so far. */
  public long dataPointsAdjusted(String reason) {
    return (long) dataPointsAdjusted.labelValues(reason).get();
  }

  /** Requests that arrived after their window had been emitted, so far. */
  public long lateRequests() {
    return (long) lateRequests.get();
  }

  /** Records rejected so far for {@code reason}. */
  public long recordsRejected(String reason) {
    return (long) recordsRejected.labelValues(reason).get();
  }
}
