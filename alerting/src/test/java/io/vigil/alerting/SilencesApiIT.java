package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.rules.Signals;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.model.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The silence API as an operator uses it: create, list, read, bad input, the muting it causes,
 * expiry — and a second instance that sees the same silences (they live in {@code vigil.silences}).
 * Elasticsearch is left unreachable: silences do not need it.
 */
@WithKafka
@WithSlackSink
class SilencesApiIT {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aSilenceCreatedThroughTheApiMutesItsAlertsOnEveryInstanceUntilExpired(
      EmbeddedKafka kafka, SlackSink slack, @TempDir Path dir) throws Exception {
    AlertingConfig config =
        ServiceTestKit.withoutElasticsearch(
            kafka,
            slack,
            dir,
            "{receiver: r, group_by: [service], group_wait: 0s, group_interval: 1s}");
    try (AlertingService first = AlertingService.start(config, new PrometheusRegistry());
        KafkaProducer<byte[], byte[]> producer = ServiceTestKit.producer(kafka)) {
      String base = "http://127.0.0.1:" + first.adminPort();

      HttpResponse<String> bad =
          post(base + "/api/v2/silences", silenceJson("service", "cart", "", "deploy"));
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).contains("createdBy: required");

      HttpResponse<String> created =
          post(base + "/api/v2/silences", silenceJson("service", "cart", "alice", "deploy"));
      assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
      String id = Json.mapper().readTree(created.body()).get("silenceID").asText();

      JsonNode listed = ServiceTestKit.get(first, "/api/v2/silences");
      assertThat(listed).hasSize(1);
      assertThat(listed.get(0).get("id").asText()).isEqualTo(id);
      assertThat(listed.get(0).get("createdBy").asText()).isEqualTo("alice");
      assertThat(listed.get(0).get("principal").asText())
          .as("the API requires no authentication")
          .isEqualTo("anonymous");
      assertThat(listed.get(0).at("/status/state").asText()).isEqualTo("active");

      ServiceTestKit.sendLive(producer, Signals.errorRatio("cart", 0, 0.3));
      ServiceTestKit.sendLive(producer, Signals.errorRatio("checkout", 0, 0.2));
      SlackPost post = slack.awaitPost(ServiceTestKit.TIMEOUT);
      assertThat(post.text()).contains("checkout");
      JsonNode cart =
          ServiceTestKit.await(
              () -> ServiceTestKit.get(first, "/api/v2/alerts?filter=service%3D%22cart%22"),
              a -> a.size() == 1);
      assertThat(cart.get(0).at("/status/state").asText()).isEqualTo("suppressed");
      assertThat(cart.get(0).at("/status/silencedBy/0").asText()).isEqualTo(id);

      try (AlertingService second =
          AlertingService.start(
              config.withStateDir(dir.resolve("second-state")), new PrometheusRegistry())) {
        // the second instance learns the silence from vigil.silences, not from the first
        HttpResponse<String> seen =
            ServiceTestKit.await(
                () ->
                    http.send(
                        HttpRequest.newBuilder(
                                URI.create(
                                    "http://127.0.0.1:"
                                        + second.adminPort()
                                        + "/api/v2/silence/"
                                        + id))
                            .build(),
                        HttpResponse.BodyHandlers.ofString()),
                r -> r.statusCode() == 200);
        assertThat(Json.mapper().readTree(seen.body()).get("comment").asText()).isEqualTo("deploy");

        HttpResponse<String> deleted =
            http.send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:" + second.adminPort() + "/api/v2/silence/" + id))
                    .DELETE()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(deleted.statusCode()).isEqualTo(200);
      }
      ServiceTestKit.await(
          () -> ServiceTestKit.get(first, "/api/v2/silence/" + id).at("/status/state").asText(),
          "expired"::equals);
      List<SlackPost> posts = slack.awaitPosts(2, ServiceTestKit.TIMEOUT);
      assertThat(posts.get(1).text()).as("cart, no longer muted").contains("cart");
    }
  }

  private static String silenceJson(String name, String value, String createdBy, String comment)
      throws Exception {
    return Json.mapper()
        .writeValueAsString(
            java.util.Map.of(
                "matchers",
                List.of(java.util.Map.of("name", name, "value", value, "isRegex", false)),
                "startsAt",
                Instant.now().toString(),
                "endsAt",
                Instant.now().plus(Duration.ofHours(1)).toString(),
                "createdBy",
                createdBy,
                "comment",
                comment));
  }

  private HttpResponse<String> post(String url, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
