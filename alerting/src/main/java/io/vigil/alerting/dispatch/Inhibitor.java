package io.vigil.alerting.dispatch;

import io.vigil.alerting.route.InhibitRule;
import io.vigil.model.alert.AlertTransition;
import java.util.ArrayList;
import java.util.List;
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
    List<List<AlertTransition>> sources = new ArrayList<>();
    for (InhibitRule rule : rules) {
      sources.add(firing.stream().filter(a -> rule.isSource(a.labels())).toList());
    }
    return alert -> {
      for (int i = 0; i < rules.size(); i++) {
        InhibitRule rule = rules.get(i);
        if (!rule.isTarget(alert.labels())) {
          continue;
        }
        for (AlertTransition source : sources.get(i)) {
          if (!source.fingerprint().equals(alert.fingerprint())
              && rule.inhibits(source.labels(), alert.labels())) {
            return true;
          }
        }
      }
      return false;
    };
  }
}
