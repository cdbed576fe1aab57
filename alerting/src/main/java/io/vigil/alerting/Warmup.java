package io.vigil.alerting;

import io.vigil.alerting.dispatch.AlertGroup;
import io.vigil.alerting.dispatch.Dispatcher;
import io.vigil.alerting.dispatch.Routed;
import io.vigil.alerting.notify.DeliveryWorker;
import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.rules.AlertState;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the path of a first alert once at start, on a made-up alert and with no effect outside this
 * process, so that the first real alert after a start is as fast as the ones after it. Without it
 * the first alert paid for code running for the first time (BENCHMARKS.md, "Alert latency for new
 * services": ~175 ms more in dispatch and ~75 ms more in delivery than later alerts).
 *
 * <p>What it runs: the JSON writers and readers of every record an alert crosses (transition,
 * evaluation state, record repartitioned by group, group, notification, notification-log entry),
 * the alert's routing, grouping, muting and flush, each delivery worker's rendering of it ({@link
 * DeliveryWorker#warmUp}: a Slack payload, a mail, a TLS ClientHello where the integration speaks
 * TLS), and one exchange of the webhook HTTP client with this process's own {@code /healthz}.
 * Nothing is written to Kafka, stored, posted or mailed. A part that fails is logged and skipped: a
 * warm-up never stops a start.
 */
final class Warmup {
  private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);

  /** The made-up alert's rule name. */
  static final String RULE = "VigilWarmup";

  private Warmup() {}

  @FunctionalInterface
  private interface Part {
    void run() throws Exception;
  }

  /**
   * Runs the warm-up through {@code dispatcher} and {@code muting}, {@code workers}, and {@code
   * http} against {@code health} (both may be null: no webhook integration); returns the time it
   * took.
   */
  static Duration run(
      Dispatcher dispatcher,
      Supplier<Predicate<AlertTransition>> muting,
      List<DeliveryWorker> workers,
      HttpClient http,
      URI health,
      Clock clock) {
    long started = System.nanoTime();
    Instant now = clock.instant();
    Map<String, String> labels =
        Map.of("alertname", RULE, "severity", "none", "service", "vigil-warmup");
    Map<String, String> annotations =
        Map.of("summary", "warm-up", "description", "a made-up alert run through at start");
    AlertTransition firing =
        new AlertTransition(
            "0000000000000000",
            RULE,
            AlertTransition.State.FIRING,
            "none",
            labels,
            annotations,
            1.0,
            now,
            null,
            null);
    AlertTransition resolved =
        new AlertTransition(
            firing.fingerprint(),
            RULE,
            AlertTransition.State.RESOLVED,
            "none",
            labels,
            annotations,
            0.0,
            now,
            now,
            null);
    Notification sample =
        new Notification(
            "warmup@0:{}", "warmup", Map.of(), List.of(firing, resolved), now.toEpochMilli());

    part(
        "records",
        () -> {
          roundTrip(firing, AlertTransition.class);
          roundTrip(
              new AlertState(
                  labels, firing.fingerprint(), now, true, now, now, now, 1.0, annotations),
              AlertState.class);
          roundTrip(sample, Notification.class);
        });
    part(
        "dispatch",
        () -> {
          Predicate<AlertTransition> mutes = muting.get();
          for (Dispatcher.Destination to : dispatcher.route(labels)) {
            roundTrip(Routed.of(to, firing), Routed.class);
            AlertGroup group = dispatcher.insert(null, to, firing, now.toEpochMilli());
            roundTrip(group, AlertGroup.class);
            dispatcher.flush(group, group.nextFlushAt(), mutes);
          }
        });
    for (DeliveryWorker worker : workers) {
      part(worker.id(), () -> worker.warmUp(sample));
    }
    if (http != null && health != null) {
      part(
          "webhook client",
          () ->
              http.send(
                  HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).build(),
                  HttpResponse.BodyHandlers.discarding()));
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    LOG.info("alert path warmed up in {} ms", took.toMillis());
    return took;
  }

  private static <T> void roundTrip(T value, Class<T> type) throws java.io.IOException {
    Json.mapper().readValue(Json.mapper().writeValueAsBytes(value), type);
  }

  private static void part(String name, Part part) {
    try {
      part.run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.info("warm-up of {} skipped: {}", name, e.toString());
    }
  }
}
