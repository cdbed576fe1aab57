package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;

/**
 * One reading of a node's or a pod's CPU or memory, reduced to what saturation needs: either a
 * utilization read directly ({@code ratio}, e.g. {@code system.memory.utilization}, working set /
 * limit) or two cumulative counters whose increases divide to one ({@code used} / {@code capacity}:
 * busy / all CPU seconds of a node, or a pod's CPU seconds / its limit in cores × time). Travels
 * through the repartition topic as JSON, so field names are part of the (internal) wire format.
 *
 * @param cluster {@code k8s.cluster.name}, may be null
 * @param namespace the pod's namespace; null for a node
 * @param service the pod's service; null for a node
 * @param node the node or host; may be null for a pod
 * @param pod the pod; null for a node
 * @param resource {@value #CPU} or {@value #MEMORY}
 * @param stream identity of the counters (source resource, metric, cgroup), null for a ratio
 * @param timeNanos when it was measured
 * @param ratio the utilization, when read directly, else null
 * @param used cumulative counter of what was used (CPU seconds), when not a ratio
 * @param capacity cumulative counter of what could have been used, when not a ratio
 */
record SaturationPoint(
    String cluster,
    String namespace,
    String service,
    String node,
    String pod,
    String resource,
    String stream,
    long timeNanos,
    Double ratio,
    Double used,
    Double capacity) {

  /** Resource name of CPU readings. */
  static final String CPU = "cpu";

  /** Resource name of memory readings. */
  static final String MEMORY = "memory";

  /** The series this reading belongs to. */
  String seriesKey() {
    return GoldenSignal.seriesKey(cluster, namespace, service, null, node, pod);
  }

  /** The reading's time in epoch milliseconds. */
  long timeMillis() {
    return Math.floorDiv(timeNanos, 1_000_000L);
  }

  /** The same reading measured at {@code newTimeNanos} (a sender's clock corrected). */
  SaturationPoint withTime(long newTimeNanos) {
    return new SaturationPoint(
        cluster,
        namespace,
        service,
        node,
        pod,
        resource,
        stream,
        newTimeNanos,
        ratio,
        used,
        capacity);
  }
}
