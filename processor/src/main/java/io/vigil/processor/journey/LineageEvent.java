package io.vigil.processor.journey;

import java.time.Instant;
import java.util.List;

/**
 * What the data journey needs of one OpenLineage RunEvent. Travels through the repartition topic as
 * JSON.
 *
 * @param eventType START, RUNNING, COMPLETE, ABORT, FAIL or OTHER (also for an absent type)
 * @param eventTime when it happened
 * @param namespace job namespace
 * @param name job name
 * @param runId run id
 * @param parentRunId the parent run's id ({@code parent} run facet), or null
 * @param parentJob the parent run's job as {@code namespace/name}, or null
 * @param rows rows written, summed over the outputs' {@code outputStatistics}, or null
 * @param bytes bytes written, summed likewise, or null
 * @param assertions data-quality assertions in the inputs' {@code dataQualityAssertions}
 * @param failedAssertions the ones that failed, as {@code assertion} or {@code assertion(column)}
 * @param cluster {@code k8s.cluster.name} of the collector that received it (its {@code
 *     vigil_resource} run facet), or null
 */
record LineageEvent(
    String eventType,
    Instant eventTime,
    String namespace,
    String name,
    String runId,
    String parentRunId,
    String parentJob,
    Long rows,
    Long bytes,
    int assertions,
    List<String> failedAssertions,
    String cluster) {

  LineageEvent {
    failedAssertions = failedAssertions == null ? List.of() : List.copyOf(failedAssertions);
  }

  /** The job's key: {@code namespace/name}. */
  String jobKey() {
    return namespace + "/" + name;
  }

  /** Whether the run ended with this event. */
  boolean terminal() {
    return "COMPLETE".equals(eventType) || "FAIL".equals(eventType) || "ABORT".equals(eventType);
  }
}
