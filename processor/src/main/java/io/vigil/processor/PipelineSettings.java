package io.vigil.processor;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.Durations;
import java.time.Duration;

/**
 * The data journey's timing, the {@code processor.pipelines} section.
 *
 * @param overdueAfter a run still going this long after its START is reported overdue (once);
 *     default 6h
 * @param freshnessInterval how often every job's freshness (age of its last successful run) is
 *     emitted, on the wall clock; default 1m
 */
public record PipelineSettings(
    @JsonProperty("overdue_after") Duration overdueAfter,
    @JsonProperty("freshness_interval") Duration freshnessInterval) {

  /** Default time after which a run that has not ended is overdue. */
  public static final Duration DEFAULT_OVERDUE_AFTER = Duration.ofHours(6);

  /** Default interval of freshness records. */
  public static final Duration DEFAULT_FRESHNESS_INTERVAL = Duration.ofMinutes(1);

  /** Applies defaults and validates. */
  public PipelineSettings {
    if (overdueAfter == null) {
      overdueAfter = DEFAULT_OVERDUE_AFTER;
    }
    if (overdueAfter.isNegative() || overdueAfter.isZero()) {
      throw new ConfigException(
          "processor.pipelines.overdue_after", Durations.format(overdueAfter), "must be > 0");
    }
    if (freshnessInterval == null) {
      freshnessInterval = DEFAULT_FRESHNESS_INTERVAL;
    }
    if (freshnessInterval.toMillis() < 1000) {
      throw new ConfigException(
          "processor.pipelines.freshness_interval",
          Durations.format(freshnessInterval),
          "must be >= 1s");
    }
  }

  /** Every value defaulted. */
  public static PipelineSettings defaults() {
    return new PipelineSettings(null, null);
  }
}
