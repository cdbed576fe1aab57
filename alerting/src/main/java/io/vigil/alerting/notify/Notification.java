package io.vigil.alerting.notify;

import io.vigil.model.alert.AlertTransition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One alert transition on its way to one receiver. Alerts are not grouped yet, so a notification
 * always carries exactly one alert; {@code groupLabels} are the route's {@code group_by} labels of
 * that alert, used for titles the way Alertmanager uses its group labels.
 *
 * @param alert the transition to announce
 * @param receiver the receiver's name
 * @param groupLabels the labels the route groups by (alphabetical), at least {@code alertname}
 */
public record Notification(
    AlertTransition alert, String receiver, Map<String, String> groupLabels) {

  /** Freezes the labels in name order. */
  public Notification {
    Objects.requireNonNull(alert, "alert");
    Objects.requireNonNull(receiver, "receiver");
    groupLabels = groupLabels == null ? Map.of() : new TreeMap<>(groupLabels);
  }

  /**
   * A notification for {@code alert} grouped by {@code groupBy} ({@code allLabels}: every label);
   * with no grouping configured the alert name is used, so titles stay meaningful.
   */
  public static Notification of(
      AlertTransition alert, String receiver, List<String> groupBy, boolean allLabels) {
    Map<String, String> group = new LinkedHashMap<>();
    if (allLabels) {
      group.putAll(alert.labels());
    } else {
      for (String name : groupBy) {
        if (alert.labels().containsKey(name)) {
          group.put(name, alert.labels().get(name));
        }
      }
    }
    if (group.isEmpty()) {
      group.put("alertname", alert.rule());
    }
    return new Notification(alert, receiver, group);
  }

  /** Whether the alert is firing (otherwise it resolved). */
  public boolean firing() {
    return alert.state() == AlertTransition.State.FIRING;
  }

  /** Alertmanager's status prefix: {@code [FIRING:1]} or {@code [RESOLVED]}. */
  public String statusPrefix() {
    return firing() ? "[FIRING:1]" : "[RESOLVED]";
  }

  /** The alert's labels without the group labels, by name, as Alertmanager's titles list them. */
  public Map<String, String> otherLabels() {
    Map<String, String> other = new TreeMap<>(alert.labels());
    groupLabels.keySet().forEach(other::remove);
    return other;
  }

  /**
   * Alertmanager's default title: {@code [FIRING:1] <group label values> (<other label values>)}.
   */
  public String title() {
    StringBuilder sb = new StringBuilder(statusPrefix()).append(' ');
    sb.append(String.join(" ", new TreeMap<>(groupLabels).values()));
    Map<String, String> other = otherLabels();
    if (!other.isEmpty()) {
      sb.append(" (").append(String.join(" ", other.values())).append(')');
    }
    return sb.toString();
  }
}
