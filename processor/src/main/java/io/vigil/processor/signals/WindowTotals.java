package io.vigil.processor.signals;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A final window of one service being filled, in the {@code signals-windows} store until the wall
 * clock passes its end plus grace: the service's totals and, in the same entry, those of each of
 * its operations with a series of their own. One entry, so a record's points cost one store write
 * (and one changelog record) per window, not one per operation (BENCHMARKS.md, "A service's final
 * windows in one entry").
 *
 * <p>An entry written before operations were kept with their service (store format 3 and older)
 * holds one series alone, which may be an operation's: {@code operations} is then empty.
 *
 * @param late whether the window had been emitted already when this data arrived: it then goes out
 *     as a late supplement
 * @param totals the counts so far of the entry's series (the service)
 * @param operations the counts so far of each operation (name → totals), mutable
 */
record WindowTotals(
    boolean late, SignalAccumulator totals, Map<String, SignalAccumulator> operations)
    implements FinalWindows.Closable {
  /** An entry of one series and no operation. */
  WindowTotals(boolean late, SignalAccumulator totals) {
    this(late, totals, new LinkedHashMap<>());
  }

  /** Adds {@code service}'s totals and each operation's of {@code byOperation}. */
  void merge(SignalAccumulator service, Map<String, SignalAccumulator> byOperation) {
    totals.merge(service);
    for (Map.Entry<String, SignalAccumulator> op : byOperation.entrySet()) {
      SignalAccumulator known = operations.get(op.getKey());
      if (known == null) {
        operations.put(op.getKey(), op.getValue());
      } else {
        known.merge(op.getValue());
      }
    }
  }
}
