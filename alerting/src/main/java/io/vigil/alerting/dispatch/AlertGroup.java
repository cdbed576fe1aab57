package io.vigil.alerting.dispatch;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.alert.AlertTransition;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One aggregation group, Alertmanager's {@code aggrGroup}, as kept in the dispatch store (JSON):
 * the alerts one route sends to one receiver that share the values of the route's {@code group_by}
 * labels, and what was last notified about them. Times are wall-clock epoch milliseconds.
 *
 * @param key the group key, also the store and queue key
 * @param receiver the receiver's name
 * @param routeId the route's position in the tree ({@link io.vigil.alerting.route.Router#id})
 * @param labels the group labels
 * @param alerts the latest transition of each alert in the group, by fingerprint
 * @param nextFlushAt when the group is next looked at
 * @param notifiedFiring fingerprints of the firing alerts last notified (sorted)
 * @param notifiedAt when the last notification was queued; 0 before the first
 * @param version the last notification's version; 0 before the first
 */
public record AlertGroup(
    @JsonProperty("key") String key,
    @JsonProperty("receiver") String receiver,
    @JsonProperty("routeId") String routeId,
    @JsonProperty("labels") Map<String, String> labels,
    @JsonProperty("alerts") Map<String, AlertTransition> alerts,
    @JsonProperty("nextFlushAt") long nextFlushAt,
    @JsonProperty("notifiedFiring") List<String> notifiedFiring,
    @JsonProperty("notifiedAt") long notifiedAt,
    @JsonProperty("version") long version) {

  /** Freezes the collections, alerts in fingerprint order. */
  public AlertGroup {
    labels = new TreeMap<>(labels);
    alerts = new TreeMap<>(alerts);
    notifiedFiring = notifiedFiring == null ? List.of() : List.copyOf(notifiedFiring);
  }

  AlertGroup withAlerts(Map<String, AlertTransition> newAlerts) {
    return new AlertGroup(
        key,
        receiver,
        routeId,
        labels,
        newAlerts,
        nextFlushAt,
        notifiedFiring,
        notifiedAt,
        version);
  }
}
