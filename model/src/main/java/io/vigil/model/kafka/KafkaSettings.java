package io.vigil.model.kafka;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * How a service reaches Kafka.
 *
 * <p>The user's client settings come in five maps: {@code overrides} for every client (where a
 * client knows the key: security settings, typically), then one map per kind of client, applied
 * after it. Keys that a guarantee of Vigil depends on ({@code acks}, {@code enable.idempotence},
 * {@code transactional.id}, {@code isolation.level}, {@code enable.auto.commit}, {@code
 * processing.guarantee}, also with a Kafka Streams prefix) are refused, and so are keys no Kafka
 * client of that kind knows: a typo is an error, not a warning in a log.
 *
 * @param bootstrapServers {@code host:port[,host:port]}; default {@code 127.0.0.1:9092}
 * @param topics whether and how missing topics are created
 * @param overrides raw client settings for every client (e.g. {@code security.protocol}), applied
 *     over Vigil's own values
 * @param producer settings for producers only, applied after {@code overrides}
 * @param consumer settings for plain consumers only
 * @param streams settings for Kafka Streams (processor, alert engine) only; {@code producer.},
 *     {@code consumer.}, {@code admin.} prefixes reach one kind of its inner clients
 * @param admin settings for admin clients only (topic creation, the collector's Kafka probe)
 */
public record KafkaSettings(
    @JsonProperty("bootstrap_servers") String bootstrapServers,
    @JsonProperty("topics") TopicSettings topics,
    @JsonProperty("overrides") Map<String, String> overrides,
    @JsonProperty("producer") Map<String, String> producer,
    @JsonProperty("consumer") Map<String, String> consumer,
    @JsonProperty("streams") Map<String, String> streams,
    @JsonProperty("admin") Map<String, String> admin) {

  /** Default bootstrap address: the embedded broker of {@code standalone} and {@code demo}. */
  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";

  /** Applies defaults; rejects an empty server list, guarded keys and unknown keys. */
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
    overrides = checked("kafka.overrides", overrides, null);
    producer = checked("kafka.producer", producer, KafkaClient.PRODUCER);
    consumer = checked("kafka.consumer", consumer, KafkaClient.CONSUMER);
    streams = checked("kafka.streams", streams, KafkaClient.STREAMS);
    admin = checked("kafka.admin", admin, KafkaClient.ADMIN);
  }

  /** Settings with every client map empty. */
  public KafkaSettings(
      String bootstrapServers, TopicSettings topics, Map<String, String> overrides) {
    this(bootstrapServers, topics, overrides, null, null, null, null);
  }

  /** Settings for {@code bootstrapServers} with every other value defaulted. */
  public static KafkaSettings of(String bootstrapServers) {
    return new KafkaSettings(bootstrapServers, null, null);
  }

  /** Defaults: the embedded broker on {@value #DEFAULT_BOOTSTRAP}. */
  public static KafkaSettings defaults() {
    return new KafkaSettings(null, null, null);
  }

  /**
   * Admin client settings found under {@code path} elsewhere (a watched cluster of the collector's
   * lag watcher), checked as {@code kafka.admin} is.
   */
  public static Map<String, String> checkedAdmin(String path, Map<String, String> settings) {
    return checked(path, settings, KafkaClient.ADMIN);
  }

  /** Producer properties: {@code base}, the bootstrap servers, then the user's settings. */
  public Properties producer(Map<String, ?> base) {
    return properties(KafkaClient.PRODUCER, base, producer);
  }

  /** Consumer properties: {@code base}, the bootstrap servers, then the user's settings. */
  public Properties consumer(Map<String, ?> base) {
    return properties(KafkaClient.CONSUMER, base, consumer);
  }

  /** Kafka Streams properties: {@code base}, the bootstrap servers, then the user's settings. */
  public Properties streams(Map<String, ?> base) {
    return properties(KafkaClient.STREAMS, base, streams);
  }

  /** Admin client properties: {@code base}, the bootstrap servers, then the user's settings. */
  public Properties admin(Map<String, ?> base) {
    return properties(KafkaClient.ADMIN, base, admin);
  }

  private Properties properties(
      KafkaClient client, Map<String, ?> base, Map<String, String> ownSettings) {
    Properties props = new Properties();
    props.putAll(base);
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    overrides.forEach(
        (key, value) -> {
          if (client.knows(key)) {
            props.put(key, value);
          }
        });
    props.putAll(ownSettings);
    return props;
  }

  /**
   * A copy of {@code settings} after refusing guarded keys and keys unknown to {@code client} (to
   * every client when {@code client} is null).
   */
  private static Map<String, String> checked(
      String path, Map<String, String> settings, KafkaClient client) {
    if (settings == null) {
      return Map.of();
    }
    Map<String, String> copy = new HashMap<>();
    settings.forEach(
        (key, value) -> {
          String keyPath = path + "." + key;
          KafkaClient.guardReason(key)
              .ifPresent(
                  reason -> {
                    throw new ConfigException(keyPath, value, "Vigil sets this itself: " + reason);
                  });
          boolean known = client == null ? KafkaClient.anyKnows(key) : client.knows(key);
          if (!known) {
            throw new ConfigException(
                keyPath,
                value,
                "not a Kafka "
                    + (client == null ? "client" : client.description())
                    + " setting (a misspelt key would be ignored)");
          }
          if (value == null) {
            throw new ConfigException(keyPath, "needs a value");
          }
          copy.put(key, value);
        });
    return Map.copyOf(copy);
  }
}
