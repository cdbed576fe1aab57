package io.vigil.alerting;

import io.vigil.alerting.elasticsearch.BulkResult;
import io.vigil.alerting.elasticsearch.ElasticsearchIndexer;
import io.vigil.alerting.notify.Backoff;
import io.vigil.alerting.rules.ActiveAlert;
import io.vigil.alerting.rules.AlertEvaluator;
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
import java.util.concurrent.atomic.AtomicReference;
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
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer loop on {@code vigil.signals.live} (evaluated), {@code vigil.signals} (final
 * windows, indexed), {@code vigil.pipeline-runs} and {@code vigil.logs} (indexed). Before the first
 * poll it dispatches the last transition of each alert restored at startup (the notification log
 * skips those delivered already). For each polled batch: evaluate → produce transitions to {@code
 * vigil.alerts} and rejects to {@code vigil.dlq} (waiting for acks) → index signals and alerts into
 * Elasticsearch → notify → commit. While Kafka or Elasticsearch output fails, the batch is retried
 * with backoff, the partitions are paused (polling continues so the group keeps us) and nothing is
 * committed; each output step runs once per batch.
 */
final class SignalLoop implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(SignalLoop.class);
  private static final Duration POLL = Duration.ofMillis(500);

  /** Retries of the durable output steps: 0.5 s doubling to 30 s, until they succeed. */
  private static final Backoff RETRY =
      new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), Integer.MAX_VALUE);

  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> producer;
  private final ElasticsearchIndexer indexer;
  private final AlertEvaluator evaluator;
  private final NotificationDispatcher dispatcher;
  private final AlertingMetrics metrics;
  private final AtomicReference<List<ActiveAlert>> firing;
  private final List<AlertTransition> catchUp;
  private final Deserializer<GoldenSignal> signals =
      JsonSerde.of(GoldenSignal.class).deserializer();
  private final Deserializer<PipelineRun> pipelineRuns =
      JsonSerde.of(PipelineRun.class).deserializer();
  private final Deserializer<LogRecord> logs = JsonSerde.of(LogRecord.class).deserializer();
  private final Serializer<AlertTransition> transitions =
      JsonSerde.of(AlertTransition.class).serializer();
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);

  private final AtomicLong evaluated = new AtomicLong();
  private final AtomicLong fired = new AtomicLong();
  private volatile boolean running = true;
  private volatile boolean inError;
  private volatile boolean dead;

  SignalLoop(
      Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> producer,
      ElasticsearchIndexer indexer,
      AlertEvaluator evaluator,
      NotificationDispatcher dispatcher,
      AlertingMetrics metrics,
      AtomicReference<List<ActiveAlert>> firing,
      List<AlertTransition> catchUp) {
    this.consumer = consumer;
    this.catchUp = List.copyOf(catchUp);
    this.producer = producer;
    this.indexer = indexer;
    this.evaluator = evaluator;
    this.dispatcher = dispatcher;
    this.metrics = metrics;
    this.firing = firing;
  }

  @Override
  public void run() {
    try {
      // Transitions produced before a crash may not have been notified; the log skips the rest.
      for (AlertTransition t : catchUp) {
        if (!running) {
          return;
        }
        dispatcher.dispatch(t);
      }
      consumer.subscribe(
          List.of(Topics.SIGNALS_LIVE, Topics.SIGNALS, Topics.PIPELINE_RUNS, Topics.LOGS));
      while (running) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
        if (records.isEmpty()) {
          continue;
        }
        Batch batch = prepare(records);
        if (!deliver(batch)) {
          break;
        }
        notify(batch);
        try {
          consumer.commitSync();
        } catch (CommitFailedException e) {
          LOG.warn(
              "offset commit failed after a rebalance; the batch may be re-delivered: {}",
              e.getMessage());
        }
      }
    } catch (WakeupException e) {
      if (running) {
        dead = true;
        LOG.error("signal loop woken up unexpectedly", e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      dead = true;
      LOG.error("signal loop stopped by an unexpected error; readiness fails from now on", e);
    } finally {
      try {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        LOG.debug("closing the consumer", e);
      }
    }
  }

  /** Asks the loop to stop after the current step. */
  void stop() {
    running = false;
    consumer.wakeup();
  }

  /** Whether the loop runs and is not stuck retrying its output. */
  boolean healthy() {
    return running && !dead && !inError;
  }

  long evaluated() {
    return evaluated.get();
  }

  long fired() {
    return fired.get();
  }

  private Batch prepare(ConsumerRecords<byte[], byte[]> records) {
    Batch batch = new Batch();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      if (record.topic().equals(Topics.LOGS)) {
        read(record, logs, "invalid_log_record", batch).ifPresent(batch.logs::add);
        continue;
      }
      if (record.topic().equals(Topics.PIPELINE_RUNS)) {
        // Indexed for the dashboards; rules on pipeline runs are the alert engine's next step.
        read(record, pipelineRuns, "invalid_pipeline_run", batch)
            .ifPresent(batch.pipelineRuns::add);
        continue;
      }
      Optional<GoldenSignal> read = read(record, signals, "invalid_signal", batch);
      if (read.isEmpty()) {
        continue;
      }
      GoldenSignal signal = read.get();
      if (record.topic().equals(Topics.SIGNALS)) {
        // Final windows are the durable history; rules watch the live signals.
        batch.signals.add(signal);
        continue;
      }
      try {
        batch.transitions.addAll(evaluator.evaluate(signal));
      } catch (RuntimeException e) {
        batch.rejects.add(reject(record, "evaluation_failed", String.valueOf(e)));
        continue;
      }
      evaluated.incrementAndGet();
      metrics.signalsEvaluated.inc();
    }
    for (AlertTransition t : batch.transitions) {
      metrics.transitions.labelValues(t.state().wireName()).inc();
      if (t.state() == AlertTransition.State.FIRING) {
        fired.incrementAndGet();
      }
    }
    firing.set(evaluator.firing());
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
      Batch batch) {
    if (record.value() == null) {
      batch.rejects.add(reject(record, "empty_value", "record has no value"));
      return Optional.empty();
    }
    try {
      return Optional.of(deserializer.deserialize(record.topic(), record.value()));
    } catch (SerializationException e) {
      batch.rejects.add(reject(record, invalidReason, e.getMessage()));
      return Optional.empty();
    }
  }

  private ProducerRecord<byte[], byte[]> reject(
      ConsumerRecord<byte[], byte[]> record, String reason, String detail) {
    metrics.dlq.labelValues(reason).inc();
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
          metrics.retries.labelValues(stage).inc();
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

  private void notify(Batch batch) throws InterruptedException {
    for (AlertTransition t : batch.transitions) {
      dispatcher.dispatch(t);
    }
  }

  private void produce(Batch batch) throws Exception {
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    for (ProducerRecord<byte[], byte[]> reject : batch.rejects) {
      acks.add(producer.send(reject));
    }
    for (AlertTransition t : batch.transitions) {
      acks.add(
          producer.send(
              new ProducerRecord<>(
                  Topics.ALERTS,
                  t.fingerprint().getBytes(StandardCharsets.UTF_8),
                  transitions.serialize(Topics.ALERTS, t))));
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
  }
}
