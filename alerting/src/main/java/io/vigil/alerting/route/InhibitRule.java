package io.vigil.alerting.route;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An Alertmanager {@code inhibit_rules} entry: while an alert matching {@code source} fires, alerts
 * matching {@code target} that have the same values of the {@code equal} labels are muted. An alert
 * never inhibits itself.
 *
 * @param source matchers of the inhibiting alert ({@code source_matchers}, {@code source_match},
 *     {@code source_match_re})
 * @param target matchers of the muted alerts
 * @param equal labels whose values must be equal in both (a label missing in both counts as equal)
 */
public record InhibitRule(List<Matcher> source, List<Matcher> target, List<String> equal) {

  /** Freezes the lists. */
  public InhibitRule {
    source = List.copyOf(source);
    target = List.copyOf(target);
    equal = List.copyOf(equal);
  }

  /** Whether an alert with {@code labels} can inhibit others by this rule. */
  public boolean isSource(Map<String, String> labels) {
    return all(source, labels);
  }

  /** Whether an alert with {@code labels} can be muted by this rule. */
  public boolean isTarget(Map<String, String> labels) {
    return all(target, labels);
  }

  /** Whether {@code source} (an alert matching the source side) mutes {@code target}. */
  public boolean inhibits(Map<String, String> source, Map<String, String> target) {
    for (String label : equal) {
      if (!Objects.equals(source.get(label), target.get(label))) {
        return false;
      }
    }
    return true;
  }

  private static boolean all(List<Matcher> matchers, Map<String, String> labels) {
    for (Matcher m : matchers) {
      if (!m.matches(labels)) {
        return false;
      }
    }
    return true;
  }
}
