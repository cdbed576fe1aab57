package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.elasticsearch.IndexingLoop;
import io.vigil.alerting.rules.Signals;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@WithKafka
@WithSlackSink
class AlertingServiceElasticsearchDownIT {
  /** The measurement: an Elasticsearch outage delayed pages by over a minute. */
  @Test
  void elasticsearchDownNeverDelaysANotificationAndIndexesNothing(
      EmbeddedKafka kafka, SlackSink slack, @TempDir Path dir) throws Exception {
    AlertingConfig config =
        ServiceTestKit.withoutElasticsearch(kafka, slack, dir, "{receiver: r, group_wait: 0s}");

    try (AlertingService service = AlertingService.start(config, new PrometheusRegistry());
        KafkaProducer<byte[], byte[]> producer = ServiceTestKit.producer(kafka)) {
      producer
          .send(
              new ProducerRecord<>(
                  Topics.SIGNALS_LIVE,
                  null,
                  Json.mapper().writeValueAsBytes(Signals.errorRatio(0, 0.2))))
          .get();

      assertThat(slack.awaitPost(ServiceTestKit.TIMEOUT).text())
          .contains("[FIRING:1] HighErrorRatio");
      String body = awaitNotReady(service, "indexer");
      assertThat(body)
          .contains("elasticsearch")
          .doesNotContain("delivery")
          .doesNotContain("streams");
      try (Admin admin = Admin.create(kafka.clientProperties())) {
        assertThat(
                admin
                    .listConsumerGroupOffsets(IndexingLoop.GROUP_ID)
                    .partitionsToOffsetAndMetadata()
                    .get()
                    .values())
            .as("the indexer commits nothing it could not index")
            .allSatisfy(offset -> assertThat(offset).isNull());
      }
    }
  }

  private static String awaitNotReady(AlertingService service, String check) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest readyz =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.adminPort() + "/readyz"))
            .build();
    return ServiceTestKit.await(
            () -> http.send(readyz, HttpResponse.BodyHandlers.ofString()),
            response -> response.statusCode() == 503 && response.body().contains(check))
        .body();
  }
}
