package io.vigil.alerting;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.vigil.alerting.dispatch.Dispatcher;
import io.vigil.alerting.dispatch.Inhibitor;
import io.vigil.alerting.route.Matcher;
import io.vigil.alerting.rules.ActiveAlert;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.runtime.AdminServer;
import io.vigil.model.web.QueryString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * {@code POST /api/v2/alerts} takes Prometheus' alerts unchanged ({@link PostedAlerts}). {@code GET
 * /api/v2/alerts}: the firing alerts in Alertmanager's API v2 shape ({@code labels}, {@code
 * annotations}, {@code startsAt}, {@code endsAt}, {@code updatedAt}, {@code fingerprint}, {@code
 * generatorURL}, {@code receivers}, {@code status.state} = {@code active} or {@code suppressed}
 * with {@code silencedBy} and {@code inhibitedBy}), so tools that read Alertmanager read Vigil.
 * Filters: {@code fingerprint=…} and Alertmanager's {@code filter=<matcher>} (repeatable). {@code
 * GET /api/v2/alerts/groups}: the same alerts in the groups the routing tree puts them in, one
 * entry per group and receiver ({@code labels} = the group's labels, {@code receiver.name}, {@code
 * alerts}), as Grafana and karma read them; filters {@code filter}, {@code receiver} (a regex on
 * the receiver's name, anchored), {@code active}, {@code silenced} and {@code inhibited} ({@code
 * false} leaves those out).
 */
final class AlertsApi implements HttpHandler {
  private static final int MAX_POST = 4 * 1024 * 1024;

  private final Supplier<List<ActiveAlert>> firing;
  private final Function<Map<String, String>, List<Dispatcher.Destination>> destinations;
  private final Function<Map<String, String>, List<String>> silencedBy;
  private final Supplier<Inhibitor.Inhibitions> inhibitions;
  private final Duration resolveTimeout;
  private final Producer<byte[], byte[]> producer;
  private final Clock clock;

  AlertsApi(
      Supplier<List<ActiveAlert>> firing,
      Function<Map<String, String>, List<Dispatcher.Destination>> destinations,
      Function<Map<String, String>, List<String>> silencedBy,
      Supplier<Inhibitor.Inhibitions> inhibitions,
      Duration resolveTimeout,
      Producer<byte[], byte[]> producer,
      Clock clock) {
    this.firing = firing;
    this.destinations = destinations;
    this.silencedBy = silencedBy;
    this.inhibitions = inhibitions;
    this.resolveTimeout = resolveTimeout;
    this.producer = producer;
    this.clock = clock;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    if (exchange.getRequestMethod().equals("POST")) {
      post(exchange);
      return;
    }
    String path = exchange.getRequestURI().getPath();
    boolean groups = path.equals("/api/v2/alerts/groups");
    if (!groups && !path.equals("/api/v2/alerts") && !path.equals("/api/v2/alerts/")) {
      AdminServer.respond(exchange, 404, "not found: " + path + "\n");
      return;
    }
    if (!exchange.getRequestMethod().equals("GET")) {
      String allowed = groups ? "GET" : "GET, POST";
      exchange.getResponseHeaders().set("Allow", allowed);
      AdminServer.respond(exchange, 405, "allowed: " + allowed + "\n");
      return;
    }
    Query query;
    try {
      query = Query.parse(exchange.getRequestURI().getRawQuery());
    } catch (IllegalArgumentException e) {
      AdminServer.respond(exchange, 400, e.getMessage() + "\n");
      return;
    }
    List<Shown> shown = new ArrayList<>();
    Inhibitor.Inhibitions inhibited = inhibitions.get();
    for (ActiveAlert alert : firing.get()) {
      Shown one =
          new Shown(
              alert,
              silencedBy.apply(alert.labels()),
              inhibited.of(alert.fingerprint(), alert.labels()));
      // As Alertmanager: silenced=false and inhibited=false leave those out; active=false the rest.
      if ((query.fingerprint != null && !query.fingerprint.equals(alert.fingerprint()))
          || !query.filters.stream().allMatch(m -> m.matches(alert.labels()))
          || (!one.silencedBy().isEmpty() && !query.silenced)
          || (!one.inhibitedBy().isEmpty() && !query.inhibited)
          || (!one.suppressed() && !query.active)
          || (query.receiver != null
              && destinations.apply(alert.labels()).stream()
                  .noneMatch(to -> query.receiver.matcher(to.receiver()).matches()))) {
        continue;
      }
      shown.add(one);
    }
    byte[] body = Json.mapper().writeValueAsBytes(groups ? groups(shown, query) : list(shown));
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream os = exchange.getResponseBody()) {
      os.write(body);
    }
  }

  /** An alert as the API shows it: with what silences it and which alerts inhibit it. */
  private record Shown(ActiveAlert alert, List<String> silencedBy, List<String> inhibitedBy) {
    boolean suppressed() {
      return !silencedBy.isEmpty() || !inhibitedBy.isEmpty();
    }
  }

  private ArrayNode list(List<Shown> alerts) {
    ArrayNode out = Json.mapper().createArrayNode();
    alerts.forEach(one -> out.add(toJson(one, destinations.apply(one.alert().labels()))));
    return out;
  }

  /** One entry per group and receiver the routing tree puts the alerts in, in a stable order. */
  private ArrayNode groups(List<Shown> alerts, Query query) {
    Map<String, Dispatcher.Destination> keys = new TreeMap<>();
    Map<String, ArrayNode> members = new TreeMap<>();
    for (Shown one : alerts) {
      List<Dispatcher.Destination> routed = destinations.apply(one.alert().labels());
      ObjectNode json = toJson(one, routed);
      for (Dispatcher.Destination to : routed) {
        if (query.receiver != null && !query.receiver.matcher(to.receiver()).matches()) {
          continue;
        }
        String key = to.receiver() + '\u0000' + to.groupKey();
        keys.putIfAbsent(key, to);
        members.computeIfAbsent(key, k -> Json.mapper().createArrayNode()).add(json);
      }
    }
    ArrayNode out = Json.mapper().createArrayNode();
    keys.forEach(
        (key, to) -> {
          ObjectNode group = out.addObject();
          group.set("labels", Json.mapper().valueToTree(new TreeMap<>(to.labels())));
          group.putObject("receiver").put("name", to.receiver());
          group.set("alerts", members.get(key));
        });
    return out;
  }

  /** The query parameters both GETs understand. */
  private record Query(
      String fingerprint,
      List<Matcher> filters,
      Pattern receiver,
      boolean active,
      boolean silenced,
      boolean inhibited) {
    static Query parse(String raw) {
      String fingerprint = null;
      List<Matcher> filters = new ArrayList<>();
      Pattern receiver = null;
      boolean active = true;
      boolean silenced = true;
      boolean inhibited = true;
      for (QueryString.Param param : QueryString.params(raw)) {
        String name = param.name();
        String value = param.value();
        switch (name) {
          case "fingerprint" -> fingerprint = value;
          case "filter" -> {
            try {
              filters.addAll(Matcher.parseAll(value));
            } catch (IllegalArgumentException e) {
              throw new IllegalArgumentException("bad filter: " + e.getMessage(), e);
            }
          }
          case "receiver" -> {
            try {
              receiver = Pattern.compile("^(?:" + value + ")$");
            } catch (PatternSyntaxException e) {
              throw new IllegalArgumentException(
                  "bad receiver regex '" + value + "': " + e.getMessage(), e);
            }
          }
          case "active" -> active = bool(name, value);
          case "silenced" -> silenced = bool(name, value);
          case "inhibited" -> inhibited = bool(name, value);
          default -> {} // unprocessed: Alertmanager's, nothing to leave out here
        }
      }
      return new Query(fingerprint, filters, receiver, active, silenced, inhibited);
    }

    private static boolean bool(String name, String value) {
      return switch (value) {
        case "true", "" -> true;
        case "false" -> false;
        default ->
            throw new IllegalArgumentException(
                name + ": must be true or false, was '" + value + "'");
      };
    }
  }

  /** {@code alert} in Alertmanager's shape; {@code routed}: where the routing tree sends it. */
  private ObjectNode toJson(Shown one, List<Dispatcher.Destination> routed) {
    ActiveAlert alert = one.alert();
    ObjectNode node = Json.mapper().createObjectNode();
    node.set("labels", Json.mapper().valueToTree(new TreeMap<>(alert.labels())));
    node.set("annotations", Json.mapper().valueToTree(new TreeMap<>(alert.annotations())));
    node.put("startsAt", alert.startsAt().toString());
    node.put("endsAt", alert.updatedAt().plus(resolveTimeout).toString());
    node.put("updatedAt", alert.updatedAt().toString());
    node.put("fingerprint", alert.fingerprint());
    node.put("generatorURL", alert.generatorUrl());
    node.put("value", alert.value());
    ArrayNode receiverArray = node.putArray("receivers");
    routed.stream()
        .map(Dispatcher.Destination::receiver)
        .distinct()
        .forEach(name -> receiverArray.addObject().put("name", name));
    ObjectNode status = node.putObject("status");
    status.put("state", one.suppressed() ? "suppressed" : "active");
    ArrayNode silencedArray = status.putArray("silencedBy");
    one.silencedBy().forEach(silencedArray::add);
    ArrayNode inhibitedArray = status.putArray("inhibitedBy");
    one.inhibitedBy().forEach(inhibitedArray::add);
    status.putArray("mutedBy");
    return node;
  }

  /**
   * {@code POST}: Prometheus' alerts, each written to {@code vigil.alerts.external} (waiting for
   * the acks) and dispatched like the rules' own; 400 names the bad element and field.
   */
  private void post(HttpExchange exchange) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readNBytes(MAX_POST + 1);
    }
    if (body.length > MAX_POST) {
      AdminServer.respond(exchange, 413, "more than " + MAX_POST + " bytes of alerts\n");
      return;
    }
    List<AlertTransition> alerts;
    try {
      alerts = PostedAlerts.parse(body, clock.instant(), resolveTimeout);
    } catch (IllegalArgumentException e) {
      AdminServer.respond(exchange, 400, e.getMessage() + "\n");
      return;
    }
    try {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (AlertTransition t : alerts) {
        acks.add(
            producer.send(
                new ProducerRecord<>(
                    Topics.ALERTS_EXTERNAL,
                    t.fingerprint().getBytes(StandardCharsets.UTF_8),
                    Json.mapper().writeValueAsBytes(t))));
      }
      for (Future<RecordMetadata> ack : acks) {
        ack.get(15, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      AdminServer.respond(exchange, 503, "interrupted while storing the alerts\n");
      return;
    } catch (Exception e) {
      AdminServer.respond(exchange, 503, "could not store the alerts in Kafka: " + e + "\n");
      return;
    }
    AdminServer.respond(exchange, 200, "");
  }
}
