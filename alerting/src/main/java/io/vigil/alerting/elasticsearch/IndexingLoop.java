package io.vigil.alerting.elasticsearch;

import io.vigil.alerting.notify.Backoff;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.kafka.DeadLetters;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.log.LogRecord;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.runtime.ThrottlingLogger;
import io.vigil.model.signal.GoldenSignal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Indexes into Elasticsearch, in its own consumer group ({@value #GROUP_ID}), so an Elasticsearch
 * outage pauses indexing only and never delays an alert: final windows ({@code vigil.signals}),
 * pipeline runs, logs and alert transitions (history and current state). For each polled batch:
 * read → send unreadable {@code vigil.signals} and {@code vigil.logs} records to {@code vigil.dlq}
 * (waiting for acks; unreadable pipeline runs and alerts are the rule engine's to report, here they
 * are only counted) → bulk-index → commit. While Kafka or Elasticsearch fails, the batch is retried
 * with backoff, the partitions are paused (polling continues so the group keeps us) and nothing is
 * committed; each step runs once per batch.
 */
public final class IndexingLoop implements Runnable {
  /** The indexer's consumer group. */
  public static final String GROUP_ID = "vigil-alerting-indexer";

  private static final Logger LOG = LoggerFactory.getLogger(IndexingLoop.class);
  private static final Duration POLL = Duration.ofMillis(500);

  /** Retries of the durable output steps: 0.5 s doubling to 30 s, until they succeed. */
  private static final Backoff RETRY =
      new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), Integer.MAX_VALUE);

  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> producer;
  private final ElasticsearchIndexer indexer;
  private final java.util.function.Consumer<String> rejected;
  private final java.util.function.Consumer<String> retried;
  private final Deserializer<GoldenSignal> signals =
      JsonSerde.of(GoldenSignal.class).deserializer();
  private final Deserializer<PipelineRun> pipelineRuns =
      JsonSerde.of(PipelineRun.class).deserializer();
  private final Deserializer<LogRecord> logs = JsonSerde.of(LogRecord.class).deserializer();
  private final Deserializer<AlertTransition> alerts =
      JsonSerde.of(AlertTransition.class).deserializer();
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);

  private final AtomicLong indexed = new AtomicLong();
  private volatile boolean running = true;
  private volatile boolean inError;
  private volatile boolean dead;

  /**
   * A loop reading with {@code consumer} (group {@value #GROUP_ID}, manual commits), writing DLQ
   * records with {@code producer}; counts DLQ records by reason through {@code rejected} and
   * retried batches by stage ({@code kafka}, {@code elasticsearch}) through {@code retried}.
   */
  public IndexingLoop(
      Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> producer,
      ElasticsearchIndexer indexer,
      java.util.function.Consumer<String> rejected,
      java.util.function.Consumer<String> retried) {
    this.consumer = consumer;
    this.producer = producer;
    this.indexer = indexer;
    this.rejected = rejected;
    this.retried = retried;
  }

  @Override
  public void run() {
    try {
      consumer.subscribe(List.of(Topics.SIGNALS, Topics.PIPELINE_RUNS, Topics.LOGS, Topics.ALERTS));
      while (running) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
        if (records.isEmpty()) {
          continue;
        }
        Batch batch = prepare(records);
        if (!deliver(batch)) {
          break;
        }
        indexed.addAndGet(batch.size());
        try {
          consumer.commitSync();
        } catch (CommitFailedException e) {
          LOG.warn(
              "offset commit failed after a rebalance; the batch may be re-indexed: {}",
              e.getMessage());
        }
      }
    } catch (WakeupException e) {
      if (running) {
        dead = true;
        LOG.error("indexing loop woken up unexpectedly", e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      dead = true;
      LOG.error("indexing loop stopped by an unexpected error; readiness fails from now on", e);
    } finally {
      try {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        LOG.debug("closing the consumer", e);
      }
    }
  }

  /** Asks the loop to stop after the current step. */
  public void stop() {
    running = false;
    consumer.wakeup();
  }

  /** Whether the loop runs and is not stuck retrying its output. */
  public boolean healthy() {
    return running && !dead && !inError;
  }

  /** Records indexed (or found indexed already) so far. */
  public long indexed() {
    return indexed.get();
  }

  private Batch prepare(ConsumerRecords<byte[], byte[]> records) {
    Batch batch = new Batch();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      switch (record.topic()) {
        case Topics.LOGS ->
            read(record, logs, "invalid_log_record", true, batch).ifPresent(batch.logs::add);
        case Topics.SIGNALS ->
            read(record, signals, "invalid_signal", true, batch).ifPresent(batch.signals::add);
        case Topics.PIPELINE_RUNS ->
            read(record, pipelineRuns, "invalid_pipeline_run", false, batch)
                .ifPresent(batch.pipelineRuns::add);
        default ->
            read(record, alerts, "invalid_alert", false, batch).ifPresent(batch.transitions::add);
      }
    }
    return batch;
  }

  /**
   * {@code record}'s value, or empty when it has none or does not deserialize: then it is added to
   * the batch's DLQ records with reason {@code empty_value} or {@code invalidReason}.
   */
  private <T> Optional<T> read(
      ConsumerRecord<byte[], byte[]> record,
      Deserializer<T> deserializer,
      String invalidReason,
      boolean ownsDeadLetters,
      Batch batch) {
    String reason = invalidReason;
    String detail;
    if (record.value() == null) {
      reason = "empty_value";
      detail = "record has no value";
    } else {
      try {
        return Optional.of(deserializer.deserialize(record.topic(), record.value()));
      } catch (SerializationException e) {
        detail = e.getMessage();
      }
    }
    if (ownsDeadLetters) {
      batch.rejects.add(reject(record, reason, detail));
    } else {
      throttled.warn(
          "not indexing record {}-{}@{}: {} ({})",
          record.topic(),
          record.partition(),
          record.offset(),
          reason,
          detail);
    }
    return Optional.empty();
  }

  private ProducerRecord<byte[], byte[]> reject(
      ConsumerRecord<byte[], byte[]> record, String reason, String detail) {
    rejected.accept(reason);
    throttled.warn(
        "record {}-{}@{} sent to {}: {} ({})",
        record.topic(),
        record.partition(),
        record.offset(),
        Topics.DLQ,
        reason,
        detail);
    Headers headers = DeadLetters.headers(null, reason, record.topic());
    headers.add(
        Topics.DLQ_SOURCE_PARTITION_HEADER,
        Integer.toString(record.partition()).getBytes(StandardCharsets.UTF_8));
    headers.add(
        Topics.DLQ_SOURCE_OFFSET_HEADER,
        Long.toString(record.offset()).getBytes(StandardCharsets.UTF_8));
    String error = detail == null ? reason : detail;
    headers.add(
        Topics.DLQ_ERROR_HEADER,
        error.substring(0, Math.min(error.length(), 1000)).getBytes(StandardCharsets.UTF_8));
    return new ProducerRecord<>(Topics.DLQ, null, record.key(), record.value(), headers);
  }

  /** Runs the durable output steps until they succeed; false when stopped first. */
  private boolean deliver(Batch batch) throws InterruptedException {
    int attempt = 0;
    Set<TopicPartition> paused = new HashSet<>();
    try {
      while (running) {
        String stage = "kafka";
        try {
          if (!batch.produced) {
            produce(batch);
            batch.produced = true;
          }
          stage = "elasticsearch";
          if (!batch.indexed) {
            BulkResult result =
                indexer.index(batch.signals, batch.pipelineRuns, batch.logs, batch.transitions);
            if (!result.failures().isEmpty()) {
              throttled.warn(
                  "Elasticsearch rejected {} documents: {}",
                  result.failures().size(),
                  result.failuresByReason());
            }
            batch.indexed = true;
          }
          return true;
        } catch (InterruptedException e) {
          throw e;
        } catch (Exception e) {
          attempt++;
          inError = true;
          retried.accept(stage);
          Duration wait = RETRY.delay(attempt);
          throttled.warn(
              "{} output failed (attempt {}), retrying in {}: {}",
              stage,
              attempt,
              wait,
              e.toString());
          if (paused.isEmpty()) {
            paused.addAll(consumer.assignment());
            consumer.pause(paused);
          }
          waitWhilePolling(wait, paused);
        }
      }
      return false;
    } finally {
      inError = false;
      if (!paused.isEmpty()) {
        consumer.resume(consumer.assignment());
      }
    }
  }

  private void produce(Batch batch) throws Exception {
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    for (ProducerRecord<byte[], byte[]> reject : batch.rejects) {
      acks.add(producer.send(reject));
    }
    producer.flush();
    for (Future<RecordMetadata> ack : acks) {
      ack.get();
    }
  }

  /**
   * Waits {@code wait} while polling with every partition paused, so the consumer stays in its
   * group. Partitions assigned meanwhile (a rebalance) are paused too and rewound to what poll
   * returned, so nothing is skipped.
   */
  private void waitWhilePolling(Duration wait, Set<TopicPartition> paused) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (running && System.nanoTime() < deadline) {
      ConsumerRecords<byte[], byte[]> unexpected = consumer.poll(Duration.ofMillis(100));
      for (TopicPartition tp : unexpected.partitions()) {
        consumer.seek(tp, unexpected.records(tp).get(0).offset());
      }
      Set<TopicPartition> assigned = consumer.assignment();
      if (!paused.containsAll(assigned)) {
        paused.addAll(assigned);
        consumer.pause(assigned);
      }
    }
  }

  private static final class Batch {
    final List<GoldenSignal> signals = new ArrayList<>();
    final List<PipelineRun> pipelineRuns = new ArrayList<>();
    final List<LogRecord> logs = new ArrayList<>();
    final List<AlertTransition> transitions = new ArrayList<>();
    final List<ProducerRecord<byte[], byte[]>> rejects = new ArrayList<>();
    boolean produced;
    boolean indexed;

    int size() {
      return signals.size() + pipelineRuns.size() + logs.size() + transitions.size();
    }
  }
}
