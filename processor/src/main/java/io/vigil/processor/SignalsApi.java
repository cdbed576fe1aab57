package io.vigil.processor;

import com.fasterxml.jackson.core.type.TypeReference;
import com.sun.net.httpserver.HttpExchange;
import io.vigil.model.json.Json;
import io.vigil.model.runtime.AdminServer;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.model.web.QueryString;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/signals[?service=S][&scope=local]}: the latest signal of each series, from every
 * instance of the processor. Each instance keeps the signals its own stream threads produced; this
 * one asks the others it knows from Kafka Streams' metadata (their {@code application.server}, the
 * admin address they advertise) for theirs with {@code scope=local}, passing the caller's {@code
 * Authorization} on, and merges them: per series, the latest window. An instance that does not
 * answer within {@link #PEER_TIMEOUT} is left out and named in the header {@code
 * Vigil-Unreachable-Instances}; the answer is still 200 with what the others had.
 */
final class SignalsApi {
  private static final Logger LOG = LoggerFactory.getLogger(SignalsApi.class);

  /** How long a peer may take to answer. */
  static final Duration PEER_TIMEOUT = Duration.ofSeconds(2);

  private static final TypeReference<List<GoldenSignal>> SIGNALS = new TypeReference<>() {};

  private final LatestSignals local;
  private final Supplier<Set<String>> peers;
  private final String scheme;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(PEER_TIMEOUT).build();

  /**
   * @param local this instance's signals
   * @param peers the other instances' advertised {@code host:port}, asked at every call
   * @param https whether the admin endpoints serve HTTPS (all instances share the configuration)
   */
  SignalsApi(LatestSignals local, Supplier<Set<String>> peers, boolean https) {
    this.local = local;
    this.peers = peers;
    this.scheme = https ? "https" : "http";
  }

  void handle(HttpExchange exchange) throws IOException {
    if (!"GET".equals(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().set("Allow", "GET");
      AdminServer.respond(exchange, 405, "method not allowed\n");
      return;
    }
    Map<String, String> query;
    try {
      query = QueryString.lastByName(exchange.getRequestURI().getRawQuery());
    } catch (IllegalArgumentException e) {
      AdminServer.respond(exchange, 400, "query: " + e.getMessage() + "\n");
      return;
    }
    String service = query.get("service");
    String scope = query.getOrDefault("scope", "all");
    if (!scope.equals("all") && !scope.equals("local")) {
      AdminServer.respond(exchange, 400, "scope: must be all or local, was '" + scope + "'\n");
      return;
    }
    Map<String, GoldenSignal> merged = new HashMap<>();
    merge(merged, local.snapshot(), service);
    Set<String> unreachable = new TreeSet<>();
    if (scope.equals("all")) {
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      Map<String, CompletableFuture<List<GoldenSignal>>> asked = new LinkedHashMap<>();
      for (String peer : peers.get()) {
        asked.put(peer, ask(peer, service, authorization));
      }
      for (Map.Entry<String, CompletableFuture<List<GoldenSignal>>> answer : asked.entrySet()) {
        try {
          merge(merged, answer.getValue().join(), service);
        } catch (RuntimeException e) {
          unreachable.add(answer.getKey());
          LOG.warn("no signals from the processor at {}: {}", answer.getKey(), e.getMessage());
        }
      }
    }
    List<GoldenSignal> shown = new ArrayList<>(merged.values());
    shown.sort(Comparator.comparing(GoldenSignal::seriesKey));
    byte[] body = Json.mapper().writeValueAsBytes(shown);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    if (!unreachable.isEmpty()) {
      exchange
          .getResponseHeaders()
          .set("Vigil-Unreachable-Instances", String.join(", ", unreachable));
    }
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private CompletableFuture<List<GoldenSignal>> ask(
      String peer, String service, String authorization) {
    String path =
        "/api/signals?scope=local"
            + (service == null
                ? ""
                : "&service=" + URLEncoder.encode(service, StandardCharsets.UTF_8));
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(scheme + "://" + peer + path)).timeout(PEER_TIMEOUT);
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(
            response -> {
              if (response.statusCode() != 200) {
                throw new IllegalStateException("answered " + response.statusCode());
              }
              try {
                return Json.mapper().readValue(response.body(), SIGNALS);
              } catch (IOException e) {
                throw new IllegalStateException("not a list of signals: " + e.getMessage(), e);
              }
            });
  }

  /** Adds {@code signals} of {@code service} (all when null): per series, the latest window. */
  private static void merge(
      Map<String, GoldenSignal> into, List<GoldenSignal> signals, String service) {
    for (GoldenSignal signal : signals) {
      if (service != null && !service.equals(signal.service())) {
        continue;
      }
      into.merge(
          signal.seriesKey(),
          signal,
          (kept, other) -> other.window().start().isAfter(kept.window().start()) ? other : kept);
    }
  }
}
