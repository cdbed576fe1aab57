package io.vigil.alerting.dispatch;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.alert.AlertTransition;

/**
 * An alert transition on its way to one of its groups, as the dispatch repartition topic carries it
 * (JSON, keyed by group key).
 *
 * @param groupKey the group
 * @param receiver the receiver's name
 * @param routeId the route that made the group
 * @param groupLabels the group's labels
 * @param alert the transition
 */
public record Routed(
    @JsonProperty("groupKey") String groupKey,
    @JsonProperty("receiver") String receiver,
    @JsonProperty("routeId") String routeId,
    @JsonProperty("groupLabels") java.util.Map<String, String> groupLabels,
    @JsonProperty("alert") AlertTransition alert) {

  /** {@code alert} going to {@code to}. */
  public static Routed of(Dispatcher.Destination to, AlertTransition alert) {
    return new Routed(to.groupKey(), to.receiver(), to.routeId(), to.labels(), alert);
  }

  Dispatcher.Destination destination() {
    return new Dispatcher.Destination(groupKey, receiver, routeId, groupLabels);
  }
}
