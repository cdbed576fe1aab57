package io.vigil.local;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.alerting.AlertingConfig;
import io.vigil.collector.CollectorConfig;
import io.vigil.model.config.ConfigException;
import io.vigil.processor.ProcessorConfig;
import java.nio.file.Path;

/**
 * {@code vigil standalone --config F}: an embedded broker plus the three services' sections.
 *
 * @param embeddedKafka the in-process broker; port default 9092
 */
record StandaloneFile(
    @JsonProperty("embedded_kafka") EmbeddedKafkaSettings embeddedKafka,
    @JsonProperty("collector") CollectorConfig collector,
    @JsonProperty("processor") ProcessorConfig processor,
    @JsonProperty("alerting") AlertingConfig alerting) {
  StandaloneFile {
    if (embeddedKafka == null) {
      embeddedKafka = new EmbeddedKafkaSettings(null, null, null);
    }
    if (collector == null) {
      collector = CollectorConfig.defaults();
    }
    if (processor == null) {
      processor = ProcessorConfig.defaults();
    }
    if (alerting == null) {
      throw new ConfigException(
          "alerting", "section is required (rule_files, alertmanager_config)");
    }
  }

  /**
   * The broker {@code standalone} starts in-process.
   *
   * @param enabled start it; default true (set false to use an external Kafka)
   * @param port client port on 127.0.0.1; default 9092
   * @param dataDir where the broker keeps topics, offsets and transactions across restarts; default
   *     {@code <java.io.tmpdir>/vigil-kafka}
   */
  record EmbeddedKafkaSettings(
      @JsonProperty("enabled") Boolean enabled,
      @JsonProperty("port") Integer port,
      @JsonProperty("data_dir") String dataDir) {
    EmbeddedKafkaSettings {
      if (enabled == null) {
        enabled = true;
      }
      if (port == null) {
        port = 9092;
      }
      if (port < 0 || port > 65535) {
        throw new ConfigException("embedded_kafka.port", port, "must be in 0..65535");
      }
      if (dataDir == null) {
        dataDir = Path.of(System.getProperty("java.io.tmpdir"), "vigil-kafka").toString();
      }
      if (dataDir.isBlank()) {
        throw new ConfigException("embedded_kafka.data_dir", dataDir, "must not be empty");
      }
    }
  }
}
