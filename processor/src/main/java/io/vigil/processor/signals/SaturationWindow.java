package io.vigil.processor.signals;

/**
 * A saturation window being filled, in the {@code signals-saturation-windows} store until the wall
 * clock passes its end plus grace: the sums and counts of the readings measured in it. Stored as
 * JSON.
 *
 * @param identity the series' identity
 * @param late whether the window had been emitted already when these readings arrived
 * @param cpuSum sum of the CPU utilizations
 * @param cpuCount how many
 * @param memorySum sum of the memory utilizations
 * @param memoryCount how many
 */
record SaturationWindow(
    SaturationPoint identity,
    boolean late,
    double cpuSum,
    int cpuCount,
    double memorySum,
    int memoryCount)
    implements FinalWindows.Closable {

  /** This window with one more reading of {@code resource}. */
  SaturationWindow plus(String resource, double value) {
    return SaturationPoint.CPU.equals(resource)
        ? new SaturationWindow(identity, late, cpuSum + value, cpuCount + 1, memorySum, memoryCount)
        : new SaturationWindow(
            identity, late, cpuSum, cpuCount, memorySum + value, memoryCount + 1);
  }

  /** The mean CPU utilization, or null without a reading. */
  Double cpu() {
    return cpuCount == 0 ? null : cpuSum / cpuCount;
  }

  /** The mean memory utilization, or null without a reading. */
  Double memory() {
    return memoryCount == 0 ? null : memorySum / memoryCount;
  }
}
