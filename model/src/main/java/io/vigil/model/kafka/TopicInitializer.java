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
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates the topics a service needs when they are missing, as {@link TopicSettings} says. */
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
      if (missing.isEmpty()) {
        return;
      }
      try {
        admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot create topics " + topics + " on " + kafka.bootstrapServers() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }
}
