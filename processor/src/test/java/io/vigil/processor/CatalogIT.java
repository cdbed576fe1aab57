package io.vigil.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.catalog.CatalogEntry;
import io.vigil.model.config.ConfigException;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.runtime.AdminSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog through a real broker: the file given to the processor lands on the compacted {@code
 * vigil.catalog}, the journey's run records carry its expectations, and an entry removed from the
 * file is tombstoned at the next start.
 */
@WithKafka
class CatalogIT {
  private static final Duration DEADLINE = Duration.ofSeconds(90);

  @TempDir static Path dir;

  private static EmbeddedKafka kafka;
  private static KafkaProducer<byte[], byte[]> producer;

  @BeforeAll
  static void start(EmbeddedKafka broker) {
    kafka = broker;
    producer =
        new KafkaProducer<>(
            kafka.clientProperties(), new ByteArraySerializer(), new ByteArraySerializer());
  }

  @AfterAll
  static void stop() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
  }

  @Test
  void aCatalogFileReachesTheRunsAndARemovedEntryIsTombstoned() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("catalog.yaml"),
            """
            jobs:
              - {namespace: it, name: nightly, team: data, tier: "1", expected_duration: 10s}
              - {namespace: it, name: hourly, team: ml, freshness_target: 2h}
            services:
              - {namespace: shop, name: checkout, team: payments}
            """);
    try (ProcessorService processor = startProcessor(file)) {
      awaitRunning(processor);
      assertThat(topicConfig(Topics.CATALOG).get(TopicConfig.CLEANUP_POLICY_CONFIG).value())
          .isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
      assertThat(latest(catalogRecords()))
          .containsOnlyKeys("job:it/nightly", "job:it/hourly", "service:shop/checkout");

      // nightly is expected to take 10 s; this run took 30.
      PipelineRun slow = runOf("it", "nightly", 30);
      assertThat(slow.state()).isEqualTo("complete");
      assertThat(slow.durationS()).isEqualTo(30.0);
      assertThat(slow.sla()).isEqualTo(new PipelineRun.Sla(10.0, true));
      assertThat(slow.team()).isEqualTo("data");
      assertThat(slow.tier()).isEqualTo("1");
      assertThat(runOf("it", "hourly", 5).team()).isEqualTo("ml");
    }

    // hourly and the service leave the file; nightly stays as it was.
    Files.writeString(
        file,
        """
        jobs:
          - {namespace: it, name: nightly, team: data, tier: "1", expected_duration: 10s}
        """);
    try (ProcessorService processor = startProcessor(file)) {
      awaitRunning(processor);
      List<ConsumerRecord<String, byte[]>> records = catalogRecords();
      assertThat(latest(records)).containsOnlyKeys("job:it/nightly");
      assertThat(valuesOf(records, "job:it/hourly"))
          .as("hourly: its entry, then a tombstone")
          .hasSize(2)
          .last()
          .isNull();
      assertThat(valuesOf(records, "service:shop/checkout")).hasSize(2).last().isNull();
      assertThat(valuesOf(records, "job:it/nightly"))
          .as("an unchanged entry is not written again")
          .hasSize(1);

      PipelineRun hourly = runOf("it", "hourly", 5);
      assertThat(hourly.team()).isNull();
      assertThat(hourly.sla()).isNull();
      assertThat(runOf("it", "nightly", 5).sla()).isEqualTo(new PipelineRun.Sla(10.0, false));
    }
  }

  @Test
  void aBadCatalogFileStopsTheStartNamingFileEntryAndKey() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("bad-catalog.yaml"),
            "jobs:\n  - {namespace: it, name: nightly, expected_duration: tomorrow}\n");

    assertThatThrownBy(() -> startProcessor(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            file
                + ": jobs[0].expected_duration: must be a duration such as 500ms, 10s, 5m or 1h,"
                + " was 'tomorrow' (job it/nightly)");
  }

  private static ProcessorService startProcessor(Path catalog) throws Exception {
    ProcessorConfig config =
        new ProcessorConfig(
            KafkaSettings.of(kafka.bootstrapServers()),
            "vigil-catalog-it",
            dir.resolve("state").toString(),
            null,
            null,
            null,
            null,
            null,
            new AdminSettings("127.0.0.1", 0),
            new CatalogSettings(catalog.toString()));
    return ProcessorService.start(config, new PrometheusRegistry());
  }

  /** Sends a START and a COMPLETE {@code seconds} later for a new run; returns its record. */
  private static PipelineRun runOf(String namespace, String name, int seconds) throws Exception {
    String runId = UUID.randomUUID().toString();
    Instant start = Instant.now().minusSeconds(seconds);
    for (String[] e :
        new String[][] {
          {"START", start.toString()}, {"COMPLETE", start.plusSeconds(seconds).toString()}
        }) {
      producer
          .send(
              new ProducerRecord<>(
                  Topics.LINEAGE,
                  null,
                  ("{\"eventType\":\"%s\",\"eventTime\":\"%s\",\"run\":{\"runId\":\"%s\"},"
                          + "\"job\":{\"namespace\":\"%s\",\"name\":\"%s\"}}")
                      .formatted(e[0], e[1], runId, namespace, name)
                      .getBytes(StandardCharsets.UTF_8)))
          .get();
    }
    try (KafkaConsumer<String, PipelineRun> consumer =
        new KafkaConsumer<>(
            consumerProperties(),
            new StringDeserializer(),
            JsonSerde.of(PipelineRun.class).deserializer())) {
      consumer.subscribe(List.of(Topics.PIPELINE_RUNS));
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, PipelineRun> r : consumer.poll(Duration.ofMillis(500))) {
          PipelineRun run = r.value();
          if (run.run() != null && runId.equals(run.run().id()) && "complete".equals(run.state())) {
            return run;
          }
        }
      }
    }
    throw new AssertionError("no complete record of run " + runId + " within " + DEADLINE);
  }

  /** Every record on {@code vigil.catalog} up to its current end, in offset order per key. */
  private static List<ConsumerRecord<String, byte[]>> catalogRecords() {
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            consumerProperties(), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(Topics.CATALOG).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(partitions));
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (!ends.isEmpty()) {
        assertThat(deadline - System.nanoTime()).as("read vigil.catalog to its end").isPositive();
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        ends.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
      }
    }
    return records;
  }

  private static Map<String, CatalogEntry> latest(List<ConsumerRecord<String, byte[]>> records) {
    Map<String, CatalogEntry> latest = new HashMap<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      if (r.value() == null) {
        latest.remove(r.key());
      } else {
        latest.put(
            r.key(),
            JsonSerde.of(CatalogEntry.class).deserializer().deserialize(r.topic(), r.value()));
      }
    }
    return latest;
  }

  private static List<byte[]> valuesOf(List<ConsumerRecord<String, byte[]>> records, String key) {
    List<byte[]> values = new ArrayList<>();
    records.stream().filter(r -> r.key().equals(key)).forEach(r -> values.add(r.value()));
    return values;
  }

  private static Config topicConfig(String topic) throws Exception {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      return admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
    }
  }

  private static Properties consumerProperties() {
    Properties props = kafka.clientProperties();
    props.putAll(
        Map.of(
            ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
    return props;
  }

  private static void awaitRunning(ProcessorService processor) throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!processor.isRunning()) {
      assertThat(deadline - System.nanoTime()).as("running within " + DEADLINE).isPositive();
      Thread.sleep(100); // poll interval, not synchronisation: the loop checks the condition
    }
  }
}
