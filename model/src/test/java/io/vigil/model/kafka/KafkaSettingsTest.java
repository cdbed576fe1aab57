package io.vigil.model.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.model.config.ConfigException;
import io.vigil.model.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSettingsTest {

  private static KafkaSettings load(Path dir, String yaml) throws Exception {
    Path file = Files.writeString(dir.resolve("kafka.yaml"), yaml);
    return ConfigLoader.load(file, Map.of(), KafkaSettings.class);
  }

  @Test
  void eachClientGetsTheSharedOverridesItKnowsThenItsOwn(@TempDir Path dir) throws Exception {
    KafkaSettings kafka =
        load(
            dir,
            """
            bootstrap_servers: k1:9093
            overrides: {security.protocol: SSL, linger.ms: "20", commit.interval.ms: "500"}
            producer: {linger.ms: "50", compression.type: zstd}
            consumer: {fetch.max.wait.ms: "100"}
            streams: {num.stream.threads: "2", producer.batch.size: "65536"}
            admin: {request.timeout.ms: "5000"}
            """);

    Properties producer = kafka.producer(Map.of("linger.ms", "5", "client.id", "p"));
    assertThat(producer)
        .containsEntry("bootstrap.servers", "k1:9093")
        .containsEntry("security.protocol", "SSL")
        .containsEntry("linger.ms", "50") // its own map wins over the shared one, both over Vigil's
        .containsEntry("compression.type", "zstd")
        .containsEntry("client.id", "p")
        .doesNotContainKey("commit.interval.ms") // a Streams key: a producer would only warn
        .doesNotContainKey("fetch.max.wait.ms");

    Properties consumer = kafka.consumer(Map.of());
    assertThat(consumer)
        .containsEntry("security.protocol", "SSL")
        .containsEntry("fetch.max.wait.ms", "100")
        .doesNotContainKeys("linger.ms", "compression.type");

    Properties streams = kafka.streams(Map.of("commit.interval.ms", "50"));
    assertThat(streams)
        .containsEntry("commit.interval.ms", "500")
        .containsEntry("linger.ms", "20")
        .containsEntry("num.stream.threads", "2")
        .containsEntry("producer.batch.size", "65536");

    assertThat(kafka.admin(Map.of()))
        .containsEntry("security.protocol", "SSL")
        .containsEntry("request.timeout.ms", "5000")
        .doesNotContainKey("linger.ms");
  }

  @Test
  void refusesEveryKeyAGuaranteeDependsOnNamingKeyAndGuarantee(@TempDir Path dir) {
    assertThatThrownBy(() -> load(dir, "producer: {acks: \"1\"}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("kafka.producer.acks: Vigil sets this itself: acks=all")
        .hasMessageEndingWith("was '1'");
    assertThatThrownBy(() -> load(dir, "overrides: {enable.idempotence: \"false\"}"))
        .hasMessageStartingWith("kafka.overrides.enable.idempotence: Vigil sets this itself");
    assertThatThrownBy(() -> load(dir, "consumer: {isolation.level: read_uncommitted}"))
        .hasMessageContaining("kafka.consumer.isolation.level")
        .hasMessageContaining("read_committed");
    assertThatThrownBy(() -> load(dir, "consumer: {enable.auto.commit: \"true\"}"))
        .hasMessageContaining("kafka.consumer.enable.auto.commit");
    assertThatThrownBy(() -> load(dir, "streams: {processing.guarantee: at_least_once}"))
        .hasMessageContaining("kafka.streams.processing.guarantee")
        .hasMessageContaining("exactly_once_v2");
    assertThatThrownBy(() -> load(dir, "streams: {producer.acks: \"1\"}"))
        .hasMessageStartingWith("kafka.streams.producer.acks: Vigil sets this itself");
    assertThatThrownBy(() -> load(dir, "streams: {main.consumer.isolation.level: x}"))
        .hasMessageStartingWith("kafka.streams.main.consumer.isolation.level");
    assertThatThrownBy(() -> load(dir, "producer: {transactional.id: mine}"))
        .hasMessageStartingWith("kafka.producer.transactional.id");
  }

  @Test
  void refusesAKeyTheClientDoesNotKnow(@TempDir Path dir) {
    assertThatThrownBy(() -> load(dir, "producer: {lingr.ms: \"5\"}"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "kafka.producer.lingr.ms: not a Kafka producer setting (a misspelt key would be"
                + " ignored), was '5'");
    assertThatThrownBy(() -> load(dir, "consumer: {linger.ms: \"5\"}"))
        .hasMessageStartingWith("kafka.consumer.linger.ms: not a Kafka consumer setting");
    assertThatThrownBy(() -> load(dir, "overrides: {securty.protocol: SSL}"))
        .hasMessageStartingWith("kafka.overrides.securty.protocol: not a Kafka client setting");
    assertThatThrownBy(() -> load(dir, "streams: {producer.lingr.ms: \"5\"}"))
        .hasMessageStartingWith("kafka.streams.producer.lingr.ms: not a Kafka Streams setting");
  }

  @Test
  void acceptsSecurityAndTopicSettingsWhereTheyBelong(@TempDir Path dir) throws Exception {
    KafkaSettings kafka =
        load(
            dir,
            """
            overrides:
              security.protocol: SASL_SSL
              sasl.mechanism: SCRAM-SHA-512
              sasl.jaas.config: x
              ssl.truststore.location: /etc/kafka/truststore.jks
            streams: {topic.min.insync.replicas: "2", restore.consumer.max.poll.records: "1000"}
            """);

    assertThat(kafka.producer(Map.of())).containsEntry("sasl.mechanism", "SCRAM-SHA-512");
    assertThat(kafka.streams(Map.of())).containsEntry("topic.min.insync.replicas", "2");
  }
}
