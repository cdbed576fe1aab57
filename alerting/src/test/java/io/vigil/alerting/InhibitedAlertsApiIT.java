package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackSink;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inhibition as the API shows it, on a broker of its own (the alerts it posts would be listed by
 * {@link AlertsApiIT}'s tests, which count theirs).
 */
@WithKafka
@WithSlackSink
class InhibitedAlertsApiIT {
  /**
   * An alert muted by an inhibit rule is listed as Alertmanager lists it: {@code suppressed}, with
   * the fingerprint of the alert that inhibits it in {@code inhibitedBy}; one whose {@code equal}
   * label differs stays active; {@code inhibited=false} leaves the muted one out.
   */
  @Test
  void inhibitedAlertsSayByWhich(EmbeddedKafka kafka, SlackSink slack, @TempDir Path dir)
      throws Exception {
    AlertingConfig config =
        ServiceTestKit.withoutElasticsearch(
            kafka,
            dir,
            """
            route: {receiver: r, group_by: [alertname], group_wait: 1s}
            receivers: [{name: r, slack_configs: [{api_url: '%s'}]}]
            inhibit_rules:
              - source_matchers: ['severity="critical"']
                target_matchers: ['severity="warning"']
                equal: [cluster]
            """
                .formatted(slack.webhookUrl()));
    try (AlertingService service = AlertingService.start(config, new PrometheusRegistry())) {
      String posted =
          """
          [{"labels": {"alertname": "ClusterDown", "severity": "critical", "cluster": "a"}},
           {"labels": {"alertname": "HighLatency", "severity": "warning", "cluster": "a"}},
           {"labels": {"alertname": "HighLatency", "severity": "warning", "cluster": "b"}}]
          """;
      HttpResponse<String> accepted =
          post(
              "http://127.0.0.1:" + service.adminPort() + "/api/v2/alerts",
              posted.getBytes(StandardCharsets.UTF_8));
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
      JsonNode listed =
          ServiceTestKit.await(
              () -> ServiceTestKit.get(service, "/api/v2/alerts"), a -> a.size() == 3);

      String source = only(listed, "ClusterDown", "a").path("fingerprint").asText();
      JsonNode muted = only(listed, "HighLatency", "a").path("status");
      assertThat(muted.path("state").asText()).isEqualTo("suppressed");
      assertThat(muted.path("inhibitedBy")).extracting(JsonNode::asText).containsExactly(source);
      assertThat(muted.path("silencedBy")).isEmpty();
      JsonNode other = only(listed, "HighLatency", "b").path("status");
      assertThat(other.path("state").asText()).isEqualTo("active");
      assertThat(other.path("inhibitedBy")).isEmpty();

      JsonNode withoutMuted = ServiceTestKit.get(service, "/api/v2/alerts?inhibited=false");
      assertThat(withoutMuted).hasSize(2);
      assertThat(withoutMuted)
          .noneSatisfy(a -> assertThat(a.path("status").path("inhibitedBy")).isNotEmpty());
    }
  }

  /** The one alert of {@code listed} named {@code alertname} in {@code cluster}. */
  private static JsonNode only(JsonNode listed, String alertname, String cluster) {
    List<JsonNode> found = new ArrayList<>();
    listed.forEach(
        a -> {
          if (a.at("/labels/alertname").asText().equals(alertname)
              && a.at("/labels/cluster").asText().equals(cluster)) {
            found.add(a);
          }
        });
    assertThat(found).as("%s in cluster %s", alertname, cluster).hasSize(1);
    return found.get(0);
  }

  private static HttpResponse<String> post(String url, byte[] body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
