package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import co.elastic.clients.elasticsearch.core.GetResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.elasticsearch.ElasticsearchIndexer;
import io.vigil.alerting.elasticsearch.ElasticsearchSettings;
import io.vigil.alerting.rules.Signals;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.junit.WithElasticsearch;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.junit.WithSmtpSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.embedded.smtp.ReceivedMail;
import io.vigil.embedded.smtp.SmtpSink;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.log.LogRecord;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@WithKafka
@WithElasticsearch
@WithSlackSink
@WithSmtpSink
class AlertingServiceIT {
  private static final Duration TIMEOUT = ServiceTestKit.TIMEOUT;

  @Test
  void highErrorRatioReachesSlackEmailElasticsearchAndKafka(
      EmbeddedKafka kafka,
      EmbeddedElasticsearch es,
      SlackSink slack,
      SmtpSink smtp,
      @TempDir Path dir)
      throws Exception {
    AlertingConfig config = ServiceTestKit.config(kafka, es, slack, smtp, dir, false);

    try (AlertingService service = AlertingService.start(config, new PrometheusRegistry());
        KafkaProducer<byte[], byte[]> producer = ServiceTestKit.producer(kafka)) {
      GoldenSignal signal = Signals.errorRatio("checkout-it", 0, 0.2);
      producer.send(record("not json at all".getBytes(StandardCharsets.UTF_8))).get();
      producer.send(record(Json.mapper().writeValueAsBytes(signal))).get();
      PipelineRun run =
          new PipelineRun(
              Signals.T0,
              PipelineRun.RUN,
              new PipelineRun.Job("dbt", "orders"),
              new PipelineRun.Run("run-it", null, null),
              "failed",
              Signals.T0.minusSeconds(60),
              Signals.T0,
              60.0,
              null,
              null,
              null,
              null);
      producer
          .send(
              new ProducerRecord<>(
                  Topics.PIPELINE_RUNS,
                  run.job().key().getBytes(StandardCharsets.UTF_8),
                  Json.mapper().writeValueAsBytes(run)))
          .get();
      LogRecord log =
          new LogRecord(
              Signals.T0,
              "otlp_logs-0-7-0",
              "payment \"declined\"",
              new LogRecord.Log("error"),
              17,
              new LogRecord.Service("checkout-it", null),
              null,
              null,
              null,
              null,
              null,
              java.util.Map.of("http.route", "/pay"));
      producer
          .send(
              new ProducerRecord<>(
                  Topics.LOGS,
                  "checkout-it".getBytes(StandardCharsets.UTF_8),
                  Json.mapper().writeValueAsBytes(log)))
          .get();
      // A final window is history: indexed, never evaluated (rules watch the live signals).
      GoldenSignal history = Signals.errorRatio("history-it", 0, 0.9);
      producer
          .send(
              new ProducerRecord<>(
                  Topics.SIGNALS,
                  history.seriesKey().getBytes(StandardCharsets.UTF_8),
                  Json.mapper().writeValueAsBytes(history)))
          .get();

      SlackPost post = slack.awaitPost(TIMEOUT);
      assertThat(post.text()).contains("[FIRING:1] HighErrorRatio").contains("checkout-it");
      assertThat(post.json().at("/attachments/0/blocks/0/text/text").asText())
          .isEqualTo("*[FIRING] HighErrorRatio*\n*Summary:* checkout-it error ratio is 0.2");
      assertThat(post.json().at("/attachments/0/color").asText()).isEqualTo("danger");

      ReceivedMail mail = smtp.awaitMessages(1, TIMEOUT).get(0);
      assertThat(mail.subject())
          .isEqualTo("[FIRING:1] HighErrorRatio (c1 shop checkout-it critical)");

      AlertTransition transition = firstTransition(kafka);
      assertThat(transition.state()).isEqualTo(AlertTransition.State.FIRING);
      assertThat(transition.labels()).containsEntry("service", "checkout-it");
      assertThat(transition.generatorUrl())
          .isEqualTo(
              "http://vigil.example.org:8890/api/v2/alerts?fingerprint="
                  + transition.fingerprint());

      try (ElasticsearchIndexer reader =
          ElasticsearchIndexer.create(
              ElasticsearchSettings.of(es.url()), new PrometheusRegistry())) {
        GetResponse<ObjectNode> doc =
            ServiceTestKit.await(
                () ->
                    reader
                        .client()
                        .get(
                            g ->
                                g.index(ElasticsearchIndexer.ALERTS_CURRENT)
                                    .id(transition.fingerprint()),
                            ObjectNode.class),
                GetResponse::found);
        assertThat(doc.source().get("state").asText()).isEqualTo("firing");
        assertThat(doc.source().at("/service/name").asText()).isEqualTo("checkout-it");
        long indexed =
            ServiceTestKit.await(
                () -> {
                  reader.client().indices().refresh(r -> r.index(ElasticsearchIndexer.SIGNALS));
                  return reader
                      .client()
                      .count(
                          c ->
                              c.index(ElasticsearchIndexer.SIGNALS)
                                  .query(q -> q.ids(i -> i.values(history.id()))))
                      .count();
                },
                n -> n == 1);
        assertThat(indexed).isEqualTo(1);
        long runs =
            ServiceTestKit.await(
                () -> {
                  reader.client().indices().refresh(r -> r.index(ElasticsearchIndexer.PIPELINES));
                  return reader
                      .client()
                      .count(
                          c ->
                              c.index(ElasticsearchIndexer.PIPELINES)
                                  .query(q -> q.term(t -> t.field("state").value("failed"))))
                      .count();
                },
                n -> n == 1);
        assertThat(runs).as("the failed run in " + ElasticsearchIndexer.PIPELINES).isEqualTo(1);
        long errors =
            ServiceTestKit.await(
                () -> {
                  reader.client().indices().refresh(r -> r.index(ElasticsearchIndexer.LOGS));
                  return reader
                      .client()
                      .count(
                          c ->
                              c.index(ElasticsearchIndexer.LOGS)
                                  .query(
                                      q ->
                                          q.bool(
                                              b ->
                                                  b.filter(
                                                          f ->
                                                              f.term(
                                                                  t ->
                                                                      t.field("log.level")
                                                                          .value("error")))
                                                      .filter(
                                                          f ->
                                                              f.match(
                                                                  m ->
                                                                      m.field("message")
                                                                          .query("declined"))))))
                      .count();
                },
                n -> n == 1);
        assertThat(errors).as("the error log in " + ElasticsearchIndexer.LOGS).isEqualTo(1);
      }

      ConsumerRecord<byte[], byte[]> dead = firstRecord(kafka, Topics.DLQ);
      assertThat(
              new String(
                  dead.headers().lastHeader(Topics.DLQ_REASON_HEADER).value(),
                  StandardCharsets.UTF_8))
          .startsWith("invalid_signal: not a valid GoldenSignal");

      JsonNode alerts =
          ServiceTestKit.await(
              () -> ServiceTestKit.get(service, "/api/v2/alerts"), a -> a.size() == 1);
      assertThat(alerts.get(0).get("fingerprint").asText()).isEqualTo(transition.fingerprint());
      assertThat(alerts.get(0).at("/status/state").asText()).isEqualTo("active");
      assertThat(alerts.get(0).at("/labels/alertname").asText()).isEqualTo("HighErrorRatio");
      assertThat(alerts.get(0).at("/receivers/0/name").asText()).isEqualTo("oncall");

      ServiceTestKit.await(service::samplesEvaluated, n -> n == 2); // the live window, the run
      ServiceTestKit.await(service::notificationsSent, n -> n == 2);
      assertThat(service.alertsFired()).isEqualTo(1);
      ServiceTestKit.await(service::ready, r -> r);
      assertThat(slack.acceptedPosts()).hasSize(1);
    }
  }

  private static ProducerRecord<byte[], byte[]> record(byte[] value) {
    return new ProducerRecord<>(
        Topics.SIGNALS_LIVE, "c1/shop/checkout-it/".getBytes(StandardCharsets.UTF_8), value);
  }

  private static AlertTransition firstTransition(EmbeddedKafka kafka) throws Exception {
    return Json.mapper()
        .readValue(firstRecord(kafka, Topics.ALERTS).value(), AlertTransition.class);
  }

  private static ConsumerRecord<byte[], byte[]> firstRecord(EmbeddedKafka kafka, String topic)
      throws Exception {
    Properties props = kafka.clientProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + topic);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (got.isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(got::add);
      }
      assertThat(got).as("records on " + topic).isNotEmpty();
      return got.get(0);
    }
  }
}
