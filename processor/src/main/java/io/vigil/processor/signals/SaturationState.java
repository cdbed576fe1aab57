package io.vigil.processor.signals;

import java.util.Map;

/**
 * What the saturation step keeps of one node or pod, in the {@code signals-saturation} store: its
 * identity, the last value of each counter stream (to divide increases), and the latest CPU and
 * memory utilization. Immutable; replaced on each update. Stored as JSON.
 *
 * @param identity the series' identity, from its first reading
 * @param counters stream → its last cumulative reading
 * @param cpu the latest CPU utilization, or null
 * @param memory the latest memory utilization, or null
 */
record SaturationState(
    SaturationPoint identity, Map<String, Counter> counters, Reading cpu, Reading memory) {

  /**
   * A counter stream's last reading.
   *
   * @param used cumulative use
   * @param capacity cumulative capacity
   * @param timeNanos when it was measured
   */
  record Counter(double used, double capacity, long timeNanos) {}

  /**
   * A utilization and when it was measured and seen.
   *
   * @param value the utilization (0..1; above 1 where a pod bursts past its limit)
   * @param timeMs when it was measured, epoch ms
   * @param seenAtMs wall-clock time it reached the processor, epoch ms
   */
  record Reading(double value, long timeMs, long seenAtMs) {}

  SaturationState {
    counters = Map.copyOf(counters);
  }

  /** The latest reading of {@code resource}. */
  Reading reading(String resource) {
    return SaturationPoint.CPU.equals(resource) ? cpu : memory;
  }

  /** The same state with {@code resource}'s reading replaced. */
  SaturationState with(String resource, Reading reading) {
    return SaturationPoint.CPU.equals(resource)
        ? new SaturationState(identity, counters, reading, memory)
        : new SaturationState(identity, counters, cpu, reading);
  }

  /** The same state with {@code counters}. */
  SaturationState withCounters(Map<String, Counter> newCounters) {
    return new SaturationState(identity, newCounters, cpu, memory);
  }
}
