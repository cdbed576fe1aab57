package io.vigil.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Elasticsearch queries of the shipped Grafana dashboards, run as Grafana would run them with
 * every variable at "All": each panel target's Lucene query against the index its data source names
 * (from the provisioning file), as an Elasticsearch {@code _count}.
 */
final class DashboardQueries {
  private static final Path ROOT = Path.of("..", "dashboards", "grafana");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One panel target: where it is, the index it reads and its query with variables at "All". */
  record Query(String dashboard, String panel, String index, String lucene) {
    @Override
    public String toString() {
      return dashboard + " › " + panel + " [" + index + "]: " + lucene;
    }
  }

  private DashboardQueries() {}

  /** Every Elasticsearch panel target of every dashboard. */
  static List<Query> all() {
    Map<String, String> indexByUid = new HashMap<>();
    try {
      JsonNode datasources =
          new ObjectMapper(new YAMLFactory())
              .readTree(ROOT.resolve("provisioning/datasources/vigil.yaml").toFile());
      for (JsonNode ds : datasources.path("datasources")) {
        if ("elasticsearch".equals(ds.path("type").asText())) {
          indexByUid.put(ds.path("uid").asText(), ds.at("/jsonData/index").asText());
        }
      }
      List<Query> queries = new ArrayList<>();
      try (Stream<Path> files = Files.list(ROOT.resolve("dashboards"))) {
        for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
          JsonNode dashboard = JSON.readTree(file.toFile());
          collect(file.getFileName().toString(), dashboard.path("panels"), indexByUid, queries);
        }
      }
      return queries;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void collect(
      String dashboard, JsonNode panels, Map<String, String> indexByUid, List<Query> out) {
    for (JsonNode panel : panels) {
      collect(dashboard, panel.path("panels"), indexByUid, out); // panels inside rows
      for (JsonNode target : panel.path("targets")) {
        JsonNode source =
            target.has("datasource") ? target.path("datasource") : panel.path("datasource");
        String index = indexByUid.get(source.path("uid").asText());
        if (index != null && target.has("query")) {
          out.add(
              new Query(
                  dashboard,
                  panel.path("title").asText(),
                  index,
                  target.path("query").asText().replaceAll("\\$\\{?\\w+(:\\w+)?}?", "*")));
        }
      }
    }
  }

  /**
   * How many documents {@code query} matches in the Elasticsearch at {@code url} (0 when its index
   * does not exist yet).
   *
   * @throws AssertionError when Elasticsearch refuses the query, with its answer
   */
  static long count(HttpClient http, String url, Query query) {
    try {
      String body =
          JSON.writeValueAsString(
              Map.of(
                  "query",
                  Map.of(
                      "query_string",
                      Map.of(
                          "query",
                          query.lucene().isBlank() ? "*" : query.lucene(),
                          "analyze_wildcard",
                          true))));
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          url
                              + "/"
                              + query.index()
                              + "/_count?ignore_unavailable=true&allow_no_indices=true"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (answer.statusCode() != 200) {
        throw new AssertionError(
            "Elasticsearch refused " + query + ": " + answer.statusCode() + " " + answer.body());
      }
      return JSON.readTree(answer.body()).path("count").asLong();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
