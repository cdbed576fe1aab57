package io.vigil.model.kafka;

import java.util.function.BooleanSupplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Kafka Streams' part of a service's {@code /readyz}: not ready until the client first reaches
 * {@code RUNNING}, then ready while it is {@code RUNNING} or {@code REBALANCING} — a rebalance is
 * how a second instance takes over a dead one's tasks, and a survivor that called itself unready
 * through it would leave no instance ready at the moment one is needed (system test scenarios 3 and
 * 7 saw 1–11 s of that). A broker that is gone is the {@code kafka} check's to report ({@link
 * KafkaProbe}); a client that is shutting down or failed is never ready.
 */
public final class StreamsReadiness implements BooleanSupplier {
  private final KafkaStreams streams;
  private volatile boolean wasRunning;

  private StreamsReadiness(KafkaStreams streams) {
    this.streams = streams;
  }

  /**
   * Watches {@code streams}' state (its state listener; {@code also} is told of every change too,
   * e.g. to log it). Call before {@code streams.start()}.
   */
  public static StreamsReadiness watch(KafkaStreams streams, KafkaStreams.StateListener also) {
    StreamsReadiness readiness = new StreamsReadiness(streams);
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING) {
            readiness.wasRunning = true;
          }
          also.onChange(now, before);
        });
    return readiness;
  }

  @Override
  public boolean getAsBoolean() {
    KafkaStreams.State state = streams.state();
    return state == KafkaStreams.State.RUNNING
        || (state == KafkaStreams.State.REBALANCING && wasRunning);
  }
}
