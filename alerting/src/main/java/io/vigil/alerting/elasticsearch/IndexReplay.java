package io.vigil.alerting.elasticsearch;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch.core.SearchRequest;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.search.Hit;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.elasticsearch.client.RestClient;

/**
 * Reads the documents of an index (or data stream) once, in {@code @timestamp} order, for a time
 * range — what {@link io.vigil.model.kafka.TopicReplay} is for a topic. Pages through a point in
 * time with {@code search_after}, so documents indexed meanwhile neither shift nor repeat a page
 * and no page is deeper than {@value #PAGE} hits. Writes nothing.
 */
public final class IndexReplay implements AutoCloseable {
  /** Hits per page. */
  static final int PAGE = 1000;

  /** How long the point in time is kept between two pages. */
  private static final String KEEP_ALIVE = "2m";

  private final String url;
  private final RestClient rest;
  private final ElasticsearchClient client;

  private IndexReplay(String url, RestClient rest) {
    this.url = url;
    this.rest = rest;
    this.client =
        new ElasticsearchClient(
            new RestClientTransport(rest, new JacksonJsonpMapper(Json.mapper().copy())));
  }

  /** A reader of the cluster at {@code settings}; nothing is sent until {@link #replay}. */
  public static IndexReplay open(ElasticsearchSettings settings) {
    return new IndexReplay(settings.url(), RestClients.of(settings));
  }

  /**
   * Hands every document of {@code index} whose {@code @timestamp} is in {@code [from, to]} to
   * {@code sink}, oldest first.
   *
   * @return how many documents were handed over
   * @throws IllegalStateException when the index does not exist, or Elasticsearch cannot be reached
   *     or refuses the search; the message names the URL and the index
   */
  public long replay(String index, Instant from, Instant to, Consumer<ObjectNode> sink) {
    String pit;
    try {
      pit = client.openPointInTime(o -> o.index(index).keepAlive(k -> k.time(KEEP_ALIVE))).id();
    } catch (ElasticsearchException e) {
      throw refused(index, e);
    } catch (IOException e) {
      throw unreachable(e);
    }
    long read = 0;
    try {
      List<FieldValue> after = null;
      while (true) {
        SearchResponse<ObjectNode> page =
            client.search(page(pit, from, to, after), ObjectNode.class);
        if (page.pitId() != null) {
          pit = page.pitId();
        }
        List<Hit<ObjectNode>> hits = page.hits().hits();
        for (Hit<ObjectNode> hit : hits) {
          if (hit.source() != null) {
            sink.accept(hit.source());
            read++;
          }
        }
        if (hits.size() < PAGE) {
          return read;
        }
        after = hits.get(hits.size() - 1).sort();
      }
    } catch (ElasticsearchException e) {
      throw refused(index, e);
    } catch (IOException e) {
      throw unreachable(e);
    } finally {
      close(pit);
    }
  }

  private static SearchRequest page(String pit, Instant from, Instant to, List<FieldValue> after) {
    return SearchRequest.of(
        s -> {
          s.pit(p -> p.id(pit).keepAlive(k -> k.time(KEEP_ALIVE)))
              .size(PAGE)
              .trackTotalHits(t -> t.enabled(false))
              .query(
                  q ->
                      q.range(
                          r ->
                              r.date(
                                  d ->
                                      d.field("@timestamp")
                                          .gte(from.toString())
                                          .lte(to.toString()))))
              // The point in time adds its own tie-breaker (_shard_doc) after this.
              .sort(o -> o.field(f -> f.field("@timestamp").order(SortOrder.Asc)));
          if (after != null) {
            s.searchAfter(after);
          }
          return s;
        });
  }

  private void close(String pit) {
    try {
      client.closePointInTime(c -> c.id(pit));
    } catch (IOException | RuntimeException e) {
      // It expires on its own after KEEP_ALIVE.
    }
  }

  private IllegalStateException refused(String index, ElasticsearchException e) {
    if (e.status() == 404
        && e.error() != null
        && "index_not_found_exception".equals(e.error().type())) {
      return new IllegalStateException("index " + index + " does not exist on " + url, e);
    }
    return new IllegalStateException(
        "Elasticsearch at " + url + " refused to search " + index + ": " + e.getMessage(), e);
  }

  private IllegalStateException unreachable(IOException e) {
    return new IllegalStateException("cannot reach Elasticsearch at " + url + ": " + e, e);
  }

  @Override
  public void close() {
    try {
      rest.close();
    } catch (IOException e) {
      // Nothing was written: nothing is lost.
    }
  }
}
