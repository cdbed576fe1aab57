package io.vigil.embedded.junit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.elasticsearch.EsHttp;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.embedded.smtp.SmtpSink;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

@WithKafka
@WithElasticsearch
@WithSlackSink
@WithSmtpSink
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExtensionsIT {
  private static EmbeddedKafka kafkaInBeforeAll;
  private static EmbeddedElasticsearch elasticsearchInBeforeAll;
  private final SlackSink slackInConstructor;

  ExtensionsIT(SlackSink slack) {
    this.slackInConstructor = slack;
  }

  @BeforeAll
  static void setUp(EmbeddedKafka kafka, EmbeddedElasticsearch elasticsearch) {
    kafkaInBeforeAll = kafka;
    elasticsearchInBeforeAll = elasticsearch;
    kafka.createTopics(1, "vigil.alerts");
  }

  @Test
  @Order(1)
  void injectsTheSameServersEverywhereInAClass(
      EmbeddedKafka kafka, EmbeddedElasticsearch elasticsearch, SlackSink slack, SmtpSink smtp)
      throws Exception {
    assertThat(kafka).isSameAs(kafkaInBeforeAll);
    assertThat(elasticsearch).isSameAs(elasticsearchInBeforeAll);
    assertThat(slack).isSameAs(slackInConstructor);
    assertThat(smtp.port()).isPositive();
    assertThat(elasticsearch).isSameAs(SeenServers.firstElasticsearch(elasticsearch));
    assertThat(SeenServers.KAFKAS).doesNotContain(kafka);
    SeenServers.KAFKAS.add(kafka);
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      assertThat(admin.listTopics().names().get()).contains("vigil.alerts");
    }
    assertThat(new EsHttp(elasticsearch.url()).send("GET", "/_cluster/health", null).status())
        .isEqualTo(200);
    post(slack, "{\"text\":\"left over\"}");
    slack.failNext(5, 500, null);
  }

  @Test
  @Order(2)
  void clearsTheSlackSinkBetweenTests(SlackSink slack) throws Exception {
    assertThat(slack.posts()).isEmpty();
    assertThat(post(slack, "{}")).isEqualTo(200); // injected failures were cleared too
  }

  /**
   * What the integ-test distribution does with data streams (it has no data-streams module): an
   * index template with {@code data_stream} makes the first write create the stream, and search,
   * count and rollover work; the {@code _data_stream} API itself is missing (405).
   */
  @Test
  @Order(3)
  void dataStreamsAreCreatedByTemplatesButTheirApiIsMissing(EmbeddedElasticsearch elasticsearch) {
    EsHttp http = new EsHttp(elasticsearch.url());
    assertThat(
            http.send(
                    "PUT",
                    "/_index_template/extensions-it",
                    "{\"index_patterns\":[\"logs-extit-*\"],\"data_stream\":{},\"priority\":500}")
                .status())
        .isEqualTo(200);

    EsHttp.Answer written =
        http.send(
            "POST",
            "/logs-extit-default/_doc?refresh=true",
            "{\"@timestamp\":\"2026-01-01T00:00:00Z\"}");
    assertThat(written.status()).isEqualTo(201);
    assertThat(written.json().path("_index").asText()).startsWith(".ds-logs-extit-default-");
    assertThat(http.send("GET", "/logs-extit-default/_count", null).json().path("count").asInt())
        .isEqualTo(1);
    assertThat(http.send("GET", "/_data_stream/logs-extit-default", null).status()).isEqualTo(405);
  }

  @Nested
  class WhenNested {
    @Test
    void reusesTheEnclosingClassServers(EmbeddedKafka kafka, SlackSink slack) {
      assertThat(kafka).isSameAs(kafkaInBeforeAll);
      assertThat(slack).isSameAs(slackInConstructor);
    }
  }

  private static int post(SlackSink slack, String json) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(slack.webhookUrl()))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }
}
