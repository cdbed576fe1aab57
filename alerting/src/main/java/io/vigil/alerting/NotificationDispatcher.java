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
 *
 * <p>Each integration of a receiver has a stable name, {@code <type>[<index among that type>]}
 * (e.g. {@code slack[0]}, {@code email[1]}), under which the {@link NotificationLog} records
 * deliveries: a transition the log says was delivered already is skipped and counted as {@code
 * outcome="deduplicated"}.
 */
final class NotificationDispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(NotificationDispatcher.class);

  private final Router router;
  private final Map<String, List<Integration>> notifiers;
  private final NotificationLog log;
  private final NotificationMetrics metrics;
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong deduplicated = new AtomicLong();

  NotificationDispatcher(
      Router router,
      Map<String, List<Notifier>> notifiers,
      NotificationLog log,
      NotificationMetrics metrics) {
    this.router = router;
    Map<String, List<Integration>> named = new HashMap<>();
    notifiers.forEach((receiver, list) -> named.put(receiver, Integration.name(list)));
    this.notifiers = Map.copyOf(named);
    this.log = log;
    this.metrics = metrics;
  }

  /** Builds the notifiers of every receiver in {@code config}. */
  static NotificationDispatcher create(
      AlertmanagerConfig config,
      NotificationMetrics metrics,
      HttpClient http,
      NotificationLog log) {
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
    return new NotificationDispatcher(new Router(config.route()), byReceiver, log, metrics);
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
      String receiver = match.getKey();
      for (Integration integration : notifiers.getOrDefault(receiver, List.of())) {
        Notifier notifier = integration.notifier();
        if (transition.state() == AlertTransition.State.RESOLVED && !notifier.sendResolved()) {
          continue;
        }
        String key = NotificationLog.key(transition.fingerprint(), receiver, integration.name());
        if (log.alreadySent(key, transition)) {
          metrics.record(notifier.integration(), "deduplicated");
          deduplicated.incrementAndGet();
          continue;
        }
        try {
          notifier.send(notification);
          delivered++;
          sent.incrementAndGet();
          log.delivered(receiver, integration.name(), transition);
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

  /** Deliveries skipped because the notification log had them already. */
  long deduplicated() {
    return deduplicated.get();
  }

  private Map<String, Route> routes(Map<String, String> labels) {
    Map<String, Route> byReceiver = new LinkedHashMap<>();
    for (Route route : router.match(labels)) {
      byReceiver.putIfAbsent(route.receiver(), route);
    }
    return byReceiver;
  }

  /** A notifier and its stable name within its receiver. */
  record Integration(String name, Notifier notifier) {
    static List<Integration> name(List<Notifier> notifiers) {
      Map<String, Integer> perType = new HashMap<>();
      List<Integration> out = new ArrayList<>();
      for (Notifier n : notifiers) {
        int index = perType.merge(n.integration(), 1, Integer::sum) - 1;
        out.add(new Integration(n.integration() + "[" + index + "]", n));
      }
      return List.copyOf(out);
    }
  }
}
