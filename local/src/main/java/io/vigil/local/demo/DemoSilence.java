package io.vigil.local.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The demo's silence, made the way an operator makes one — {@code POST /api/v2/silences} on the
 * alert engine — for the overdue alert of run 5, a known long backfill; and the summary's reading
 * of the active silences back from the API.
 */
final class DemoSilence {
  static final String ALERT = "PipelineOverdue";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private DemoSilence() {}

  /** Creates the silence on the alert engine at {@code port}; says what it did on {@code out}. */
  static void create(int port, PrintStream out) {
    try {
      Instant now = Instant.now();
      String body =
          Json.mapper()
              .writeValueAsString(
                  Map.of(
                      "matchers",
                      List.of(Map.of("name", "alertname", "value", ALERT, "isRegex", false)),
                      "startsAt",
                      now.toString(),
                      "endsAt",
                      now.plus(Duration.ofHours(1)).toString(),
                      "createdBy",
                      "vigil demo",
                      "comment",
                      "run 5 is a known long backfill"));
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v2/silences"))
                  .timeout(Duration.ofSeconds(20))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200) {
        out.printf(
            "  silence                       %s muted for 1 h (POST /api/v2/silences)%n", ALERT);
      } else {
        out.printf(
            "  silence                       not created: HTTP %d %s%n",
            response.statusCode(), response.body().strip());
      }
    } catch (IOException e) {
      out.println("  silence                       not created: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The active silences on the alert engine at {@code port}, one line each, or why not. */
  static List<String> active(int port) {
    List<String> out = new ArrayList<>();
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v2/silences"))
                  .timeout(Duration.ofSeconds(10))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      for (JsonNode silence : Json.mapper().readTree(response.body())) {
        if (!"active".equals(silence.at("/status/state").asText())) {
          continue;
        }
        List<String> matchers = new ArrayList<>();
        for (JsonNode m : silence.get("matchers")) {
          matchers.add(m.get("name").asText() + "=\"" + m.get("value").asText() + "\"");
        }
        out.add(
            String.join(",", matchers)
                + " by "
                + silence.get("createdBy").asText()
                + ": "
                + silence.get("comment").asText());
      }
    } catch (IOException e) {
      out.add("unknown (" + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }
}
