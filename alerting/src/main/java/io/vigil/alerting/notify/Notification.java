package io.vigil.alerting.notify;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.alert.AlertTransition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One notification of one alert group to one receiver, as Alertmanager sends it: the group's firing
 * alerts and those resolved since the last notification. Written by the dispatcher to {@code
 * vigil.notifications.queue} (JSON, key = {@code groupKey}); a later version of the same group
 * replaces an earlier one that was not delivered yet.
 *
 * @param groupKey the group's identity: receiver, route and group label values
 * @param receiver the receiver's name
 * @param groupLabels the labels the route groups by, with this group's values
 * @param alerts firing alerts, then resolved ones, each by fingerprint order
 * @param version increases with every notification of the group (the dispatch time in ms, or one
 *     more than the last when the clock did not move)
 */
public record Notification(
    @JsonProperty("groupKey") String groupKey,
    @JsonProperty("receiver") String receiver,
    @JsonProperty("groupLabels") Map<String, String> groupLabels,
    @JsonProperty("alerts") List<AlertTransition> alerts,
    @JsonProperty("version") long version) {

  /** Freezes the collections, labels in name order. */
  public Notification {
    Objects.requireNonNull(groupKey, "groupKey");
    Objects.requireNonNull(receiver, "receiver");
    groupLabels = groupLabels == null ? Map.of() : new TreeMap<>(groupLabels);
    alerts = List.copyOf(alerts);
  }

  /** The firing alerts. */
  @JsonIgnore
  public List<AlertTransition> firing() {
    return alerts.stream().filter(a -> a.state() == AlertTransition.State.FIRING).toList();
  }

  /** The resolved alerts. */
  @JsonIgnore
  public List<AlertTransition> resolved() {
    return alerts.stream().filter(a -> a.state() == AlertTransition.State.RESOLVED).toList();
  }

  /**
   * This notification as an integration with {@code send_resolved: false} sends it: without the
   * resolved alerts; null when nothing is left to say.
   */
  public Notification withoutResolved() {
    List<AlertTransition> firing = firing();
    return firing.isEmpty()
        ? null
        : new Notification(groupKey, receiver, groupLabels, firing, version);
  }

  /** Alertmanager's status prefix: {@code [FIRING:2]} or {@code [RESOLVED]}. */
  @JsonIgnore
  public String statusPrefix() {
    int firing = firing().size();
    return firing > 0 ? "[FIRING:" + firing + "]" : "[RESOLVED]";
  }

  /** The labels every alert shares (Alertmanager's {@code CommonLabels}). */
  @JsonIgnore
  public Map<String, String> commonLabels() {
    if (alerts.isEmpty()) {
      return Map.of();
    }
    Map<String, String> common = new HashMap<>(alerts.get(0).labels());
    for (AlertTransition a : alerts) {
      common.entrySet().removeIf(e -> !e.getValue().equals(a.labels().get(e.getKey())));
    }
    return new TreeMap<>(common);
  }

  /**
   * Alertmanager's default title: {@code [FIRING:2] <group label values> (<common label values not
   * in the group>)}.
   */
  @JsonIgnore
  public String title() {
    StringBuilder sb = new StringBuilder(statusPrefix()).append(' ');
    Map<String, String> group =
        groupLabels.isEmpty() ? Map.of("alertname", alertName()) : groupLabels;
    sb.append(String.join(" ", group.values()));
    List<String> other = new ArrayList<>();
    commonLabels()
        .forEach(
            (k, v) -> {
              if (!group.containsKey(k)) {
                other.add(v);
              }
            });
    if (!other.isEmpty()) {
      sb.append(" (").append(String.join(" ", other)).append(')');
    }
    return sb.toString();
  }

  private String alertName() {
    return alerts.isEmpty() ? "" : alerts.get(0).rule();
  }
}
