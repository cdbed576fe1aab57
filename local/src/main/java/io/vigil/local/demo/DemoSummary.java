package io.vigil.local.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The demo's closing summary: what went through, read back from Elasticsearch. */
final class DemoSummary {
  private final PrintStream out;
  private final String elasticsearchUrl;
  private final String host;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  DemoSummary(PrintStream out, String elasticsearchUrl, String host) {
    this.out = out;
    this.elasticsearchUrl = elasticsearchUrl;
    this.host = host;
  }

  void print(DemoProgress progress, Path dir, double seconds, int alertingPort) {
    refresh();
    out.println();
    out.println("Summary");
    out.printf("  requests simulated            %,d%n", progress.requests());
    out.printf(
        "  data points accepted          %,d  (collector, OTLP/HTTP → Kafka)%n",
        progress.dataPoints());
    out.printf(
        "  live golden signals           %,d  (processor, Kafka Streams → alerting)%n",
        progress.liveSignals());
    out.printf(
        "  golden-signal windows         %,d  (processor, closed on the wall clock)%n",
        progress.signals());
    out.printf("  alerts fired                  %,d  (alerting)%n", progress.alertsFired());
    out.printf(
        "  Slack messages / emails       %d / %d%n", progress.slackPosts(), progress.emails());
    List<String> silences = DemoSilence.active(alertingPort);
    out.printf("  silences (alerting API)       %d active%n", silences.size());
    silences.forEach(line -> out.println("    " + line));
    out.println("  in Elasticsearch (" + elasticsearchUrl + "):");
    out.printf(
        "    metrics-vigil.signals-default  %s documents (%s of them the CPU and memory of host %s,"
            + " %s the services' log volume)%n",
        count("metrics-vigil.signals-default"),
        count("metrics-vigil.signals-default", "_exists_:host.name"),
        host,
        count("metrics-vigil.signals-default", "_exists_:logs.records"));
    out.printf(
        "    metrics-vigil.pipelines-default %s documents (runs failed: %s, overdue: %s)%n",
        count("metrics-vigil.pipelines-default"),
        count("metrics-vigil.pipelines-default", "failed"),
        count("metrics-vigil.pipelines-default", "overdue"));
    out.printf(
        "    logs-vigil.app-default         %s documents (level error: %s; the shop's log files)%n",
        count("logs-vigil.app-default"), count("logs-vigil.app-default", "log.level:error"));
    out.printf(
        "    logs-vigil.alerts-default      %s documents%n", count("logs-vigil.alerts-default"));
    out.printf("    vigil-alerts (current state)   %s documents%n", count("vigil-alerts"));
    out.println();
    if (progress.sawFiringEverywhere()) {
      out.printf(
          "The incident was detected and reached Slack and email. (%.0f s in all)%n", seconds);
    } else {
      out.println("The alert did NOT reach both Slack and email: see the log below.");
    }
    out.println("Where to look next:");
    out.println("  " + dir.resolve("vigil.yaml") + "  the pipeline the demo ran, as one file");
    out.println("      for `./vigil standalone --config` (its header says what to point where)");
    out.println("  " + dir.resolve("rules.yaml") + "  the alert rules");
    out.println(
        "  " + dir.resolve("alertmanager.yml") + "  notification routing (Alertmanager format)");
    out.println("  " + dir.resolve("vigil.log") + "  the services' log");
    out.println("  README.md  configuration reference and deployment");
  }

  private void refresh() {
    try {
      send(
          HttpRequest.newBuilder(URI.create(elasticsearchUrl + "/_refresh"))
              .POST(HttpRequest.BodyPublishers.noBody()));
    } catch (IOException e) {
      // The counts below will say what is unreachable.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String count(String index) {
    return count(index, null);
  }

  /**
   * Documents in {@code index}, only those with {@code state} when it is not null ({@code
   * field:value} for another field).
   */
  private String count(String index, String state) {
    try {
      String query = state == null ? "" : "?q=" + (state.contains(":") ? state : "state:" + state);
      HttpResponse<String> response =
          send(
              HttpRequest.newBuilder(URI.create(elasticsearchUrl + "/" + index + "/_count" + query))
                  .GET());
      if (response.statusCode() == 404) {
        return "0 (no such index)";
      }
      JsonNode json = Json.mapper().readTree(response.body());
      return json.has("count") ? String.format("%,d", json.get("count").asLong()) : response.body();
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown (interrupted)";
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return http.send(
        request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
