package io.vigil.alerting.dispatch;

import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.route.Route;
import io.vigil.alerting.route.Router;
import io.vigil.model.alert.AlertTransition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Alertmanager's dispatcher as pure functions over {@link AlertGroup} state, so that a Kafka
 * Streams processor can keep the groups in a store and a test can drive them with any clock.
 *
 * <ul>
 *   <li>{@link #route}: the groups an alert transition belongs to — one per matched route ({@code
 *       continue}), named by receiver, route and the values of the route's {@code group_by};
 *   <li>{@link #insert}: the transition joins its group; a new group is first flushed after {@code
 *       group_wait};
 *   <li>{@link #flush}: muted alerts (silenced, inhibited) are left out; a notification goes out
 *       when the set of firing alerts changed since the last one, when an alert that was notified
 *       as firing resolved, or when {@code repeat_interval} passed while alerts fire; resolved
 *       alerts then leave the group, an empty group is removed, and the next flush is {@code
 *       group_interval} later. Inside the route's mute time intervals (or outside its active ones)
 *       a flush sends and remembers nothing.
 * </ul>
 *
 * An alert that fires and resolves before its group's first notification causes none: nobody was
 * told it fired. A resolved notification lists only alerts that were notified as firing.
 */
public final class Dispatcher {
  private final Router router;

  /** A dispatcher over {@code config}'s routing tree. */
  public Dispatcher(AlertmanagerConfig config) {
    this.router = new Router(config.route());
  }

  /** Where a transition goes: a group and the route that made it. */
  public record Destination(
      String groupKey, String receiver, String routeId, Map<String, String> labels) {}

  /**
   * The groups an alert with {@code labels} belongs to, one per matched route and receiver, in tree
   * order.
   */
  public List<Destination> route(Map<String, String> labels) {
    Map<String, Destination> out = new LinkedHashMap<>();
    for (Route route : router.match(labels)) {
      String routeId = router.id(route);
      Map<String, String> groupLabels = new TreeMap<>();
      if (route.groupByAll()) {
        groupLabels.putAll(labels);
      } else {
        for (String name : route.groupBy()) {
          String value = labels.get(name);
          if (value != null) {
            groupLabels.put(name, value);
          }
        }
      }
      String key = groupKey(route.receiver(), routeId, groupLabels);
      out.putIfAbsent(key, new Destination(key, route.receiver(), routeId, groupLabels));
    }
    return new ArrayList<>(out.values());
  }

  /** {@code <receiver>@<route id>:{name="value",…}}. */
  static String groupKey(String receiver, String routeId, Map<String, String> labels) {
    StringBuilder sb = new StringBuilder(receiver).append('@').append(routeId).append(":{");
    boolean first = true;
    for (Map.Entry<String, String> e : labels.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      sb.append(e.getKey())
          .append("=\"")
          .append(e.getValue().replace("\\", "\\\\").replace("\"", "\\\""))
          .append('"');
    }
    return sb.append('}').toString();
  }

  /**
   * {@code group} (null: none yet) with {@code alert} in it, at wall-clock {@code now} (epoch ms).
   */
  public AlertGroup insert(AlertGroup group, Destination to, AlertTransition alert, long now) {
    if (group == null) {
      long groupWait = router.route(to.routeId()).groupWait().toMillis();
      group =
          new AlertGroup(
              to.groupKey(),
              to.receiver(),
              to.routeId(),
              to.labels(),
              Map.of(),
              now + groupWait,
              List.of(),
              0,
              0);
    }
    Map<String, AlertTransition> alerts = new HashMap<>(group.alerts());
    AlertTransition previous = alerts.get(alert.fingerprint());
    if (previous != null && isOlder(alert, previous)) {
      return group;
    }
    alerts.put(alert.fingerprint(), alert);
    return group.withAlerts(alerts);
  }

  /** What a flush did: the group afterwards (null: removed) and the notification, if any. */
  public record Flush(AlertGroup group, Notification notification) {}

  /**
   * Flushes {@code group} at {@code now} (epoch ms), leaving out the firing alerts {@code muted}
   * accepts.
   */
  public Flush flush(AlertGroup group, long now, Predicate<AlertTransition> muted) {
    Route route = router.route(group.routeId());
    List<AlertTransition> firing = new ArrayList<>();
    List<AlertTransition> resolved = new ArrayList<>();
    Instant at = Instant.ofEpochMilli(now);
    for (AlertTransition a : group.alerts().values()) {
      if (isFiring(a, at)) {
        if (!muted.test(a)) {
          firing.add(a);
        }
      } else if (group.notifiedFiring().contains(a.fingerprint())) {
        resolved.add(asResolved(a));
      }
    }
    List<String> firingKeys = firing.stream().map(AlertTransition::fingerprint).sorted().toList();
    boolean changed = !firingKeys.equals(group.notifiedFiring()) || !resolved.isEmpty();
    boolean repeat =
        !firing.isEmpty()
            && group.notifiedAt() > 0
            && now - group.notifiedAt() >= route.repeatInterval().toMillis();
    // Inside the route's mute (or outside its active) time intervals a flush sends nothing and
    // remembers nothing, as in Alertmanager: the first flush after them notifies what changed.
    boolean notify =
        (changed || repeat)
            && !(firing.isEmpty() && resolved.isEmpty())
            && !route.timeMuting().mutes(at);

    Notification notification = null;
    List<String> notifiedFiring = group.notifiedFiring();
    long notifiedAt = group.notifiedAt();
    long version = group.version();
    if (notify) {
      version = Math.max(now, group.version() + 1);
      List<AlertTransition> alerts = new ArrayList<>(firing);
      alerts.addAll(resolved);
      notification =
          new Notification(group.key(), group.receiver(), group.labels(), alerts, version);
      notifiedFiring = firingKeys;
      notifiedAt = now;
    }
    Map<String, AlertTransition> remaining = new HashMap<>(group.alerts());
    remaining.values().removeIf(a -> !isFiring(a, at));
    if (remaining.isEmpty()) {
      return new Flush(null, notification);
    }
    AlertGroup next =
        new AlertGroup(
            group.key(),
            group.receiver(),
            group.routeId(),
            group.labels(),
            remaining,
            now + route.groupInterval().toMillis(),
            notifiedFiring,
            notifiedAt,
            version);
    return new Flush(next, notification);
  }

  /**
   * Whether {@code a} fires at {@code now}: a firing transition whose {@code endsAt}, when it has
   * one (alerts posted through the API do), is still ahead — Alertmanager's rule, so an alert that
   * Prometheus stopped sending resolves by itself.
   */
  static boolean isFiring(AlertTransition a, Instant now) {
    return a.state() == AlertTransition.State.FIRING
        && (a.endsAt() == null || a.endsAt().isAfter(now));
  }

  private static AlertTransition asResolved(AlertTransition a) {
    return a.state() == AlertTransition.State.RESOLVED
        ? a
        : new AlertTransition(
            a.fingerprint(),
            a.rule(),
            AlertTransition.State.RESOLVED,
            a.severity(),
            a.labels(),
            a.annotations(),
            a.value(),
            a.startsAt(),
            a.endsAt(),
            a.generatorUrl());
  }

  /** Whether {@code a} describes an earlier moment of the alert than {@code b}. */
  private static boolean isOlder(AlertTransition a, AlertTransition b) {
    int byStart = a.startsAt().compareTo(b.startsAt());
    if (byStart != 0) {
      return byStart < 0;
    }
    // Same occurrence: resolved is the later state.
    return a.state() == AlertTransition.State.FIRING && b.state() == AlertTransition.State.RESOLVED;
  }
}
