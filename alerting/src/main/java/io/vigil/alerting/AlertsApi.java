package io.vigil.alerting;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.vigil.alerting.route.Matcher;
import io.vigil.alerting.rules.ActiveAlert;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.runtime.AdminServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * with {@code silencedBy}), so tools that read Alertmanager read Vigil. Filters: {@code
 * fingerprint=…} and Alertmanager's {@code filter=<matcher>} (repeatable).
 */
final class AlertsApi implements HttpHandler {
  private static final int MAX_POST = 4 * 1024 * 1024;

  private final Supplier<List<ActiveAlert>> firing;
  private final Function<java.util.Map<String, String>, List<String>> receivers;
  private final Function<java.util.Map<String, String>, List<String>> silencedBy;
  private final Duration resolveTimeout;
  private final Producer<byte[], byte[]> producer;
  private final Clock clock;

  AlertsApi(
      Supplier<List<ActiveAlert>> firing,
      Function<java.util.Map<String, String>, List<String>> receivers,
      Function<java.util.Map<String, String>, List<String>> silencedBy,
      Duration resolveTimeout,
      Producer<byte[], byte[]> producer,
      Clock clock) {
    this.firing = firing;
    this.receivers = receivers;
    this.silencedBy = silencedBy;
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
    if (!exchange.getRequestMethod().equals("GET")) {
      exchange.getResponseHeaders().set("Allow", "GET, POST");
      AdminServer.respond(exchange, 405, "allowed: GET, POST\n");
      return;
    }
    String fingerprint = null;
    List<Matcher> filters = new ArrayList<>();
    String query = exchange.getRequestURI().getRawQuery();
    if (query != null) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
        if (name.equals("fingerprint")) {
          fingerprint = value;
        } else if (name.equals("filter")) {
          try {
            filters.addAll(Matcher.parseAll(value));
          } catch (IllegalArgumentException e) {
            AdminServer.respond(exchange, 400, "bad filter: " + e.getMessage() + "\n");
            return;
          }
        }
      }
    }
    ArrayNode out = Json.mapper().createArrayNode();
    for (ActiveAlert alert : firing.get()) {
      if (fingerprint != null && !fingerprint.equals(alert.fingerprint())) {
        continue;
      }
      if (!filters.stream().allMatch(m -> m.matches(alert.labels()))) {
        continue;
      }
      out.add(toJson(alert));
    }
    byte[] body = Json.mapper().writeValueAsBytes(out);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream os = exchange.getResponseBody()) {
      os.write(body);
    }
  }

  private ObjectNode toJson(ActiveAlert alert) {
    ObjectNode node = Json.mapper().createObjectNode();
    node.set("labels", Json.mapper().valueToTree(new java.util.TreeMap<>(alert.labels())));
    node.set(
        "annotations", Json.mapper().valueToTree(new java.util.TreeMap<>(alert.annotations())));
    node.put("startsAt", alert.startsAt().toString());
    node.put("endsAt", alert.updatedAt().plus(resolveTimeout).toString());
    node.put("updatedAt", alert.updatedAt().toString());
    node.put("fingerprint", alert.fingerprint());
    node.put("generatorURL", alert.generatorUrl());
    node.put("value", alert.value());
    ArrayNode receiverArray = node.putArray("receivers");
    for (String name : receivers.apply(alert.labels())) {
      receiverArray.addObject().put("name", name);
    }
    ObjectNode status = node.putObject("status");
    List<String> silences = silencedBy.apply(alert.labels());
    status.put("state", silences.isEmpty() ? "active" : "suppressed");
    ArrayNode silencedArray = status.putArray("silencedBy");
    silences.forEach(silencedArray::add);
    status.putArray("inhibitedBy");
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

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
