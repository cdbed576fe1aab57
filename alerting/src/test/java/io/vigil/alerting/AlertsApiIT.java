package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.model.json.Json;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

      // the same alerts as the routing tree groups them: one group per instance, receiver r
      JsonNode groups = ServiceTestKit.get(service, "/api/v2/alerts/groups");
      assertThat(groups).hasSize(3);
      assertThat(groups)
          .extracting(g -> g.at("/labels/instance").asText())
          .containsExactly("example1", "example2", "example3");
      assertThat(groups)
          .allSatisfy(g -> assertThat(g.at("/receiver/name").asText()).isEqualTo("r"));
      assertThat(groups).allSatisfy(g -> assertThat(g.get("alerts")).hasSize(2));
      assertThat(groups.get(1).get("alerts"))
          .allSatisfy(a -> assertThat(a.at("/labels/instance").asText()).isEqualTo("example2"));
      assertThat(
              ServiceTestKit.get(
                  service, "/api/v2/alerts/groups?filter=" + encode("instance=\"example3\"")))
          .singleElement()
          .satisfies(g -> assertThat(g.at("/labels/instance").asText()).isEqualTo("example3"));
      assertThat(ServiceTestKit.get(service, "/api/v2/alerts/groups?receiver=other")).isEmpty();
      assertThat(ServiceTestKit.get(service, "/api/v2/alerts?active=false")).isEmpty();
      HttpResponse<String> badReceiver =
          get(service, "/api/v2/alerts/groups?receiver=" + encode("("));
      assertThat(badReceiver.statusCode()).isEqualTo(400);
      assertThat(badReceiver.body()).startsWith("bad receiver regex '('");

      // status, as Grafana's Alertmanager data source and amtool read it: secrets masked
      JsonNode status = ServiceTestKit.get(service, "/api/v2/status");
      assertThat(status.at("/cluster/status").asText()).isEqualTo("ready");
      assertThat(status.at("/versionInfo/version").asText())
          .isEqualTo(io.vigil.model.runtime.VigilVersion.get())
          .isNotEqualTo("unknown");
      assertThat(Instant.parse(status.at("/uptime").asText())).isBefore(Instant.now());
      String original = status.at("/config/original").asText();
      assertThat(original).contains("group_by:").contains("<secret>");
      assertThat(original).doesNotContain(slack.webhookUrl());
    }
  }

  /**
   * Alertmanager's own command-line client reads Vigil's API unchanged: {@code amtool alert query}
   * lists the alerts, {@code amtool config show} the routing (secrets masked). Skipped where
   * Debian's {@code prometheus-alertmanager} (amtool) is not installed.
   */
  @Test
  void amtoolReadsAlertsAndConfig(EmbeddedKafka kafka, SlackSink slack, @TempDir Path dir)
      throws Exception {
    Path amtool = Path.of("/usr/bin/amtool");
    assumeTrue(Files.isExecutable(amtool), "amtool (Debian prometheus-alertmanager) not installed");
    // A receiver of its own: this class's tests share a broker and the engine's application id,
    // so groups of receiver r that this test's engine notified before it closed would be restored
    // by the other test's engine, which would then see nothing new to notify.
    AlertingConfig config =
        ServiceTestKit.withoutElasticsearch(
            kafka,
            dir,
            "route: {receiver: amtool, group_by: [instance], group_wait: 1s}\n"
                + "receivers: [{name: amtool, slack_configs: [{api_url: '"
                + slack.webhookUrl()
                + "'}]}]\n");
    try (AlertingService service = AlertingService.start(config, new PrometheusRegistry())) {
      String url = "http://127.0.0.1:" + service.adminPort();
      byte[] example;
      try (InputStream in =
          getClass()
              .getResourceAsStream(
                  "/fixtures/alertmanager/api-v2-postable-alerts.from-examples-ha-send_alerts.json")) {
        example = in.readAllBytes();
      }
      assertThat(post(url + "/api/v2/alerts", example).statusCode()).isEqualTo(200);
      ServiceTestKit.await(() -> ServiceTestKit.get(service, "/api/v2/alerts"), a -> a.size() == 6);

      String alerts =
          run(
              amtool,
              "--alertmanager.url=" + url,
              "alert",
              "query",
              "-o",
              "json",
              "instance=example1");
      JsonNode parsed = Json.mapper().readTree(alerts);
      assertThat(parsed).hasSize(2);
      assertThat(parsed)
          .allSatisfy(a -> assertThat(a.at("/labels/instance").asText()).isEqualTo("example1"));

      String shown = run(amtool, "--alertmanager.url=" + url, "config", "show");
      assertThat(shown)
          .contains("group_by:")
          .contains("<secret>")
          .doesNotContain(slack.webhookUrl());
    }
  }

  /** Runs amtool; its standard output (warnings go to standard error, shown on failure). */
  private static String run(Path command, String... args) throws Exception {
    List<String> line = new ArrayList<>();
    line.add(command.toString());
    line.addAll(List.of(args));
    Path err = Files.createTempFile("amtool", ".err");
    try {
      Process process = new ProcessBuilder(line).redirectError(err.toFile()).start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("amtool finished").isTrue();
      assertThat(process.exitValue())
          .as("amtool %s: %s%s", line, out, Files.readString(err))
          .isZero();
      return out;
    } finally {
      Files.delete(err);
    }
  }

  private HttpResponse<String> get(AlertingService service, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.adminPort() + path))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
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
