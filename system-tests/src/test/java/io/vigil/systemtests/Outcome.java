package io.vigil.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.vigil.alerting.dispatch.DispatchProcessor;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.smtp.ReceivedMail;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What came out of the stack, counted: final windows, ended pipeline runs, log records,
 * notifications.
 */
final class Outcome {
  /**
   * The alert engine's dispatch task's input: its transitions repartitioned by group key (the
   * topology's repartition named {@code alert-groups}).
   */
  static final String ALERT_GROUPS_INPUT =
      Stack.Service.ALERTING.streamsGroup + "-alert-groups-repartition";

  /** The states of a run record that ends its run. */
  private static final Set<String> ENDED = Set.of("complete", "failed", "aborted");

  private Outcome() {}

  /**
   * Requests per service in the final windows on {@code vigil.signals} (read_committed, late
   * supplements included), once they reach {@code expected} for every service or {@code limit}
   * passed; then {@code settle} more, so that a double count has time to show.
   */
  static Map<String, Long> finalRequests(
      String bootstrap, Map<String, Long> expected, Duration limit, Duration settle) {
    var signals = JsonSerde.of(GoldenSignal.class).deserializer();
    Map<String, Long> counted = new TreeMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = fromStart(bootstrap, Topics.SIGNALS)) {
      long deadline = System.nanoTime() + limit.toNanos();
      long settled = Long.MAX_VALUE;
      while (System.nanoTime() < Math.min(deadline, settled)) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          GoldenSignal signal = signals.deserialize(r.topic(), r.value());
          // Log-volume and saturation records of the same services carry no traffic; an
          // operation's requests are its service's too.
          if (Stack.NAMESPACE.equals(signal.namespace())
              && signal.traffic() != null
              && signal.operation() == null) {
            counted.merge(signal.service(), signal.traffic().requests(), Long::sum);
          }
        }
        if (settled == Long.MAX_VALUE && counted.equals(expected)) {
          settled = System.nanoTime() + settle.toNanos();
        }
      }
    }
    return counted;
  }

  /**
   * The runs that ended, as {@code vigil.pipeline-runs} tells them (read_committed).
   *
   * @param endings by run id: the state of each of its run records that ended it ({@code complete},
   *     {@code failed}, {@code aborted}), in the order they are on the topic — one each when
   *     nothing is doubled
   * @param byJob by job key ({@code namespace/name}): how many of those records had each state
   */
  record PipelineRuns(Map<String, List<String>> endings, Map<String, Map<String, Integer>> byJob) {
    /** The endings of {@code runs} only (those that have any). */
    Map<String, List<String>> endingsOf(Set<String> runs) {
      Map<String, List<String>> of = new TreeMap<>();
      runs.stream().filter(endings::containsKey).forEach(r -> of.put(r, endings.get(r)));
      return of;
    }

    /** Runs with more than one ending record. */
    long doubled() {
      return endings.values().stream().filter(e -> e.size() > 1).count();
    }

    /** Ending records of {@code outcome}, all jobs. */
    int total(String outcome) {
      return byJob.values().stream().mapToInt(states -> states.getOrDefault(outcome, 0)).sum();
    }
  }

  /**
   * The ended runs on {@code vigil.pipeline-runs} (read_committed; run records only, not freshness
   * or lag), once every run of {@code expected} (run id → its outcome) has ended there or {@code
   * limit} passed; then {@code settle} more, so that a doubled run has time to show.
   */
  static PipelineRuns pipelineRuns(
      String bootstrap, Map<String, String> expected, Duration limit, Duration settle) {
    var records = JsonSerde.of(PipelineRun.class).deserializer();
    Map<String, List<String>> endings = new TreeMap<>();
    Map<String, Map<String, Integer>> byJob = new TreeMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = fromStart(bootstrap, Topics.PIPELINE_RUNS)) {
      long deadline = System.nanoTime() + limit.toNanos();
      long settled = Long.MAX_VALUE;
      while (System.nanoTime() < Math.min(deadline, settled)) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          PipelineRun run = records.deserialize(r.topic(), r.value());
          if (PipelineRun.RUN.equals(run.kind())
              && run.run() != null
              && ENDED.contains(run.state())) {
            endings.computeIfAbsent(run.run().id(), k -> new ArrayList<>()).add(run.state());
            byJob
                .computeIfAbsent(run.job().key(), k -> new TreeMap<>())
                .merge(run.state(), 1, Integer::sum);
          }
        }
        if (settled == Long.MAX_VALUE && endings.keySet().containsAll(expected.keySet())) {
          settled = System.nanoTime() + settle.toNanos();
        }
      }
    }
    return new PipelineRuns(endings, byJob);
  }

  /** Every log record body in {@code otlp_logs} (read_committed), with how often it is there. */
  static Map<String, Integer> logLines(String bootstrap) {
    Map<String, Integer> lines = new HashMap<>();
    toEnd(
        bootstrap,
        Topics.OTLP_LOGS,
        r -> {
          try {
            for (ResourceLogs rl :
                ExportLogsServiceRequest.parseFrom(r.value()).getResourceLogsList()) {
              for (ScopeLogs sl : rl.getScopeLogsList()) {
                for (LogRecord log : sl.getLogRecordsList()) {
                  lines.merge(log.getBody().getStringValue(), 1, Integer::sum);
                }
              }
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    return lines;
  }

  /**
   * Hands every record of {@code topic} (read_committed) to {@code each}, from its start to its end
   * as it is now; an {@link AssertionError} if that takes over 60 s.
   */
  static void toEnd(String bootstrap, String topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    try (KafkaConsumer<byte[], byte[]> consumer = fromStart(bootstrap, topic)) {
      List<TopicPartition> partitions = List.copyOf(consumer.assignment());
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(topic + " not read to its end within 60 s");
        }
        consumer.poll(Duration.ofMillis(200)).forEach(each);
      }
    }
  }

  static long slackFirings(List<SlackPost> posts, String alert, String service) {
    return slackFirings(posts.stream(), alert, service).count();
  }

  /** When the last Slack post announcing {@code alert} firing for {@code service} arrived. */
  static Optional<Instant> lastSlackFiring(List<SlackPost> posts, String alert, String service) {
    return slackFirings(posts.stream(), alert, service)
        .map(SlackPost::receivedAt)
        .max(Comparator.naturalOrder());
  }

  private static Stream<SlackPost> slackFirings(
      Stream<SlackPost> posts, String alert, String service) {
    return posts
        .filter(SlackPost::accepted)
        .filter(p -> p.body().contains("FIRING") && p.body().contains(alert))
        .filter(p -> p.body().contains(service));
  }

  /** Emails announcing {@code alert} firing for {@code service}. */
  static long emailFirings(List<ReceivedMail> mails, String alert, String service) {
    return emailFirings(mails.stream(), alert, service).count();
  }

  /** When the first email announcing {@code alert} firing for {@code service} was received. */
  static Optional<Instant> firstEmailFiring(
      List<ReceivedMail> mails, String alert, String service) {
    return emailFirings(mails.stream(), alert, service)
        .map(ReceivedMail::receivedAt)
        .min(Comparator.naturalOrder());
  }

  private static Stream<ReceivedMail> emailFirings(
      Stream<ReceivedMail> mails, String alert, String service) {
    return mails
        .filter(m -> m.subject().contains("FIRING") && m.subject().contains(alert))
        .filter(m -> (m.subject() + m.text()).contains(service));
  }

  /**
   * One alert group as the alert engine's committed group store first held it (its changelog,
   * read_committed): created by the first alert of the group, waiting for its {@code group_wait}.
   *
   * @param partition the store's partition, so also the dispatch task's: {@link
   *     #ALERT_GROUPS_INPUT}'s partition of the same number
   * @param seenAt when the test read it
   * @param due when the group is to be notified (the engine's wall clock, this machine's)
   * @param notified whether a notification had already been queued for it
   */
  record AlertGroupSeen(TopicPartition partition, Instant seenAt, Instant due, boolean notified) {}

  /**
   * The first state of the alert group of {@code service} on the alert engine's group store
   * changelog, as soon as it is committed there; empty if it does not show within {@code limit}.
   */
  static Optional<AlertGroupSeen> firstAlertGroup(
      String bootstrap, String service, Duration limit) {
    String changelog =
        Stack.Service.ALERTING.streamsGroup + "-" + DispatchProcessor.STORE + "-changelog";
    try (KafkaConsumer<byte[], byte[]> consumer = fromStart(bootstrap, changelog)) {
      long deadline = System.nanoTime() + limit.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (r.value() == null) {
            continue; // a group deleted
          }
          JsonNode group = Json.mapper().readTree(r.value());
          if (service.equals(group.path("labels").path("service").asText())) {
            return Optional.of(
                new AlertGroupSeen(
                    new TopicPartition(ALERT_GROUPS_INPUT, r.partition()),
                    Instant.now(),
                    Instant.ofEpochMilli(group.path("nextFlushAt").asLong()),
                    group.path("notifiedAt").asLong() != 0));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Optional.empty();
  }

  /** A read_committed consumer of every partition of {@code topic}, at its start. */
  static KafkaConsumer<byte[], byte[]> fromStart(String bootstrap, String topic) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions =
        consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }
}
