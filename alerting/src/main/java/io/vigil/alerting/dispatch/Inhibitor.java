package io.vigil.alerting.dispatch;

import io.vigil.alerting.route.InhibitRule;
import io.vigil.model.alert.AlertTransition;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Alertmanager's inhibition: an alert is muted while another firing alert matches an {@code
 * inhibit_rules} source, the alert matches its target, and both have equal values of its {@code
 * equal} labels. The firing alerts come from the global {@link FiringAlerts} view.
 */
public final class Inhibitor {
  private final List<InhibitRule> rules;

  /** An inhibitor applying {@code rules}. */
  public Inhibitor(List<InhibitRule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** Which alerts the {@code firing} ones mute now. */
  public Predicate<AlertTransition> mutes(List<AlertTransition> firing) {
    if (rules.isEmpty()) {
      return alert -> false;
    }
    Inhibitions inhibitions = inhibitions(firing);
    return alert -> !inhibitions.of(alert.fingerprint(), alert.labels()).isEmpty();
  }

  /** For one alert, the firing alerts that inhibit it. */
  @FunctionalInterface
  public interface Inhibitions {
    /**
     * The fingerprints of the firing alerts that inhibit the alert {@code fingerprint} with {@code
     * labels} (empty: none), as Alertmanager's API lists them in {@code status.inhibitedBy}.
     */
    List<String> of(String fingerprint, Map<String, String> labels);
  }

  /** Who inhibits what while {@code firing} are the firing alerts. */
  public Inhibitions inhibitions(List<AlertTransition> firing) {
    if (rules.isEmpty()) {
      return (fingerprint, labels) -> List.of();
    }
    List<List<AlertTransition>> sources = new ArrayList<>();
    for (InhibitRule rule : rules) {
      sources.add(firing.stream().filter(a -> rule.isSource(a.labels())).toList());
    }
    return (fingerprint, labels) -> {
      Set<String> by = new LinkedHashSet<>();
      for (int i = 0; i < rules.size(); i++) {
        InhibitRule rule = rules.get(i);
        if (!rule.isTarget(labels)) {
          continue;
        }
        for (AlertTransition source : sources.get(i)) {
          if (!source.fingerprint().equals(fingerprint) && rule.inhibits(source.labels(), labels)) {
            by.add(source.fingerprint());
          }
        }
      }
      return List.copyOf(by);
    };
  }
}
