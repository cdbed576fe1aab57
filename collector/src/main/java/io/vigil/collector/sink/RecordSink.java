package io.vigil.collector.sink;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where every source (OTLP, OpenLineage, log files, scrapes) hands its records. The sink is
 * generic: topic, key and bytes, so all sources share one shipper and its guarantees.
 */
@FunctionalInterface
public interface RecordSink {
  /**
   * Stores {@code records}. The future completes once every one of them is durable (acknowledged by
   * Kafka), so the caller may answer its sender or move its checkpoint then; it completes
   * exceptionally with a {@link SinkException} when they could not all be stored. Never blocks the
   * caller for long: waiting happens in the future.
   */
  CompletableFuture<Void> store(List<SinkRecord> records);

  /**
   * Null while the sink takes data; otherwise why not (e.g. Kafka unreachable and no spool), so a
   * receiver can refuse at once instead of letting its sender wait for a timeout.
   */
  default String unavailableReason() {
    return null;
  }
}
