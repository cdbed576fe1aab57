package io.vigil.alerting.rules;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What rules evaluate: one observation of one series, whatever topic it came from — labels that
 * name the series, named numeric values, and the time they describe. Each input topic has an
 * adapter in {@link Samples}.
 *
 * @param source the kind of input, which decides the field names a rule can use
 * @param series the series' identity (the input record's key); state is kept per rule and series
 * @param labels the series' labels, which become the alert's labels
 * @param values the numeric fields present in this observation, by name
 * @param time the time the values describe (event time)
 */
public record Sample(
    Source source,
    String series,
    Map<String, String> labels,
    Map<String, Double> values,
    Instant time) {

  /** Input kinds and how a missing field reads. */
  public enum Source {
    /**
     * Live golden signals ({@code vigil.signals.live}). Each record carries every field its window
     * has: a missing field (no latency in an empty window) means "no value now", so a rule on it
     * stops holding.
     */
    SIGNALS(true),
    /**
     * Pipeline runs and freshness ({@code vigil.pipeline-runs}). A record updates some fields of
     * its job (a run record has no freshness; a running run has no duration yet): a missing field
     * leaves a rule's state as it is.
     */
    PIPELINES(false),
    /**
     * Log lines ({@code vigil.logs}), which log-pattern rules ({@code count_over_time(…)}) count
     * rather than read a value from: they arrive as {@link LogLine}s, never as samples.
     */
    LOGS(false);

    private final boolean complete;

    Source(boolean complete) {
      this.complete = complete;
    }

    /** Whether a sample lists every field of its series, so a missing one reads as absent. */
    public boolean complete() {
      return complete;
    }
  }

  /**
   * Whether this is a golden-signal window without a single request: it tells the traffic (none)
   * but nothing about how requests fare, so a ratio or a latency it lacks is no evidence either
   * way. A quiet window therefore neither fires nor resolves a rule on such a field — a collector
   * restarting for a few seconds must not resolve an ongoing incident and page it again when data
   * returns. A service that stopped for good is what {@code absent_over_time} rules are for.
   */
  public boolean quiet() {
    return source == Source.SIGNALS && Double.valueOf(0).equals(values.get("traffic.requests"));
  }

  /** Checks the required parts and freezes the maps in name order. */
  public Sample {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(series, "series");
    Objects.requireNonNull(time, "time");
    labels = Map.copyOf(new TreeMap<>(labels));
    values = Map.copyOf(values);
  }
}
