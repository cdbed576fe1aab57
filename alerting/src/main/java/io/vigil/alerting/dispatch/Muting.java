package io.vigil.alerting.dispatch;

import io.vigil.model.alert.AlertTransition;
import java.time.Clock;
import java.time.Instant;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What mutes a firing alert at a flush, as Alertmanager's pipeline does before it notifies: an
 * active silence that matches it, or another firing alert that inhibits it.
 */
public final class Muting implements Supplier<Predicate<AlertTransition>> {
  private final Inhibitor inhibitor;
  private final FiringAlerts firing;
  private final Silences silences;
  private final Clock clock;

  /** Muting by {@code silences} and by {@code inhibitor} over the {@code firing} view. */
  public Muting(Inhibitor inhibitor, FiringAlerts firing, Silences silences, Clock clock) {
    this.inhibitor = inhibitor;
    this.firing = firing;
    this.silences = silences;
    this.clock = clock;
  }

  /** The muting rule now: one snapshot of the firing alerts serves a whole flush. */
  @Override
  public Predicate<AlertTransition> get() {
    Predicate<AlertTransition> inhibited = inhibitor.mutes(firing.all());
    Instant now = clock.instant();
    return alert -> !silences.muting(alert.labels(), now).isEmpty() || inhibited.test(alert);
  }
}
