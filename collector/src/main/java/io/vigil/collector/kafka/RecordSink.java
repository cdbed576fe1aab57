package io.vigil.collector.kafka;

import io.vigil.collector.otlp.SinkException;

/**
 * Where a receiver hands a record that needs no splitting (an OpenLineage event): topic, key and
 * bytes. Returns only once the record is durable, so the sender can be answered.
 */
@FunctionalInterface
public interface RecordSink {
  /**
   * Stores one record.
   *
   * @throws SinkException when it could not be stored (the receiver answers 503 or 413)
   * @throws InterruptedException when the calling thread is interrupted while waiting
   */
  void store(String topic, byte[] key, byte[] value) throws SinkException, InterruptedException;
}
