package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.prometheus.AlertmanagerServer;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Vigil's alert engine and the real Alertmanager (Debian's {@code prometheus-alertmanager}; the
 * test is skipped where it is not installed), given the same {@code alertmanager.yml} and the same
 * alerts posted as Prometheus posts them: both must send the same notifications — the same groups
 * to the same Slack channels, with the same titles and the same alerts in them, an inhibited alert
 * in neither, and the inhibited one once its inhibitors resolved.
 */
@WithKafka
class AlertmanagerSideBySideIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Duration SETTLE = Duration.ofSeconds(4);

  /** Routing with a child route, grouping, and an inhibition that needs an equal label. */
  private static final String ROUTING =
      """
      route:
        receiver: oncall
        group_by: [alertname, cluster]
        group_wait: 1s
        group_interval: 2s
        repeat_interval: 4h
        routes:
          - matchers: [team="data"]
            receiver: data
            group_by: [job]
      receivers:
        - name: oncall
          slack_configs: [{api_url: '%1$s', channel: '#oncall'}]
        - name: data
          slack_configs: [{api_url: '%1$s', channel: '#data'}]
      inhibit_rules:
        - source_matchers: [severity="critical"]
          target_matchers: [severity="warning"]
          equal: [cluster]
      """;

  private final HttpClient http = HttpClient.newHttpClient();

  /** Time intervals: a route muted now, one inactive now, one open, a muted parent's child. */
  private static final String TIMED_ROUTING =
      """
      time_intervals:
        - name: always
          time_intervals: [{}]
        - name: never
          time_intervals: [{years: ['1999']}]
      route:
        receiver: oncall
        group_by: [alertname]
        group_wait: 1s
        group_interval: 2s
        routes:
          - {matchers: [case="muted"], mute_time_intervals: [always]}
          - {matchers: [case="inactive"], active_time_intervals: [never]}
          - {matchers: [case="open"], mute_time_intervals: [never], active_time_intervals: [always]}
          - matchers: [case="parent"]
            mute_time_intervals: [always]
            routes:
              - {matchers: [child="yes"]}
      receivers:
        - name: oncall
          slack_configs: [{api_url: '%1$s', channel: '#oncall'}]
      """;

  @Test
  void sendsWhatAlertmanagerSendsForTheSameAlerts(EmbeddedKafka kafka, @TempDir Path dir)
      throws Exception {
    try (Both both = Both.start(kafka, dir, ROUTING)) {
      URI vigilApi = both.vigilApi();
      URI amApi = both.amApi();
      SlackSink vigilSlack = both.vigilSlack();
      SlackSink amSlack = both.amSlack();

      // Two critical errors in c1 (one group), a warning in c1 (inhibited), a warning in c2
      // (not: another cluster), two failed pipelines for the data team (a group per job; in the
      // data platform's cluster, so they inhibit nothing of c1).
      // The inhibiting (critical) alerts go first, and both sides hold them before the rest
      // arrive: Alertmanager's inhibitor follows its alert store asynchronously, and on a busy
      // machine a warning posted in the same request could be flushed before it sees them.
      String sources =
          "["
              + alert("HighErrorRatio", "c1", "checkout", "critical", null, null)
              + ","
              + alert("HighErrorRatio", "c1", "cart", "critical", null, null)
              + "]";
      post(vigilApi, sources);
      post(amApi, sources);
      awaitListed(vigilApi, 2);
      awaitListed(amApi, 2);
      String firing =
          "["
              + alert("HighLatency", "c1", "checkout", "warning", null, null)
              + ","
              + alert("HighLatency", "c2", "search", "warning", null, null)
              + ","
              + alert("PipelineFailed", "dp", null, "critical", "orders_daily", null)
              + ","
              + alert("PipelineFailed", "dp", null, "critical", "users_hourly", null)
              + "]";
      post(vigilApi, firing);
      post(amApi, firing);

      List<String> fromAlertmanager = notifications(amSlack, 4);
      List<String> fromVigil = notifications(vigilSlack, 4);
      System.out.println("Alertmanager sent: " + fromAlertmanager);
      System.out.println("Vigil sent:        " + fromVigil);
      assertThat(fromVigil).as("Vigil's notifications").isEqualTo(fromAlertmanager);
      assertThat(vigilSlack.posts())
          .as("Vigil sends no more messages than Alertmanager")
          .hasSizeLessThanOrEqualTo(amSlack.posts().size());
      assertThat(fromVigil).noneMatch(n -> n.contains("HighLatency c1"));

      // Both critical errors in c1 resolve: the c1 warning is no longer inhibited.
      String now = Instant.now().toString();
      String resolved =
          "["
              + alert("HighErrorRatio", "c1", "checkout", "critical", null, now)
              + ","
              + alert("HighErrorRatio", "c1", "cart", "critical", null, now)
              + "]";
      vigilSlack.clear();
      amSlack.clear();
      post(vigilApi, resolved);
      post(amApi, resolved);

      List<String> afterAlertmanager = notifications(amSlack, 1);
      List<String> afterVigil = notifications(vigilSlack, 1);
      System.out.println("then Alertmanager: " + afterAlertmanager);
      System.out.println("then Vigil:        " + afterVigil);
      assertThat(afterVigil).isEqualTo(afterAlertmanager);
      assertThat(afterVigil).anyMatch(n -> n.contains("HighLatency c1"));
    }
  }

  @Test
  void mutesAndActivatesRoutesByTimeIntervalsAsAlertmanagerDoes(
      EmbeddedKafka kafka, @TempDir Path dir) throws Exception {
    try (Both both = Both.start(kafka, dir, TIMED_ROUTING)) {
      String alerts =
          "["
              + timed("Muted", "muted", null)
              + ","
              + timed("Inactive", "inactive", null)
              + ","
              + timed("Open", "open", null)
              + ","
              + timed("ParentOnly", "parent", null)
              + ","
              + timed("Child", "parent", "yes")
              + "]";
      post(both.vigilApi(), alerts);
      post(both.amApi(), alerts);

      List<String> fromAlertmanager = notifications(both.amSlack(), 1);
      List<String> fromVigil = notifications(both.vigilSlack(), 1);
      System.out.println("Alertmanager sent: " + fromAlertmanager);
      System.out.println("Vigil sent:        " + fromVigil);
      assertThat(fromVigil).isEqualTo(fromAlertmanager);
      assertThat(fromVigil)
          .anyMatch(n -> n.contains("Open"))
          .noneMatch(n -> n.contains("Muted") || n.contains("Inactive") || n.contains("Parent"));
    }
  }

  private static String timed(String name, String kase, String child) {
    return "{\"labels\":{\"alertname\":\""
        + name
        + "\",\"case\":\""
        + kase
        + "\""
        + (child == null ? "" : ",\"child\":\"" + child + "\"")
        + "},\"startsAt\":\""
        + STARTS_AT
        + "\"}";
  }

  /** Vigil and Alertmanager side by side, each with its own Slack sink, on one routing file. */
  private record Both(
      SlackSink vigilSlack,
      SlackSink amSlack,
      AlertingService vigil,
      AlertmanagerServer alertmanager)
      implements AutoCloseable {
    static Both start(EmbeddedKafka kafka, Path dir, String routing) throws Exception {
      Optional<Path> binary = AlertmanagerServer.binary();
      assumeTrue(binary.isPresent(), "prometheus-alertmanager is not installed");
      SlackSink vigilSlack = SlackSink.start();
      SlackSink amSlack = SlackSink.start();
      AlertingService vigil = null;
      try {
        vigil =
            AlertingService.start(
                ServiceTestKit.withoutElasticsearch(
                    kafka,
                    Files.createDirectories(dir.resolve("vigil")),
                    routing.formatted(vigilSlack.webhookUrl())),
                new PrometheusRegistry());
        return new Both(
            vigilSlack,
            amSlack,
            vigil,
            AlertmanagerServer.start(
                binary.get(), dir, routing.formatted(amSlack.webhookUrl()), WAIT));
      } catch (Exception | AssertionError e) {
        if (vigil != null) {
          vigil.close();
        }
        vigilSlack.close();
        amSlack.close();
        throw e;
      }
    }

    URI vigilApi() {
      return URI.create("http://127.0.0.1:" + vigil.adminPort() + "/api/v2/alerts");
    }

    URI amApi() {
      return alertmanager.alertsApi();
    }

    @Override
    public void close() throws Exception {
      try (vigilSlack;
          amSlack;
          vigil;
          alertmanager) {
        // all four closed, in reverse order
      }
    }
  }

  /** When every alert of the test started, as Prometheus sends it with each alert. */
  private static final String STARTS_AT = Instant.now().minusSeconds(60).toString();

  /** One alert in Prometheus' postable shape; {@code endsAt} null while it fires. */
  private static String alert(
      String name, String cluster, String service, String severity, String job, String endsAt) {
    Map<String, String> labels = new TreeMap<>();
    labels.put("alertname", name);
    labels.put("cluster", cluster);
    labels.put("severity", severity);
    if (service != null) {
      labels.put("service", service);
    }
    if (job != null) {
      labels.put("job", job);
      labels.put("team", "data");
    }
    String json =
        labels.entrySet().stream()
            .map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\"")
            .collect(Collectors.joining(",", "{\"labels\":{", "}"));
    return json
        + ",\"startsAt\":\""
        + STARTS_AT
        + "\""
        + (endsAt == null ? "" : ",\"endsAt\":\"" + endsAt + "\"")
        + "}";
  }

  private void post(URI api, String body) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(api)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("%s: %s", api, response.body()).isEqualTo(200);
  }

  /**
   * Polls {@code api} (GET, Alertmanager's v2 API) until it lists at least {@code count} alerts.
   */
  private void awaitListed(URI api, int count) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(api).GET().build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200
          && io.vigil.model.json.Json.mapper().readTree(response.body()).size() >= count) {
        return;
      }
      assertThat(System.nanoTime()).as("%s lists %d alerts", api, count).isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(100); // polling an API with a deadline
    }
  }

  /**
   * What {@code slack} received, once at least {@code count} posts came and nothing more for a
   * moment: per alert group (channel and group name) its latest post's channel, title and the
   * alerts it lists, in a stable order. The latest, because on a busy machine Alertmanager may
   * flush a group before the second alert of one request reached it ({@code [FIRING:1]}, then
   * {@code [FIRING:2]} a group interval later); what each group says in the end is what both must
   * agree on.
   */
  private static List<String> notifications(SlackSink slack, int count)
      throws InterruptedException {
    slack.awaitPosts(count, WAIT);
    int seen = -1;
    while (seen != slack.posts().size()) { // until a settle period passes with nothing new
      seen = slack.posts().size();
      TimeUnit.NANOSECONDS.sleep(SETTLE.toNanos());
    }
    Map<String, String> latest = new LinkedHashMap<>();
    for (SlackPost post : slack.posts()) {
      String description = describe(post.json());
      // "#oncall [FIRING:2] HighErrorRatio c1 (critical)" → group "#oncall HighErrorRatio c1"
      String group =
          description.replaceFirst(" \\[[A-Z]+(:\\d+)?\\] ", " ").replaceFirst(" \\(.*$", "");
      latest.put(group, description);
    }
    List<String> out = new ArrayList<>(latest.values());
    out.sort(null);
    return out;
  }

  /**
   * A post as both senders can be compared: the channel, the group's title (Vigil puts it in {@code
   * text}, Alertmanager's default template in the first attachment's {@code title}).
   */
  private static String describe(JsonNode payload) {
    String title = payload.path("text").asText("");
    if (title.isEmpty()) {
      title = payload.path("attachments").path(0).path("title").asText("");
    }
    return payload.path("channel").asText() + " " + title;
  }
}
