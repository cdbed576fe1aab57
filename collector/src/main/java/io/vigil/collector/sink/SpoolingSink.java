package io.vigil.collector.sink;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.runtime.ThrottlingLogger;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka with an on-disk spool in front of it. While Kafka takes data, records go straight to it and
 * the future completes on its acknowledgement, as without a spool. When Kafka is unreachable (the
 * probe says so) or does not take a batch in time, the records are appended to the {@link Spool}
 * and fsynced — the sender is answered then — and from that moment every new record goes to the
 * spool too, so that they reach Kafka in the order they came. A drainer thread sends the spool's
 * records to Kafka, oldest first, moving its cursor only after Kafka acknowledged them, and lets
 * records go straight to Kafka again once the spool is empty. When the spool is full, the sink says
 * it cannot take data ({@link #unavailableReason}): receivers answer 503 / UNAVAILABLE.
 *
 * <p>At least once: a crash between Kafka's acknowledgement of spooled records and the cursor's
 * move sends them again.
 */
public final class SpoolingSink implements RecordSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SpoolingSink.class);
  private static final long DRAIN_BATCH_BYTES = 4L * 1024 * 1024;
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final RecordSink kafka;
  private final BooleanSupplier kafkaReachable;
  private final Spool spool;
  private final Duration sendTimeout;
  private final Counter spooled;
  private final Counter drained;
  private final Counter writeFailures;
  private final ThrottlingLogger problems = new ThrottlingLogger(LOG);
  private final Object lock = new Object();
  private final Thread drainer;
  private volatile boolean spooling; // written under the lock
  private volatile boolean stopped;

  /**
   * @param kafka the sink records go to in the end
   * @param kafkaReachable whether Kafka answers now (the probe)
   * @param sendTimeout how long the drainer waits for Kafka to acknowledge a batch
   */
  public SpoolingSink(
      RecordSink kafka,
      BooleanSupplier kafkaReachable,
      Spool spool,
      Duration sendTimeout,
      PrometheusRegistry registry) {
    this.kafka = kafka;
    this.kafkaReachable = kafkaReachable;
    this.spool = spool;
    this.sendTimeout = sendTimeout;
    this.spooled =
        Counter.builder()
            .name("vigil_collector_spool_records_in_total")
            .help("Records written to the on-disk spool because Kafka could not take them")
            .register(registry);
    this.drained =
        Counter.builder()
            .name("vigil_collector_spool_records_out_total")
            .help("Records sent from the spool to Kafka")
            .register(registry);
    this.writeFailures =
        Counter.builder()
            .name("vigil_collector_spool_write_failures_total")
            .help("Appends the spool could not write (a full disk); refused to their senders")
            .register(registry);
    GaugeWithCallback.builder()
        .name("vigil_collector_spool_bytes")
        .help("Bytes waiting in the on-disk spool")
        .callback(callback -> callback.call(spool.bytes()))
        .register(registry);
    this.spooling = !spool.isEmpty(); // left over from before a restart: drained first
    this.drainer = new Thread(this::drain, "vigil-collector-spool-drainer");
    this.drainer.setDaemon(true);
    this.drainer.start();
  }

  @Override
  public CompletableFuture<Void> store(List<SinkRecord> records) {
    if (records.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    synchronized (lock) {
      if (spooling || !kafkaReachable.getAsBoolean()) {
        return spoolNow(records);
      }
    }
    return kafka
        .store(records)
        .exceptionallyCompose(
            error -> {
              Throwable cause = error instanceof CompletionException c ? c.getCause() : error;
              if (cause instanceof SinkException e && e.retryable()) {
                synchronized (lock) {
                  return spoolNow(records); // Kafka did not take it in time: keep it on disk
                }
              }
              return CompletableFuture.failedFuture(cause);
            });
  }

  /** Appends to the spool (under the lock): done once on disk. */
  private CompletableFuture<Void> spoolNow(List<SinkRecord> records) {
    try {
      spool.append(records);
    } catch (SinkException e) {
      return CompletableFuture.failedFuture(e);
    } catch (IOException e) {
      writeFailures.inc();
      problems.warn("cannot write to the spool: {}", e.toString());
      return CompletableFuture.failedFuture(
          SinkException.unavailable("cannot write to the spool: " + e.getMessage(), e));
    }
    spooled.inc(records.size());
    if (!spooling) {
      spooling = true;
      LOG.warn("Kafka cannot take data: spooling to disk until it can");
    }
    lock.notifyAll();
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public String unavailableReason() {
    if (spool.isFull()) {
      return "Kafka cannot take data and the spool is full (" + spool.bytes() + " bytes)";
    }
    String failure = spool.writeFailure();
    if (failure != null && (spooling || !kafkaReachable.getAsBoolean())) {
      return "Kafka cannot take data and the spool cannot be written: " + failure;
    }
    return null;
  }

  private void drain() {
    while (!stopped) {
      try {
        synchronized (lock) {
          if (spool.isEmpty()) {
            if (spooling) {
              spooling = false;
              LOG.info("spool drained: records go straight to Kafka again");
            }
            lock.wait(RETRY.toMillis());
            continue;
          }
        }
        if (!kafkaReachable.getAsBoolean()) {
          pause();
          continue;
        }
        Spool.Read read = spool.read(DRAIN_BATCH_BYTES);
        kafka.store(read.records()).get(sendTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        spool.advance(read);
        drained.inc(read.records().size());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        problems.warn("cannot drain the spool yet: {}", e.toString());
        pause();
      }
    }
  }

  private void pause() {
    synchronized (lock) {
      try {
        lock.wait(RETRY.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stopped = true;
      }
    }
  }

  /** Bytes waiting in the spool. */
  public long spooledBytes() {
    return spool.bytes();
  }

  /** Stops draining (what is left stays on disk for the next start) and closes the spool. */
  @Override
  public void close() {
    stopped = true;
    drainer.interrupt();
    try {
      drainer.join(sendTimeout.toMillis() + 2_000);
      spool.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.warn("closing the spool", e);
    }
  }
}
