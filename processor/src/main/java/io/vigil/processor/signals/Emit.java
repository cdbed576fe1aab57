package io.vigil.processor.signals;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/** Where the window classes send a signal: the processor forwards it downstream. */
@FunctionalInterface
interface Emit {
  /** Sends {@code signal} of {@code series} with Kafka timestamp {@code timestampMs}. */
  void emit(String series, Emitted signal, long timestampMs);

  /** Forwards each signal downstream of {@code context} as a record keyed by its series. */
  static Emit to(ProcessorContext<String, Emitted> context) {
    return (series, signal, timestampMs) ->
        context.forward(new Record<>(series, signal, timestampMs));
  }
}
