package io.vigil.alerting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.vigil.model.json.Json;
import io.vigil.model.runtime.AdminServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /api/v2/status} in Alertmanager's shape — what Grafana's Alertmanager data source asks
 * when it tests the connection, and what {@code amtool config show} / {@code cluster show} print:
 * {@code cluster} (Vigil's replicas share their work through Kafka, not gossip: {@code status}
 * {@code ready}, this instance's name, no peers), {@code versionInfo}, {@code uptime} and {@code
 * config.original} — the routing file as loaded, every secret replaced by {@code <secret>} as
 * Alertmanager does.
 */
final class StatusApi implements HttpHandler {
  /** Keys whose values are secrets in Alertmanager's configuration (Secret and SecretURL). */
  static final Set<String> SECRET_KEYS =
      Set.of(
          "api_url",
          "slack_api_url",
          "smtp_auth_password",
          "smtp_auth_secret",
          "auth_password",
          "auth_secret",
          "password",
          "credentials",
          "bearer_token",
          "token",
          "api_key",
          "routing_key",
          "service_key",
          "url",
          "webhook_url",
          "opsgenie_api_key",
          "victorops_api_key",
          "wechat_api_secret",
          "telegram_bot_token",
          "client_secret");

  static final String MASK = "<secret>";

  private final byte[] body;

  /**
   * @param instance this instance's name (the cluster's only named peer)
   * @param version Vigil's version
   * @param started when this instance started (the uptime's origin)
   * @param routingYaml the Alertmanager configuration file's text
   */
  StatusApi(String instance, String version, Instant started, String routingYaml)
      throws IOException {
    ObjectNode status = Json.mapper().createObjectNode();
    ObjectNode cluster = status.putObject("cluster");
    cluster.put("name", instance);
    cluster.put("status", "ready");
    cluster.putArray("peers");
    ObjectNode versionInfo = status.putObject("versionInfo");
    versionInfo.put("version", version);
    versionInfo.put("revision", "");
    versionInfo.put("branch", "");
    versionInfo.put("buildUser", "");
    versionInfo.put("buildDate", "");
    versionInfo.put("goVersion", "");
    versionInfo.put("jvmVersion", Runtime.version().toString());
    status.putObject("config").put("original", masked(routingYaml));
    status.put("uptime", started.toString());
    this.body = Json.mapper().writeValueAsBytes(status);
  }

  /** {@code yaml} with the value of every secret key (at any depth) replaced by {@link #MASK}. */
  static String masked(String yaml) throws IOException {
    YAMLMapper mapper = new YAMLMapper();
    JsonNode tree = mapper.readTree(yaml.isBlank() ? "{}" : yaml);
    mask(tree);
    return mapper.writeValueAsString(tree);
  }

  private static void mask(JsonNode node) {
    if (node instanceof ObjectNode object) {
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (SECRET_KEYS.contains(field.getKey()) && field.getValue().isValueNode()) {
          field.setValue(TextNode.valueOf(MASK));
        } else {
          mask(field.getValue());
        }
      }
    } else if (node instanceof ArrayNode array) {
      array.forEach(StatusApi::mask);
    }
  }

  /** This host's name (a pod's name in Kubernetes), or {@code vigil-alerting}. */
  static String instanceName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "vigil-alerting";
    }
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestMethod().equals("GET")) {
      exchange.getResponseHeaders().set("Allow", "GET");
      AdminServer.respond(exchange, 405, "allowed: GET\n");
      return;
    }
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream os = exchange.getResponseBody()) {
      os.write(body);
    }
  }
}
