package io.vigil.processor;

import io.vigil.model.signal.GoldenSignal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The most recent signal of each series, for {@code /api/signals}. Bounded: past {@code maxSeries}
 * the series updated longest ago is dropped, so a cardinality explosion cannot exhaust memory.
 */
final class LatestSignals {
  private final Map<String, GoldenSignal> bySeries;

  LatestSignals(int maxSeries) {
    this.bySeries =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, GoldenSignal> eldest) {
            return size() > maxSeries;
          }
        };
  }

  /** Keeps {@code signal} unless a later window of its series is already kept. */
  synchronized void record(GoldenSignal signal) {
    GoldenSignal kept = bySeries.get(signal.seriesKey());
    if (kept == null || !kept.window().start().isAfter(signal.window().start())) {
      bySeries.put(signal.seriesKey(), signal);
    }
  }

  /** The kept signals, ordered by series key. */
  synchronized List<GoldenSignal> snapshot() {
    List<GoldenSignal> all = new ArrayList<>(bySeries.values());
    all.sort(Comparator.comparing(GoldenSignal::seriesKey));
    return all;
  }
}
