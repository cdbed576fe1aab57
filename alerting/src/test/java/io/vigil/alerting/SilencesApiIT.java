package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.elasticsearch.ElasticsearchSettings;
import io.vigil.alerting.rules.Signals;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.runtime.AdminSettings;
import io.vigil.model.signal.GoldenSignal;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
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
    AlertingConfig config = config(kafka, slack, dir);
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
      assertThat(listed.get(0).at("/status/state").asText()).isEqualTo("active");

      send(producer, Signals.errorRatio("cart", 0, 0.3));
      send(producer, Signals.errorRatio("checkout", 0, 0.2));
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
              config.withStateDir(dir.resolve("second")), new PrometheusRegistry())) {
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

  private static AlertingConfig config(EmbeddedKafka kafka, SlackSink slack, Path dir)
      throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Path rules = dir.resolve("rules.yaml");
    Files.writeString(
        rules,
        "groups: [{name: g, rules: [{alert: HighErrorRatio, expr: errors.ratio > 0.05}]}]\n");
    Path routing = dir.resolve("alertmanager.yml");
    Files.writeString(
        routing,
        "route: {receiver: r, group_by: [service], group_wait: 0s, group_interval: 1s}\n"
            + "receivers: [{name: r, slack_configs: [{api_url: '"
            + slack.webhookUrl()
            + "'}]}]\n");
    return AlertingConfig.of(
            KafkaSettings.of(kafka.bootstrapServers()),
            List.of(rules),
            routing,
            ElasticsearchSettings.of("http://127.0.0.1:" + closedPort),
            null,
            new AdminSettings("127.0.0.1", 0))
        .withStateDir(dir.resolve("first"));
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

  private static void send(KafkaProducer<byte[], byte[]> producer, GoldenSignal signal)
      throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                Topics.SIGNALS_LIVE,
                signal.seriesKey().getBytes(StandardCharsets.UTF_8),
                Json.mapper().writeValueAsBytes(signal)))
        .get();
  }
}
