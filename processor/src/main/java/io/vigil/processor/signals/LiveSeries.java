package io.vigil.processor.signals;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one-second slots of one series' live window, in the {@code signals-live} store, and when it
 * was last emitted. Mutable, read-modify-written per point.
 */
final class LiveSeries {
  @JsonProperty("cluster")
  private String cluster;

  @JsonProperty("namespace")
  private String namespace;

  @JsonProperty("service")
  private String service;

  /** Slot start (epoch ms) → totals. */
  @JsonProperty("slots")
  private TreeMap<Long, SignalAccumulator> slots = new TreeMap<>();

  /** Wall-clock time of the last emission, epoch ms; 0 before the first. */
  @JsonProperty("emitted_at")
  private long emittedAt;

  /** Whether data arrived since the last emission. */
  @JsonProperty("changed")
  private boolean changed;

  /** Whether the last emission covered no request (the series has gone quiet). */
  @JsonProperty("emitted_empty")
  private boolean emittedEmpty;

  LiveSeries() {}

  LiveSeries(String cluster, String namespace, String service) {
    this.cluster = cluster;
    this.namespace = namespace;
    this.service = service;
  }

  /** Adds a delta slice to the slot starting at {@code slotStartMs}. */
  void add(long slotStartMs, MetricPoint slice) {
    slots.computeIfAbsent(slotStartMs, s -> new SignalAccumulator()).add(slice);
    changed = true;
  }

  /**
   * Whether an emission is due at {@code nowMs}: none for {@code intervalMs}, and the value changed
   * since (new data, or data sliding out of the window that starts at {@code windowStartMs}).
   */
  boolean due(long nowMs, long windowStartMs, long intervalMs) {
    if (nowMs - emittedAt < intervalMs) {
      return false;
    }
    return changed || (!slots.isEmpty() && slots.firstKey() < windowStartMs);
  }

  /** Whether nothing is left to emit: no slot, and the last emission said so. */
  boolean finished() {
    return slots.isEmpty() && emittedEmpty && !changed;
  }

  /**
   * The live signal of the window of {@code size} starting at {@code windowStartMs}, stamped {@code
   * nowMs}; slots before the window are dropped and the emission is recorded.
   */
  io.vigil.model.signal.GoldenSignal emit(long windowStartMs, Duration size, long nowMs) {
    slots.headMap(windowStartMs).clear();
    SignalAccumulator sum = new SignalAccumulator(cluster, namespace, service);
    for (Map.Entry<Long, SignalAccumulator> slot : slots.entrySet()) {
      sum.merge(slot.getValue());
    }
    emittedAt = nowMs;
    changed = false;
    emittedEmpty = sum.requests() == 0;
    return sum.toSignal(windowStartMs, size, Instant.ofEpochMilli(nowMs), null);
  }
}
