package io.vigil.processor.signals;

/**
 * A final window being filled, in the {@code signals-windows} store until the wall clock passes its
 * end plus grace.
 *
 * @param late whether the window had been emitted already when this data arrived: it then goes out
 *     as a late supplement
 * @param totals the counts so far
 */
record WindowTotals(boolean late, SignalAccumulator totals) implements FinalWindows.Closable {}
