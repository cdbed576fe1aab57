package io.vigil.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.model.config.ConfigException;
import io.vigil.model.config.ConfigLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class ProcessorConfigTest {
  @Test
  void defaultsMatchTheDocumentation() {
    ProcessorConfig config = ConfigLoader.load("", Map.of(), ProcessorConfig.class);

    assertThat(config).isEqualTo(ProcessorConfig.defaults());
    assertThat(config.kafka().bootstrapServers()).isEqualTo("127.0.0.1:9092");
    assertThat(config.applicationId()).isEqualTo("vigil-processor");
    assertThat(config.stateDir())
        .isEqualTo(Path.of(System.getProperty("java.io.tmpdir"), "vigil-processor").toString());
    assertThat(config.window()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.grace()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.emitInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(config.maxClockSkew()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.pipelines().overdueAfter()).isEqualTo(Duration.ofHours(6));
    assertThat(config.pipelines().freshnessInterval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.admin().host()).isEqualTo("0.0.0.0");
    assertThat(config.adminPort()).isEqualTo(8889);
    assertThat(config.catalog().file()).as("no catalog: vigil.catalog is left alone").isNull();
    assertThat(config.maxOperationsPerService()).isEqualTo(100);
  }

  @Test
  void readsEveryKey() {
    String yaml =
        """
        kafka:
          bootstrap_servers: ${KAFKA:-localhost:9092}
          overrides: {commit.interval.ms: "1000", session.timeout.ms: "30000", linger.ms: "20"}
        application_id: vigil-processor-eu
        state_dir: /var/lib/vigil
        window: 1m
        grace: 0s
        emit_interval: 250ms
        max_clock_skew: 30s
        pipelines: {overdue_after: 2h, freshness_interval: 30s}
        admin: {host: 127.0.0.1, port: 0}
        catalog: {file: /etc/vigil/catalog.yaml}
        """;
    ProcessorConfig config =
        ConfigLoader.load(yaml, Map.of("KAFKA", "kafka:9092"), ProcessorConfig.class);

    assertThat(config.kafka().bootstrapServers()).isEqualTo("kafka:9092");
    assertThat(config.applicationId()).isEqualTo("vigil-processor-eu");
    assertThat(config.stateDir()).isEqualTo("/var/lib/vigil");
    assertThat(config.window()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.grace()).isZero();
    assertThat(config.emitInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(config.maxClockSkew()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.pipelines().overdueAfter()).isEqualTo(Duration.ofHours(2));
    assertThat(config.pipelines().freshnessInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.adminPort()).isZero();
    assertThat(config.catalog().file()).isEqualTo("/etc/vigil/catalog.yaml");
    // User overrides win over Vigil's own settings (linger.ms over the 5 StreamsDefaults sets).
    assertThat(config.streamsProperties().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG))
        .isEqualTo("1000");
    assertThat(
            new StreamsConfig(config.streamsProperties())
                .getMainConsumerConfigs("g", "c", 0)
                .get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG))
        .as("what the stream thread's consumer gets")
        .isEqualTo("30000");
    assertThat(
            new StreamsConfig(config.streamsProperties())
                .getProducerConfigs("c")
                .get(ProducerConfig.LINGER_MS_CONFIG))
        .as("what the stream thread's producer gets")
        .isEqualTo("20");
  }

  @Test
  void setsExactlyOnceAShortCommitIntervalAndTheDeadLetterHandler() {
    Properties props = ProcessorConfig.defaults().streamsProperties();

    assertThat(props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))
        .isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    assertThat(props.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(50);
    assertThat(props.get(StreamsConfig.POLL_MS_CONFIG)).isEqualTo(10);
    Map<String, Object> producer = new StreamsConfig(props).getProducerConfigs("c");
    assertThat(producer.get(ProducerConfig.LINGER_MS_CONFIG))
        .as("what the stream thread's producer gets")
        .isEqualTo(5);
    assertThat(producer.get(ProducerConfig.BATCH_SIZE_CONFIG)).isEqualTo(131_072);
    assertThat(props.get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG)).isEqualTo(10_000);
    assertThat(props.get(StreamsConfig.APPLICATION_ID_CONFIG)).isEqualTo("vigil-processor");
    assertThat(props.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)).isEqualTo("127.0.0.1:9092");
    assertThat(props.get(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG))
        .isEqualTo(DeadLetterHandler.class);
  }

  @Test
  void advertisesTheAdminAddressThePeersAsk() {
    assertThat(
            ConfigLoader.load("admin: {port: 9000}", Map.of(), ProcessorConfig.class)
                .admin()
                .advertised(9000, "10.1.2.3"))
        .as("all interfaces: this machine's address")
        .isEqualTo("10.1.2.3:9000");
    assertThat(
            ConfigLoader.load(
                    "admin: {host: 127.0.0.1, advertised_address: 'processor-0.vigil:8889'}",
                    Map.of(),
                    ProcessorConfig.class)
                .admin()
                .advertised(8889, "10.1.2.3"))
        .isEqualTo("processor-0.vigil:8889");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    "admin: {advertised_address: processor-0}", Map.of(), ProcessorConfig.class))
        .hasMessageContaining("admin.advertised_address")
        .hasMessageContaining("processor-0");
  }

  @Test
  void rejectsANonPositiveWindow() {
    assertThatThrownBy(() -> ConfigLoader.load("window: 0s", Map.of(), ProcessorConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage("processor.window: must be > 0, was '0s'");
  }

  @Test
  void rejectsAFractionalWindow() {
    assertThatThrownBy(() -> ConfigLoader.load("window: 1500ms", Map.of(), ProcessorConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("processor.window")
        .hasMessageContaining("whole number of seconds");
  }

  @Test
  void rejectsANegativeGrace() {
    assertThatThrownBy(
            () ->
                new ProcessorConfig(
                    null, null, null, null, Duration.ofSeconds(-1), null, null, null, null))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("processor.grace: must be >= 0");
  }

  @Test
  void rejectsAnEmitIntervalOrClockSkewTooSmallToMeanAnything() {
    assertThatThrownBy(
            () -> ConfigLoader.load("emit_interval: 1ms", Map.of(), ProcessorConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage("processor.emit_interval: must be >= 10ms, was '1ms'");
    assertThatThrownBy(
            () -> ConfigLoader.load("max_clock_skew: 0s", Map.of(), ProcessorConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage("processor.max_clock_skew: must be >= 1s, was '0s'");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    "pipelines: {overdue_after: 0s}", Map.of(), ProcessorConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage("processor.pipelines.overdue_after: must be > 0, was '0s'");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    "max_operations_per_service: -1", Map.of(), ProcessorConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage("processor.max_operations_per_service: must be >= 0, was '-1'");
  }

  @Test
  void rejectsAnEmptyCatalogFileOrAnUnknownCatalogKey() {
    assertThatThrownBy(
            () -> ConfigLoader.load("catalog: {file: ' '}", Map.of(), ProcessorConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage("processor.catalog.file: must not be empty, was ' '");
    assertThatThrownBy(
            () -> ConfigLoader.load("catalog: {path: c.yaml}", Map.of(), ProcessorConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("catalog.path: unknown key (known keys: file)");
  }

  @Test
  void rejectsAnApplicationIdKafkaCannotUse() {
    assertThatThrownBy(
            () -> ConfigLoader.load("application_id: my app", Map.of(), ProcessorConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("processor.application_id");
  }

  @Test
  void rejectsUnknownKeys() {
    assertThatThrownBy(() -> ConfigLoader.load("windows: 10s", Map.of(), ProcessorConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("windows");
  }
}
