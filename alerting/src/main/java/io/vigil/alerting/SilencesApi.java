package io.vigil.alerting;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.vigil.alerting.dispatch.Silence;
import io.vigil.alerting.dispatch.Silences;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.runtime.AdminServer;
import io.vigil.model.web.ApiSecurity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alertmanager's silence API v2: {@code GET /api/v2/silences}, {@code POST /api/v2/silences}
 * (create, or update when the body has an {@code id}), {@code GET} and {@code DELETE
 * /api/v2/silence/{id}} (delete expires it: {@code endsAt} = now). Silences are written to the
 * compacted {@code vigil.silences} (waiting for the ack) so every replica and a restart see them;
 * this replica's view is updated at once, so a read right after a write shows it.
 *
 * <p>Each created or updated silence records the request's authenticated principal ({@link
 * ApiSecurity#principal}) in {@code principal}, beside the client's own {@code createdBy}; an
 * expiry keeps it. Every write is logged with it.
 */
final class SilencesApi implements HttpHandler {
  private static final Logger LOG = LoggerFactory.getLogger(SilencesApi.class);
  private static final int MAX_BODY = 64 * 1024;

  private final Silences silences;
  private final Producer<byte[], byte[]> producer;
  private final Clock clock;

  SilencesApi(Silences silences, Producer<byte[], byte[]> producer, Clock clock) {
    this.silences = silences;
    this.producer = producer;
    this.clock = clock;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      if (path.equals("/api/v2/silences") || path.equals("/api/v2/silences/")) {
        switch (method) {
          case "GET" -> list(exchange);
          case "POST" -> create(exchange);
          default -> notAllowed(exchange, "GET, POST");
        }
        return;
      }
      String prefix = "/api/v2/silence/";
      if (!path.startsWith(prefix) || path.length() == prefix.length()) {
        AdminServer.respond(exchange, 404, "no such resource\n");
        return;
      }
      String id = path.substring(prefix.length());
      Optional<Silence> silence = silences.get(id);
      if (silence.isEmpty()) {
        AdminServer.respond(exchange, 404, "silence " + id + " not found\n");
        return;
      }
      switch (method) {
        case "GET" -> json(exchange, 200, toJson(silence.get()));
        case "DELETE" -> expire(exchange, silence.get());
        default -> notAllowed(exchange, "GET, DELETE");
      }
    } catch (RuntimeException e) {
      AdminServer.respond(exchange, 500, "internal error: " + e + "\n");
    }
  }

  private void list(HttpExchange exchange) throws IOException {
    ArrayNode out = Json.mapper().createArrayNode();
    for (Silence s : silences.all()) {
      out.add(toJson(s));
    }
    json(exchange, 200, out);
  }

  private void create(HttpExchange exchange) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readNBytes(MAX_BODY + 1);
    }
    if (body.length > MAX_BODY) {
      AdminServer.respond(exchange, 413, "silence larger than " + MAX_BODY + " bytes\n");
      return;
    }
    Silence posted;
    try {
      posted = Json.mapper().readValue(body, Silence.class);
    } catch (JsonProcessingException e) {
      AdminServer.respond(exchange, 400, "not a silence: " + Json.describe(e) + "\n");
      return;
    }
    Instant now = clock.instant();
    String id = posted.id();
    if (id != null && !id.isBlank()) {
      Optional<Silence> existing = silences.get(id);
      if (existing.isEmpty()) {
        AdminServer.respond(exchange, 404, "silence " + id + " not found\n");
        return;
      }
      if (existing.get().state(now).equals("expired")) {
        AdminServer.respond(exchange, 400, "silence " + id + " has expired; create a new one\n");
        return;
      }
    } else {
      id = UUID.randomUUID().toString();
    }
    Silence silence =
        new Silence(
            id,
            posted.matchers(),
            posted.startsAt() == null || posted.startsAt().isBefore(now) ? now : posted.startsAt(),
            posted.endsAt(),
            posted.createdBy(),
            posted.comment(),
            now,
            ApiSecurity.principal(exchange));
    try {
      silence.validate(now);
    } catch (IllegalArgumentException | NullPointerException e) {
      AdminServer.respond(exchange, 400, "invalid silence: " + e.getMessage() + "\n");
      return;
    }
    if (!write(exchange, silence)) {
      return;
    }
    LOG.info(
        "silence {} {} by {} (createdBy '{}')",
        id,
        posted.id() == null || posted.id().isBlank() ? "created" : "updated",
        silence.principal(),
        silence.createdBy());
    ObjectNode out = Json.mapper().createObjectNode();
    out.put("silenceID", id);
    json(exchange, 200, out);
  }

  private void expire(HttpExchange exchange, Silence silence) throws IOException {
    Instant now = clock.instant();
    if (silence.state(now).equals("expired")) {
      AdminServer.respond(exchange, 200, "");
      return;
    }
    Silence expired =
        new Silence(
            silence.id(),
            silence.matchers(),
            silence.startsAt().isAfter(now) ? now : silence.startsAt(),
            now,
            silence.createdBy(),
            silence.comment(),
            now,
            silence.principal());
    if (write(exchange, expired)) {
      LOG.info("silence {} expired by {}", silence.id(), ApiSecurity.principal(exchange));
      AdminServer.respond(exchange, 200, "");
    }
  }

  /** Writes {@code silence} to Kafka and the local view; answers 503 itself when Kafka fails. */
  private boolean write(HttpExchange exchange, Silence silence) throws IOException {
    try {
      producer
          .send(
              new ProducerRecord<>(
                  Topics.SILENCES,
                  silence.id().getBytes(StandardCharsets.UTF_8),
                  Json.mapper().writeValueAsBytes(silence)))
          .get(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      AdminServer.respond(exchange, 503, "interrupted while storing the silence\n");
      return false;
    } catch (Exception e) {
      AdminServer.respond(exchange, 503, "could not store the silence in Kafka: " + e + "\n");
      return false;
    }
    silences.put(silence);
    return true;
  }

  private JsonNode toJson(Silence s) {
    ObjectNode node = Json.mapper().valueToTree(s);
    node.putObject("status").put("state", s.state(clock.instant()));
    return node;
  }

  private static void json(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = Json.mapper().writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = exchange.getResponseBody()) {
      os.write(bytes);
    }
  }

  private static void notAllowed(HttpExchange exchange, String allow) throws IOException {
    exchange.getResponseHeaders().set("Allow", allow);
    AdminServer.respond(exchange, 405, "allowed: " + allow + "\n");
  }
}
