package io.vigil.model.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the topics a service needs when they are missing, as {@link TopicSettings} says, and
 * waits until every partition of them has a leader: a topic the controller just created is not yet
 * known to every broker, and a Kafka Streams application started at that moment fails ("no
 * partitions available").
 */
public final class TopicInitializer {
  private TopicInitializer() {}

  /**
   * Creates each of {@code topics} that does not exist yet. {@code configs} gives per-topic
   * settings (e.g. {@code cleanup.policy=compact}); topics absent from it get none.
   */
  public static void ensureTopics(
      KafkaSettings kafka, Set<String> topics, Map<String, Map<String, String>> configs) {
    if (!kafka.topics().create()) {
      return;
    }
    try (Admin admin = Admin.create(kafka.admin(Map.of()))) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (String topic : topics) {
        if (!existing.contains(topic)) {
          NewTopic newTopic =
              new NewTopic(
                  topic,
                  Optional.of(kafka.topics().partitions()),
                  Optional.of(kafka.topics().replicationFactor()));
          newTopic.configs(configs.getOrDefault(topic, Map.of()));
          missing.add(newTopic);
        }
      }
      if (!missing.isEmpty()) {
        try {
          admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
      awaitLeaders(admin, topics, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot create topics " + topics + " on " + kafka.bootstrapServers() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }

  /**
   * The largest number of partitions among {@code topics}, as the brokers describe them: the count
   * Kafka Streams gives a repartition topic fed from them.
   *
   * @throws IllegalStateException when they cannot be described (a topic missing, the brokers
   *     unreachable for 30 s)
   */
  public static int partitions(KafkaSettings kafka, Set<String> topics) {
    try (Admin admin = Admin.create(kafka.admin(Map.of()))) {
      return admin
          .describeTopics(topics)
          .allTopicNames()
          .get(30, TimeUnit.SECONDS)
          .values()
          .stream()
          .mapToInt(d -> d.partitions().size())
          .max()
          .orElse(0);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot describe topics " + topics + " on " + kafka.bootstrapServers() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing topics", e);
    }
  }

  /** Polls until every partition of {@code topics} has a leader; fails at {@code deadline}. */
  private static void awaitLeaders(Admin admin, Set<String> topics, long deadline)
      throws InterruptedException, ExecutionException, TimeoutException {
    while (true) {
      String waitingFor;
      try {
        Map<String, TopicDescription> found =
            admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
        waitingFor =
            found.values().stream()
                .filter(
                    d ->
                        d.partitions().isEmpty()
                            || d.partitions().stream().anyMatch(p -> p.leader() == null))
                .map(TopicDescription::name)
                .findFirst()
                .orElse(null);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
        waitingFor = "a topic just created";
      }
      if (waitingFor == null) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("no leader for every partition of " + waitingFor);
      }
      TimeUnit.MILLISECONDS.sleep(100); // polling the brokers' metadata with a deadline
    }
  }
}
