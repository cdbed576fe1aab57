package io.vigil.model.kafka;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * How a service reaches Kafka.
 *
 * @param bootstrapServers {@code host:port[,host:port]}; default {@code 127.0.0.1:9092}
 * @param topics whether and how missing topics are created
 * @param overrides raw client settings applied last (e.g. {@code security.protocol}); they win over
 *     every value Vigil sets itself
 */
public record KafkaSettings(
    @JsonProperty("bootstrap_servers") String bootstrapServers,
    @JsonProperty("topics") TopicSettings topics,
    @JsonProperty("overrides") Map<String, String> overrides) {

  /** Default bootstrap address: the embedded broker of {@code standalone} and {@code demo}. */
  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";

  /** Applies defaults and rejects an empty server list. */
  public KafkaSettings {
    if (bootstrapServers == null) {
      bootstrapServers = DEFAULT_BOOTSTRAP;
    }
    if (bootstrapServers.isBlank()) {
      throw new ConfigException("kafka.bootstrap_servers", bootstrapServers, "must not be empty");
    }
    if (topics == null) {
      topics = TopicSettings.defaults();
    }
    overrides = overrides == null ? Map.of() : Map.copyOf(overrides);
  }

  /** Settings for {@code bootstrapServers} with every other value defaulted. */
  public static KafkaSettings of(String bootstrapServers) {
    return new KafkaSettings(bootstrapServers, null, null);
  }

  /** Defaults: the embedded broker on {@value #DEFAULT_BOOTSTRAP}. */
  public static KafkaSettings defaults() {
    return new KafkaSettings(null, null, null);
  }

  /** {@code base} plus the bootstrap servers, then the user's overrides on top. */
  public Properties properties(Map<String, Object> base) {
    Properties props = new Properties();
    props.putAll(base);
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.putAll(overrides);
    return props;
  }
}
