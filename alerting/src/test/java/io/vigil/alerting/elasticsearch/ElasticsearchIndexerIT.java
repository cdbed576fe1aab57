package io.vigil.alerting.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch.core.GetResponse;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.notify.Backoff;
import io.vigil.alerting.rules.Signals;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.junit.WithElasticsearch;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.signal.GoldenSignal;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@WithElasticsearch
class ElasticsearchIndexerIT {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private ElasticsearchIndexer indexer;
  private ElasticsearchClient client;

  @BeforeEach
  void start(EmbeddedElasticsearch es) throws Exception {
    indexer =
        ElasticsearchIndexer.create(
            ElasticsearchSettings.of(es.url()),
            registry,
            new Backoff(Duration.ofMillis(50), Duration.ofSeconds(1), 3),
            d -> Thread.sleep(d.toMillis()));
    indexer.installTemplates();
    client = indexer.client();
  }

  @AfterEach
  void stop() throws Exception {
    indexer.close();
  }

  @Test
  void installsTheThreeTemplates() throws Exception {
    for (String name : List.of("vigil-signals", "vigil-alerts-history", "vigil-alerts-current")) {
      assertThat(client.indices().getIndexTemplate(g -> g.name(name)).indexTemplates())
          .as(name)
          .singleElement()
          .satisfies(t -> assertThat(t.indexTemplate().priority()).isEqualTo(200L));
    }
    assertThat(indexer.healthy()).isTrue();
  }

  @Test
  void reDeliveredSignalIsIndexedOnce() throws Exception {
    GoldenSignal signal = Signals.errorRatio("svc-" + UUID.randomUUID(), 0, 0.2);

    BulkResult first = indexer.index(List.of(signal), List.of());
    BulkResult second = indexer.index(List.of(signal), List.of());

    assertThat(first.indexed()).isEqualTo(1);
    assertThat(second.indexed()).isZero();
    assertThat(second.duplicates()).isEqualTo(1);
    assertThat(second.failures()).isEmpty();
    client.indices().refresh(r -> r.index(ElasticsearchIndexer.SIGNALS));
    long count =
        client
            .count(
                c ->
                    c.index(ElasticsearchIndexer.SIGNALS)
                        .query(q -> q.term(t -> t.field("event.id").value(signal.id()))))
            .count();
    assertThat(count).isEqualTo(1);
  }

  @Test
  void currentAlertStateIsOverwrittenByFingerprint() throws Exception {
    AlertTransition firing = Alerts.firing("checkout error ratio is 0.2");
    AlertTransition resolved = Alerts.resolved();

    indexer.index(List.of(), List.of(firing));
    indexer.index(List.of(), List.of(resolved));

    GetResponse<ObjectNode> current =
        client.get(
            g -> g.index(ElasticsearchIndexer.ALERTS_CURRENT).id(firing.fingerprint()),
            ObjectNode.class);
    assertThat(current.found()).isTrue();
    assertThat(current.source().get("state").asText()).isEqualTo("resolved");
    assertThat(current.source().get("endsAt").asText()).isEqualTo("2024-05-01T12:01:00Z");
    client.indices().refresh(r -> r.index(ElasticsearchIndexer.ALERTS_HISTORY));
    long history =
        client
            .count(
                c ->
                    c.index(ElasticsearchIndexer.ALERTS_HISTORY)
                        .query(
                            q -> q.term(t -> t.field("fingerprint").value(firing.fingerprint()))))
            .count();
    assertThat(history).isEqualTo(2);
  }

  @Test
  void badDocumentIsReportedPerItemWithoutBlockingTheOthers() throws Exception {
    GoldenSignal good = Signals.errorRatio("svc-" + UUID.randomUUID(), 0, 0.1);
    ObjectNode bad = Json.mapper().createObjectNode();
    bad.put("@timestamp", "2024-05-01T12:00:00Z");
    bad.putObject("errors").put("ratio", "not-a-number");
    String badId = "bad-" + UUID.randomUUID();

    BulkResult result =
        indexer.bulk(
            List.of(
                new IndexDocument(ElasticsearchIndexer.SIGNALS, badId, true, bad),
                Documents.signal(ElasticsearchIndexer.SIGNALS, good)));

    assertThat(result.indexed()).isEqualTo(1);
    assertThat(result.failures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.id()).isEqualTo(badId);
              assertThat(f.status()).isEqualTo(400);
              assertThat(f.reason()).endsWith("parsing_exception");
              assertThat(f.message()).contains("errors.ratio");
            });
    CounterSnapshot failures =
        (CounterSnapshot)
            registry.scrape().stream()
                .filter(m -> m.getMetadata().getName().equals("vigil_alerting_es_failures"))
                .findFirst()
                .orElseThrow();
    assertThat(failures.getDataPoints())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.getLabels().get("index")).isEqualTo(ElasticsearchIndexer.SIGNALS);
              assertThat(d.getLabels().get("reason")).endsWith("parsing_exception");
              assertThat(d.getValue()).isEqualTo(1.0);
            });
  }
}
