package io.vigil.model.kafka;

import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/** The kinds of Kafka client Vigil creates, and the settings each one knows. */
enum KafkaClient {
  PRODUCER("producer", ProducerConfig.configNames()),
  CONSUMER("consumer", ConsumerConfig.configNames()),
  ADMIN("admin client", AdminClientConfig.configNames()),
  STREAMS("Streams", Set.of());

  /**
   * Settings a guarantee of Vigil depends on, with the guarantee. Vigil sets them on every client
   * where they matter; a user's value could only weaken them, so it is refused rather than taken.
   */
  static final Map<String, String> GUARDED =
      Map.of(
          ProducerConfig.ACKS_CONFIG,
          "acks=all, so that nothing acknowledged to a sender is lost when a broker fails",
          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
          "idempotent producers, so that a retry never duplicates or reorders records",
          ProducerConfig.TRANSACTIONAL_ID_CONFIG,
          "its own transactional ids, which fence an old instance after a restart",
          ConsumerConfig.ISOLATION_LEVEL_CONFIG,
          "read_committed, so that no record of an aborted transaction is ever acted on",
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
          "offsets committed only after the output is durable",
          StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
          "exactly_once_v2, so that state, output and offsets agree after a crash");

  /** Prefixes Kafka Streams uses to pass a setting to one kind of its inner clients. */
  private static final Map<String, Set<String>> STREAMS_PREFIXES =
      Map.of(
          StreamsConfig.PRODUCER_PREFIX, ProducerConfig.configNames(),
          StreamsConfig.CONSUMER_PREFIX, ConsumerConfig.configNames(),
          StreamsConfig.MAIN_CONSUMER_PREFIX, ConsumerConfig.configNames(),
          StreamsConfig.RESTORE_CONSUMER_PREFIX, ConsumerConfig.configNames(),
          StreamsConfig.GLOBAL_CONSUMER_PREFIX, ConsumerConfig.configNames(),
          StreamsConfig.ADMIN_CLIENT_PREFIX, AdminClientConfig.configNames());

  private final String description;
  private final Set<String> names;

  KafkaClient(String description, Set<String> names) {
    this.description = description;
    this.names = Set.copyOf(names);
  }

  /** How error messages name this client: "not a Kafka producer setting". */
  String description() {
    return description;
  }

  /** Whether a client of this kind takes {@code key}. */
  boolean knows(String key) {
    if (this != STREAMS) {
      return names.contains(key);
    }
    if (StreamsNames.ALL.contains(key)) {
      return true;
    }
    if (key.startsWith(StreamsConfig.TOPIC_PREFIX)) {
      return true; // settings of the topics Streams creates: the broker checks them
    }
    return STREAMS_PREFIXES.entrySet().stream()
        .anyMatch(e -> key.startsWith(e.getKey()) && e.getValue().contains(strip(key, e.getKey())));
  }

  /** Whether some kind of client takes {@code key}. */
  static boolean anyKnows(String key) {
    for (KafkaClient client : values()) {
      if (client.knows(key)) {
        return true;
      }
    }
    return false;
  }

  /** The guarantee {@code key} would weaken, also when it is prefixed for Kafka Streams. */
  static Optional<String> guardReason(String key) {
    return GUARDED.entrySet().stream()
        .filter(e -> key.equals(e.getKey()) || key.endsWith("." + e.getKey()))
        .map(Map.Entry::getValue)
        .findFirst();
  }

  private static String strip(String key, String prefix) {
    return key.substring(prefix.length());
  }

  /**
   * Kafka Streams' own settings plus every client's, read when first asked: kafka-streams is on the
   * class path of the services that run it (the collector alone may lack it; then the clients'
   * settings are all that is known).
   */
  private static final class StreamsNames {
    static final Set<String> ALL = load();

    private static Set<String> load() {
      Set<String> all = new HashSet<>();
      // Unprefixed client settings reach every inner client that knows them.
      all.addAll(ProducerConfig.configNames());
      all.addAll(ConsumerConfig.configNames());
      all.addAll(AdminClientConfig.configNames());
      try {
        all.addAll(StreamsConfig.configDef().names());
      } catch (NoClassDefFoundError e) {
        // no Kafka Streams here: nothing runs it
      }
      return Set.copyOf(all);
    }
  }
}
