package io.vigil.alerting;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.vigil.alerting.route.Matcher;
import io.vigil.alerting.rules.ActiveAlert;
import io.vigil.model.json.Json;
import io.vigil.model.runtime.AdminServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code GET /api/v2/alerts}: the firing alerts in Alertmanager's API v2 shape ({@code labels},
 * {@code annotations}, {@code startsAt}, {@code endsAt}, {@code updatedAt}, {@code fingerprint},
 * {@code generatorURL}, {@code receivers}, {@code status.state} = {@code active} or {@code
 * suppressed} with {@code silencedBy}), so tools that read Alertmanager read Vigil. Filters: {@code
 * fingerprint=…} and Alertmanager's {@code filter=<matcher>} (repeatable).
 */
final class AlertsApi implements HttpHandler {
  private final Supplier<List<ActiveAlert>> firing;
  private final Function<java.util.Map<String, String>, List<String>> receivers;
  private final Function<java.util.Map<String, String>, List<String>> silencedBy;
  private final Duration resolveTimeout;

  AlertsApi(
      Supplier<List<ActiveAlert>> firing,
      Function<java.util.Map<String, String>, List<String>> receivers,
      Function<java.util.Map<String, String>, List<String>> silencedBy,
      Duration resolveTimeout) {
    this.firing = firing;
    this.receivers = receivers;
    this.silencedBy = silencedBy;
    this.resolveTimeout = resolveTimeout;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestMethod().equals("GET")) {
      exchange.getResponseHeaders().set("Allow", "GET");
      AdminServer.respond(exchange, 405, "only GET is supported\n");
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

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
