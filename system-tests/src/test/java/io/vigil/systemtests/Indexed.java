package io.vigil.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.alerting.elasticsearch.Documents;
import io.vigil.alerting.elasticsearch.ElasticsearchIndexer;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.log.LogRecord;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What the alert engine's indexer must have written to Elasticsearch: each topic it reads, where it
 * writes it, and the id it gives a record's document ({@link Documents}, the indexer's own). A
 * topic is indexed when the ids of its records (read_committed, to its end as it is now) are the
 * ids of the target's documents, each once: a record indexed twice into two backing indices would
 * show as a repeated id.
 *
 * @param topic the topic the indexer reads
 * @param target the data stream (or index) it writes to
 * @param id the id of a record's document, from the record's value
 */
record Indexed(String topic, String target, Function<byte[], String> id) {
  /** Every topic the indexer reads (signals, pipeline runs, logs, alert transitions). */
  static final List<Indexed> ALL =
      List.of(
          new Indexed(
              Topics.SIGNALS,
              ElasticsearchIndexer.SIGNALS,
              value ->
                  Documents.signal(ElasticsearchIndexer.SIGNALS, read(GoldenSignal.class, value))
                      .id()),
          new Indexed(
              Topics.PIPELINE_RUNS,
              ElasticsearchIndexer.PIPELINES,
              value ->
                  Documents.pipelineRun(
                          ElasticsearchIndexer.PIPELINES, read(PipelineRun.class, value))
                      .id()),
          new Indexed(
              Topics.LOGS,
              ElasticsearchIndexer.LOGS,
              value -> Documents.log(ElasticsearchIndexer.LOGS, read(LogRecord.class, value)).id()),
          new Indexed(
              Topics.ALERTS,
              ElasticsearchIndexer.ALERTS_HISTORY,
              value ->
                  Documents.transition(
                          ElasticsearchIndexer.ALERTS_HISTORY, read(AlertTransition.class, value))
                      .id()));

  /** Every index and data stream the indexer writes, the current alert state's index too. */
  private static final List<String> TARGETS =
      List.of(
          ElasticsearchIndexer.SIGNALS,
          ElasticsearchIndexer.PIPELINES,
          ElasticsearchIndexer.LOGS,
          ElasticsearchIndexer.ALERTS_HISTORY,
          ElasticsearchIndexer.ALERTS_CURRENT);

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /**
   * One look at a topic and its target: the distinct ids of its records, and its documents' ids
   * with repeats kept.
   *
   * @param indexed which topic
   * @param records the ids the topic's records give their documents
   * @param documents the ids of the documents found, one entry per document
   */
  record Seen(Indexed indexed, Set<String> records, List<String> documents) {
    /** Every record is one document, and there is no other. */
    boolean complete() {
      return documents.size() == records.size() && new TreeSet<>(documents).equals(records);
    }

    /** Ids found on more than one document. */
    Set<String> repeated() {
      Set<String> seen = new TreeSet<>();
      Set<String> repeated = new TreeSet<>();
      for (String id : documents) {
        if (!seen.add(id)) {
          repeated.add(id);
        }
      }
      return repeated;
    }
  }

  /** This topic's records and its target's documents, as they are now. */
  Seen look(String bootstrap, URI elasticsearch) {
    return new Seen(this, recordIds(bootstrap), documentIds(elasticsearch, target));
  }

  private Set<String> recordIds(String bootstrap) {
    Set<String> ids = new TreeSet<>();
    Outcome.toEnd(
        bootstrap,
        topic,
        r -> {
          if (r.value() != null) {
            ids.add(id.apply(r.value()));
          }
        });
    return ids;
  }

  /**
   * The ids of every document in {@code target}, one entry per document, read after a refresh
   * through a point in time ({@code search_after} on {@code _shard_doc}, so any number of them);
   * none when it does not exist yet.
   */
  static List<String> documentIds(URI elasticsearch, String target) {
    return documents(elasticsearch, target).stream().map(Document::id).toList();
  }

  /** One document: the (backing) index that holds it, and its id. */
  private record Document(String index, String id) {}

  private static List<Document> documents(URI elasticsearch, String target) {
    if (send(elasticsearch, "POST", "/" + target + "/_refresh", null).statusCode() == 404) {
      return List.of();
    }
    HttpResponse<String> opened =
        expect(send(elasticsearch, "POST", "/" + target + "/_pit?keep_alive=1m", null), 200);
    String pit = tree(opened).path("id").asText();
    List<Document> documents = new ArrayList<>();
    try {
      JsonNode after = null;
      while (true) {
        ObjectNode query = Json.mapper().createObjectNode();
        query.put("size", 10_000).put("_source", false).put("track_total_hits", false);
        query.putObject("pit").put("id", pit).put("keep_alive", "1m");
        query.putArray("sort").addObject().put("_shard_doc", "asc");
        if (after != null) {
          query.set("search_after", after);
        }
        JsonNode hits =
            tree(expect(send(elasticsearch, "POST", "/_search", query.toString()), 200))
                .path("hits")
                .path("hits");
        if (hits.isEmpty()) {
          return documents;
        }
        for (JsonNode hit : hits) {
          documents.add(new Document(hit.path("_index").asText(), hit.path("_id").asText()));
        }
        after = hits.get(hits.size() - 1).path("sort");
      }
    } finally {
      send(elasticsearch, "DELETE", "/_pit", "{\"id\": \"" + pit + "\"}");
    }
  }

  /**
   * Deletes every document the indexer wrote, one by one (the launcher's Elasticsearch build has
   * neither {@code DELETE _data_stream} nor {@code _delete_by_query}), so that a scenario finds
   * only its own; the data streams and index templates stay.
   */
  static void clear(URI elasticsearch) {
    for (String target : TARGETS) {
      List<Document> documents = documents(elasticsearch, target);
      for (int from = 0; from < documents.size(); from += 5_000) {
        StringBuilder bulk = new StringBuilder();
        for (Document d : documents.subList(from, Math.min(from + 5_000, documents.size()))) {
          ObjectNode action = Json.mapper().createObjectNode();
          action.putObject("delete").put("_index", d.index()).put("_id", d.id());
          bulk.append(action).append('\n');
        }
        HttpResponse<String> deleted =
            expect(send(elasticsearch, "POST", "/_bulk?refresh=true", bulk.toString()), 200);
        if (tree(deleted).path("errors").asBoolean()) {
          throw new IllegalStateException("Elasticsearch refused a delete: " + deleted.body());
        }
      }
    }
  }

  private static <T> T read(Class<T> type, byte[] value) {
    return JsonSerde.of(type).deserializer().deserialize(null, value);
  }

  private static HttpResponse<String> send(
      URI elasticsearch, String method, String path, String json) {
    HttpRequest.Builder request = HttpRequest.newBuilder(elasticsearch.resolve(path));
    request.header("Content-Type", "application/json");
    request.method(
        method,
        json == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(json));
    try {
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static HttpResponse<String> expect(HttpResponse<String> response, int status) {
    if (response.statusCode() != status) {
      throw new IllegalStateException(
          "Elasticsearch answered "
              + response.statusCode()
              + " to "
              + response.request().method()
              + " "
              + response.request().uri()
              + ": "
              + response.body());
    }
    return response;
  }

  private static JsonNode tree(HttpResponse<String> response) {
    try {
      return Json.mapper().readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
