package io.vigil.processor.signals;

/** Where the window classes send a signal: the processor forwards it downstream. */
@FunctionalInterface
interface Emit {
  /** Sends {@code signal} of {@code series} with Kafka timestamp {@code timestampMs}. */
  void emit(String series, Emitted signal, long timestampMs);
}
