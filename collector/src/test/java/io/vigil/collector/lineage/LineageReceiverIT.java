package io.vigil.collector.lineage;

import static org.assertj.core.api.Assertions.assertThat;

import io.openlineage.client.OpenLineage;
import io.openlineage.client.OpenLineageClient;
import io.openlineage.client.transports.HttpConfig;
import io.openlineage.client.transports.HttpTransport;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.CollectorService;
import io.vigil.collector.TestRequests;
import io.vigil.collector.TopicTail;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /api/v1/lineage} as Airflow, dbt and Spark reach it: through the OpenLineage Java
 * client's HTTP transport, into {@code vigil.lineage} on a real broker, keyed by job.
 */
@WithKafka
class LineageReceiverIT {
  private final HttpClient http = HttpClient.newHttpClient();

  private static CollectorService start(EmbeddedKafka kafka) throws Exception {
    return CollectorService.start(
        TestRequests.localCollector(kafka.bootstrapServers()), new PrometheusRegistry());
  }

  @Test
  void storesEventsFromTheOpenLineageClientKeyedByJob(EmbeddedKafka kafka) throws Exception {
    try (CollectorService collector = start(kafka);
        TopicTail tail = new TopicTail(kafka.bootstrapServers(), Topics.LINEAGE)) {
      HttpConfig config = new HttpConfig();
      config.setUrl(URI.create("http://127.0.0.1:" + collector.otlpHttpPort()));
      OpenLineage ol = new OpenLineage(URI.create("https://github.com/vigil/tests"));
      UUID runId = UUID.randomUUID();
      try (OpenLineageClient client = new OpenLineageClient(new HttpTransport(config))) {
        for (OpenLineage.RunEvent.EventType type :
            List.of(
                OpenLineage.RunEvent.EventType.START, OpenLineage.RunEvent.EventType.COMPLETE)) {
          client.emit(
              ol.newRunEventBuilder()
                  .eventType(type)
                  .eventTime(ZonedDateTime.now())
                  .run(ol.newRunBuilder().runId(runId).build())
                  .job(ol.newJobBuilder().namespace("airflow").name("orders.load").build())
                  .build());
        }
      }

      List<ConsumerRecord<byte[], byte[]>> stored = tail.await(2, Duration.ofSeconds(30));
      assertThat(stored).hasSize(2);
      assertThat(new String(stored.get(0).key(), StandardCharsets.UTF_8))
          .isEqualTo("airflow/orders.load");
      assertThat(Json.mapper().readTree(stored.get(1).value()).get("eventType").asText())
          .isEqualTo("COMPLETE");
      assertThat(collector.lineageEventsAccepted()).isEqualTo(2);
    }
  }

  @Test
  void answersBadEventsWith400NamingTheField(EmbeddedKafka kafka) throws Exception {
    try (CollectorService collector = start(kafka)) {
      String url = "http://127.0.0.1:" + collector.otlpHttpPort() + LineageEvents.PATH;
      HttpResponse<String> missing =
          post(
              url,
              "{\"eventTime\":\"2024-11-26T13:05:39Z\",\"producer\":\"p\","
                  + "\"run\":{\"runId\":\"r\"},\"job\":{\"namespace\":\"a\"}}");
      HttpResponse<String> badTime =
          post(
              url,
              "{\"eventTime\":\"yesterday\",\"producer\":\"p\",\"run\":{\"runId\":\"r\"},"
                  + "\"job\":{\"namespace\":\"a\",\"name\":\"b\"}}");
      HttpResponse<String> notJson = post(url, "{oops");
      HttpResponse<String> get =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(missing.statusCode()).isEqualTo(400);
      assertThat(missing.body()).contains("job.name: required");
      assertThat(badTime.statusCode()).isEqualTo(400);
      assertThat(badTime.body()).contains("eventTime").contains("'yesterday'");
      assertThat(notJson.statusCode()).isEqualTo(400);
      assertThat(notJson.body()).contains("not JSON").contains("line 1");
      assertThat(get.statusCode()).isEqualTo(405);
      assertThat(collector.lineageEventsAccepted()).isZero();
      assertThat(collector.requestsRejected()).isEqualTo(4);
    }
  }

  private HttpResponse<String> post(String url, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
