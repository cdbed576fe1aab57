package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prometheus' side of the API: alerts posted in Alertmanager's {@code postableAlerts} shape (here
 * Alertmanager's own example payload) are grouped and notified like the rules' own, listed by
 * {@code GET}, and bad input is refused naming the element and field.
 */
@WithKafka
@WithSlackSink
class AlertsApiIT {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void alertsPostedAsPrometheusSendsThemAreGroupedAndNotified(
      EmbeddedKafka kafka, SlackSink slack, @TempDir Path dir) throws Exception {
    AlertingConfig config =
        ServiceTestKit.withoutElasticsearch(
            kafka, slack, dir, "{receiver: r, group_by: [instance], group_wait: 1s}");
    try (AlertingService service = AlertingService.start(config, new PrometheusRegistry())) {
      String url = "http://127.0.0.1:" + service.adminPort() + "/api/v2/alerts";
      byte[] example;
      try (InputStream in =
          getClass()
              .getResourceAsStream(
                  "/fixtures/alertmanager/api-v2-postable-alerts.from-examples-ha-send_alerts.json")) {
        example = in.readAllBytes();
      }

      HttpResponse<String> bad = post(url, "[{\"labels\":{}}]".getBytes());
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).contains("[0].labels: at least one label is required");

      HttpResponse<String> accepted = post(url, example);
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);

      // six alerts on three instances: three groups, one notification each
      List<SlackPost> posts = slack.awaitPosts(3, ServiceTestKit.TIMEOUT);
      assertThat(posts)
          .extracting(SlackPost::text)
          .allSatisfy(text -> assertThat(text).startsWith("[FIRING:2] example"));
      JsonNode listed =
          ServiceTestKit.await(
              () -> ServiceTestKit.get(service, "/api/v2/alerts"), a -> a.size() == 6);
      assertThat(listed.get(0).at("/labels/alertname").asText()).isEqualTo("DiskRunningFull");
    }
  }

  private HttpResponse<String> post(String url, byte[] body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
