package io.vigil.collector.otlp;

import com.google.protobuf.Message;

/**
 * Where a receiver hands each decoded OTLP export request. The receiver answers its sender only
 * after {@link #accept} returns, so an implementation must return only once the request is durable
 * (acknowledged by Kafka, later: written to the spool).
 */
@FunctionalInterface
public interface OtlpSink {
  /**
   * Stores {@code request}, an {@code Export*ServiceRequest} of {@code signal}.
   *
   * @throws SinkException when the request could not be stored; the receiver answers 503 (retry
   *     later) or 413 as the exception says
   * @throws InterruptedException when the calling thread is interrupted while waiting
   */
  void accept(OtlpSignal signal, Message request) throws SinkException, InterruptedException;
}
