package io.vigil.alerting;

import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.notify.NotificationException;
import io.vigil.alerting.notify.NotificationMetrics;
import io.vigil.alerting.notify.Notifier;
import io.vigil.alerting.notify.email.EmailConfig;
import io.vigil.alerting.notify.email.EmailNotifier;
import io.vigil.alerting.notify.slack.SlackConfig;
import io.vigil.alerting.notify.slack.SlackNotifier;
import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.route.Receiver;
import io.vigil.alerting.route.Route;
import io.vigil.alerting.route.Router;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.runtime.ThrottlingLogger;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each alert transition through the Alertmanager routing tree and hands it to the matched
 * receivers' notifiers. A receiver matched by several routes ({@code continue: true}) is notified
 * once per transition. A failed delivery is counted and logged; it never stops the pipeline.
 */
final class NotificationDispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(NotificationDispatcher.class);

  private final Router router;
  private final Map<String, List<Notifier>> notifiers;
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);
  private final AtomicLong sent = new AtomicLong();

  NotificationDispatcher(Router router, Map<String, List<Notifier>> notifiers) {
    this.router = router;
    this.notifiers = Map.copyOf(notifiers);
  }

  /** Builds the notifiers of every receiver in {@code config}. */
  static NotificationDispatcher create(
      AlertmanagerConfig config, NotificationMetrics metrics, HttpClient http) {
    Map<String, List<Notifier>> byReceiver = new HashMap<>();
    for (Receiver receiver : config.receivers().values()) {
      List<Notifier> list = new ArrayList<>();
      for (SlackConfig slack : receiver.slackConfigs()) {
        list.add(SlackNotifier.create(slack, http, metrics));
      }
      for (EmailConfig email : receiver.emailConfigs()) {
        list.add(EmailNotifier.create(email, metrics));
      }
      byReceiver.put(receiver.name(), List.copyOf(list));
    }
    return new NotificationDispatcher(new Router(config.route()), byReceiver);
  }

  /** Receiver names {@code labels} route to, in routing order, without repeats. */
  List<String> receiversFor(Map<String, String> labels) {
    return new ArrayList<>(routes(labels).keySet());
  }

  /**
   * Notifies every receiver {@code transition} routes to.
   *
   * @return deliveries that succeeded
   */
  int dispatch(AlertTransition transition) throws InterruptedException {
    int delivered = 0;
    for (Map.Entry<String, Route> match : routes(transition.labels()).entrySet()) {
      Route route = match.getValue();
      Notification notification =
          Notification.of(transition, match.getKey(), route.groupBy(), route.groupByAll());
      for (Notifier notifier : notifiers.getOrDefault(match.getKey(), List.of())) {
        if (transition.state() == AlertTransition.State.RESOLVED && !notifier.sendResolved()) {
          continue;
        }
        try {
          notifier.send(notification);
          delivered++;
          sent.incrementAndGet();
        } catch (NotificationException e) {
          throttled.warn(
              "{} notification for {} ({}) to receiver {} failed: {}",
              notifier.integration(),
              transition.rule(),
              transition.fingerprint(),
              match.getKey(),
              e.getMessage());
        }
      }
    }
    return delivered;
  }

  /** Successful deliveries so far. */
  long sent() {
    return sent.get();
  }

  private Map<String, Route> routes(Map<String, String> labels) {
    Map<String, Route> byReceiver = new LinkedHashMap<>();
    for (Route route : router.match(labels)) {
      byReceiver.putIfAbsent(route.receiver(), route);
    }
    return byReceiver;
  }
}
