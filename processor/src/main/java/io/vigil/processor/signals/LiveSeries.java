package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The one-second slots of one series' live window, in the {@code signals-live} store, and when it
 * was last emitted. Mutable, read-modify-written per point.
 */
final class LiveSeries {
  private String cluster;
  private String namespace;
  private String service;
  private String operation;

  /** Slot start (epoch ms) → totals. */
  private final LiveSlots slots = new LiveSlots();

  /** Wall-clock time of the last emission, epoch ms; 0 before the first. */
  private long emittedAt;

  /** Whether data arrived since the last emission. */
  private boolean changed;

  /** Whether the last emission covered no request (the series has gone quiet). */
  private boolean emittedEmpty;

  /**
   * Whether this instance emitted the series and that emission counted no error. Not kept in the
   * store: a task that takes over learns it at its first emission (until then no onset is seen).
   */
  private boolean emittedWithoutErrors;

  /** Whether errors arrived since an emission that counted none: the onset of an incident. */
  private boolean errorsBegan;

  /** Whether {@link LiveWindows} forgot this series (gone quiet): data goes to a new one. */
  private boolean forgotten;

  /** {@link #pendingAt} of a series that is not waiting. */
  private static final long NOT_PENDING = Long.MIN_VALUE;

  /**
   * While the series waits for its emit interval with new data: the earliest time (epoch ms) it may
   * be emitted, else {@link #NOT_PENDING}. Kept by {@link LiveWindows}, not in the store.
   */
  private long pendingAt = NOT_PENDING;

  LiveSeries() {}

  /**
   * Writes this series' live state in the processor's binary state format: the series named once,
   * each slot's start after the one before and its counts without the series ({@link
   * SignalAccumulator#writeCountsTo}). The entry is rewritten, and sent to its changelog, each time
   * the series is emitted.
   */
  void writeTo(BinaryOut out) throws IOException {
    BinarySerdes.writeNullable(out, cluster);
    BinarySerdes.writeNullable(out, namespace);
    BinarySerdes.writeNullable(out, service);
    BinarySerdes.writeNullable(out, operation);
    out.writeLong(emittedAt);
    out.writeBoolean(changed);
    out.writeBoolean(emittedEmpty);
    BinarySerdes.writeVarint(out, slots.size());
    List<double[]> layouts = new ArrayList<>(2);
    long previous = 0;
    for (int i = 0; i < slots.size(); i++) {
      BinarySerdes.writeVarlong(out, slots.start(i) - previous);
      previous = slots.start(i);
      slots.totals(i).writeCountsTo(out, layouts);
    }
  }

  /**
   * Reads a live state written by {@link #writeTo} ({@code compact}), or by an earlier format: each
   * slot's start as 8 bytes and its totals with their series ({@link SignalAccumulator#readFrom}).
   * {@code limit} bounds every length read. The first format ({@code withOperation} false) had no
   * operation, the first two ({@code withSketch} false) no latency sketch.
   */
  static LiveSeries readFrom(
      BinaryIn in, int limit, boolean withOperation, boolean withSketch, boolean compact)
      throws IOException {
    LiveSeries s =
        new LiveSeries(
            BinarySerdes.readNullable(in),
            BinarySerdes.readNullable(in),
            BinarySerdes.readNullable(in),
            withOperation ? BinarySerdes.readNullable(in) : null);
    s.emittedAt = in.readLong();
    s.changed = in.readBoolean();
    s.emittedEmpty = in.readBoolean();
    int n = BinarySerdes.readCount(in, limit);
    List<double[]> layouts = new ArrayList<>(2);
    long slot = 0;
    for (int i = 0; i < n; i++) {
      if (compact) {
        slot += BinarySerdes.readVarlong(in);
        s.slots.add(
            slot,
            SignalAccumulator.readCounts(
                in, limit, true, layouts, s.cluster, s.namespace, s.service, s.operation));
      } else {
        slot = in.readLong();
        s.slots.add(slot, SignalAccumulator.readFrom(in, limit, withOperation, withSketch, null));
      }
    }
    return s;
  }

  LiveSeries(String cluster, String namespace, String service, String operation) {
    this.cluster = cluster;
    this.namespace = namespace;
    this.service = service;
    this.operation = operation;
  }

  /**
   * Adds totals per slot, each kept (not copied) as its slot's when the slot is new, and drops the
   * slots before {@code windowStartMs}, where the live window now starts: no emission can count
   * them, as the window only moves on. A task working through a backlog moves its window at the
   * backlog's pace, and an operation's series is emitted every five seconds of wall clock: kept
   * until then, a series held a hundred slots and more, which the garbage collector copied at every
   * collection (BENCHMARKS.md, "Live slots dropped as the window moves").
   */
  void addAll(TotalsByStart bySlot, long windowStartMs) {
    for (int i = 0; i < bySlot.size(); i++) {
      SignalAccumulator totals = bySlot.totals(i);
      if (emittedWithoutErrors && totals.errors() > 0) {
        errorsBegan = true;
      }
      slots.add(bySlot.start(i), totals);
    }
    slots.dropBefore(windowStartMs);
    changed = true;
  }

  /** How many one-second slots the series holds. */
  int slotCount() {
    return slots.size();
  }

  /** Whether the series waits to be emitted; see {@link #pendingAt()}. */
  boolean isPending() {
    return pendingAt != NOT_PENDING;
  }

  /** The earliest time (epoch ms) a pending series may be emitted. */
  long pendingAt() {
    return pendingAt;
  }

  /** Marks the series pending from {@code atMs}. */
  void pendingAt(long atMs) {
    pendingAt = atMs;
  }

  /** Marks the series no longer pending. */
  void clearPending() {
    pendingAt = NOT_PENDING;
  }

  /** When this series was last emitted (epoch ms), 0 if never. */
  long emittedAt() {
    return emittedAt;
  }

  /** The key of the series of this series' service as a whole. */
  String serviceKey() {
    return GoldenSignal.seriesKey(cluster, namespace, service, null);
  }

  /** The operation of an operation's series, else null. */
  String operation() {
    return operation;
  }

  /** Marks the series forgotten by its windows. */
  void forget() {
    forgotten = true;
  }

  boolean forgotten() {
    return forgotten;
  }

  /** Whether this is one operation's series (not its service's as a whole). */
  boolean hasOperation() {
    return operation != null;
  }

  /**
   * Whether an emission is due at {@code nowMs}: at once when errors began since an emission that
   * counted none (the onset of an incident does not wait out the interval; it happens once per
   * incident); otherwise none for {@code intervalMs}, and the value changed since (new data, or
   * data sliding out of the window that starts at {@code windowStartMs}).
   */
  boolean due(long nowMs, long windowStartMs, long intervalMs) {
    if (errorsBegan) {
      return true;
    }
    if (nowMs - emittedAt < intervalMs) {
      return false;
    }
    return changed || (!slots.isEmpty() && slots.firstStart() < windowStartMs);
  }

  /** Whether nothing is left to emit: no slot, and the last emission said so. */
  boolean finished() {
    return slots.isEmpty() && emittedEmpty && !changed;
  }

  /**
   * The live signal of the window of {@code size} starting at {@code windowStartMs}, stamped {@code
   * timestampMs}; slots before the window are dropped and the emission is recorded as made at
   * {@code nowMs} (wall clock).
   */
  GoldenSignal emit(long windowStartMs, Duration size, long nowMs, long timestampMs) {
    slots.dropBefore(windowStartMs);
    SignalAccumulator sum = new SignalAccumulator(cluster, namespace, service, operation);
    for (int i = 0; i < slots.size(); i++) {
      sum.merge(slots.totals(i));
    }
    emittedAt = nowMs;
    changed = false;
    emittedEmpty = sum.requests() == 0;
    emittedWithoutErrors = sum.errors() == 0;
    errorsBegan = false;
    return sum.toSignal(windowStartMs, size, Instant.ofEpochMilli(timestampMs), null);
  }
}
