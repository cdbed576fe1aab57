package io.vigil.processor.signals;

import java.util.Arrays;

/**
 * The places of a {@link SeriesState}'s streams in the order they were looked up or added since the
 * state was read (or settled), and whether that order differs from theirs: when it does, the state
 * is written in this order instead, so that the next request's points, which an exporter sends in
 * the same order, are found in order again.
 */
final class LookupOrder {
  private int[] visits;
  private int visited;
  private boolean reordered;

  LookupOrder(int capacity) {
    visits = new int[capacity];
  }

  /**
   * Records a lookup of place {@code at}; {@code inOrder}: it is the place after the one looked up
   * before (an added stream always is).
   */
  void visit(int at, boolean inOrder) {
    reordered |= !inOrder;
    if (visited == visits.length) {
      visits = Arrays.copyOf(visits, Math.max(8, visited * 2));
    }
    visits[visited++] = at;
  }

  /** Whether a lookup was not in order: then {@link #of} differs from the places' own order. */
  boolean reordered() {
    return reordered;
  }

  /** The {@code size} places as they were looked up, then those that were not, in their order. */
  int[] of(int size) {
    int[] order = new int[size];
    boolean[] placed = new boolean[size];
    int n = 0;
    for (int v = 0; v < visited; v++) {
      if (!placed[visits[v]]) {
        placed[visits[v]] = true;
        order[n++] = visits[v];
      }
    }
    for (int i = 0; i < size; i++) {
      if (!placed[i]) {
        order[n++] = i;
      }
    }
    return order;
  }

  /** Forgets every lookup: the places are in order again. */
  void reset() {
    visited = 0;
    reordered = false;
  }
}
