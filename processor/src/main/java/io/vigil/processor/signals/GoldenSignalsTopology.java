package io.vigil.processor.signals;

import io.vigil.model.Topics;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The golden-signals topology: {@code otlp_metrics} (OTLP protobuf) → per-service traffic, errors
 * and latency per tumbling event-time window → {@code vigil.signals} (JSON {@link GoldenSignal},
 * keyed by {@link GoldenSignal#seriesKey()}).
 *
 * <pre>
 * otlp_metrics ─ decode ─┬─ rejected ─────────────────────────────────────────────▶ vigil.dlq
 *                        └─ points, key = series, timestamp = point time
 *                             ─ repartition by series (signals-by-series)
 *                             ─ cumulative → delta (state: signals-cumulative-state)
 *                             ─ tumbling window aggregate, emitted once on window close
 *                             ─ GoldenSignal ────────────────────────────────────────▶ vigil.signals
 * </pre>
 *
 * <p>One repartition serves both stateful steps: the series key (cluster/namespace/service) is a
 * prefix of every stream's identity, so all points of a stream land on the same task as the window
 * they feed. Processor, store and topic names are fixed here because internal topic names and
 * changelogs depend on them: renaming one is an incompatible upgrade.
 */
public final class GoldenSignalsTopology {
  /** Changelogged store of the last cumulative point per stream. */
  public static final String CUMULATIVE_STORE = "signals-cumulative-state";

  /** Windowed store of the running totals per series and window. */
  public static final String WINDOW_STORE = "signals-window";

  /**
   * Name of the repartition step; the topic is {@code
   * <application_id>-signals-by-series-repartition}.
   */
  public static final String REPARTITION = "signals-by-series";

  /**
   * How long a window stays in the store after it closes. A closed window is emitted when the next
   * record reaches its task, and the store no longer returns windows older than its retention: with
   * only size + grace, a task whose stream time jumps (SDKs export every 60 s by default) would
   * lose the windows it skipped over. A task silent for longer than this still loses its last
   * window.
   */
  static final Duration EMIT_MARGIN = Duration.ofMinutes(15);

  private GoldenSignalsTopology() {}

  /** The topology, with counters in a private registry. */
  /**
   * The topology, counting in {@code metrics} and showing every emitted signal to {@code listener}
   * (on a stream thread, before the transaction commits: for monitoring, not delivery).
   */
  public static Topology build(
      ProcessorConfig config, ProcessorMetrics metrics, Consumer<GoldenSignal> listener) {
    Duration window = config.window();
    Duration grace = config.grace();
    Serde<MetricPoint> pointSerde = JsonSerde.of(MetricPoint.class);
    Serde<SignalAccumulator> accumulatorSerde = JsonSerde.of(SignalAccumulator.class);

    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, Decoded> decoded =
        builder.stream(
                Topics.OTLP_METRICS,
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                    .withTimestampExtractor(new UsePartitionTimeOnInvalidTimestamp())
                    .withName("otlp-metrics-source"))
            .process(() -> new DecodeProcessor(metrics), Named.as("decode-otlp"));

    decoded
        .split(Named.as("decoded-"))
        .branch(
            (key, value) -> value instanceof Rejected,
            Branched.withConsumer(
                rejected ->
                    rejected
                        .map(
                            (key, value) ->
                                KeyValue.pair(((Rejected) value).key(), ((Rejected) value).value()),
                            Named.as("dlq-unwrap"))
                        .to(
                            Topics.DLQ,
                            Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                                .withName("dlq-sink")),
                "rejected"))
        .defaultBranch(
            Branched.withConsumer(
                points ->
                    points
                        .mapValues(value -> (MetricPoint) value, Named.as("points"))
                        .repartition(
                            Repartitioned.with(Serdes.String(), pointSerde).withName(REPARTITION))
                        .processValues(
                            new DeltaSupplier(window, grace, metrics),
                            Named.as("cumulative-to-delta"))
                        .groupByKey(Grouped.with("signals-group", Serdes.String(), pointSerde))
                        .windowedBy(TimeWindows.ofSizeAndGrace(window, grace))
                        .emitStrategy(EmitStrategy.onWindowClose())
                        .aggregate(
                            SignalAccumulator::new,
                            (series, point, accumulator) -> accumulator.add(point),
                            Named.as("signals-aggregate"),
                            Materialized.<String, SignalAccumulator, WindowStore<Bytes, byte[]>>as(
                                    WINDOW_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(accumulatorSerde)
                                // With emit-on-close the cache saves little, and its range
                                // scan walks every segment since epoch 0 on a task's first
                                // emit (seconds of CPU per task at start-up).
                                .withCachingDisabled()
                                .withRetention(window.plus(grace).plus(EMIT_MARGIN)))
                        .toStream(Named.as("signals-closed"))
                        .map(
                            (windowed, accumulator) ->
                                KeyValue.pair(
                                    windowed.key(),
                                    accumulator.toSignal(windowed.window().start(), window)),
                            Named.as("to-signal"))
                        .peek(
                            (series, signal) -> {
                              metrics.signalEmitted();
                              listener.accept(signal);
                            },
                            Named.as("count-signals"))
                        .to(
                            Topics.SIGNALS,
                            Produced.with(Serdes.String(), JsonSerde.of(GoldenSignal.class))
                                .withName("signals-sink")),
                "points"));
    return builder.build();
  }

  /** Supplies the delta step together with the store it needs. */
  private static final class DeltaSupplier
      implements FixedKeyProcessorSupplier<String, MetricPoint, MetricPoint> {
    private final Duration window;
    private final Duration grace;
    private final ProcessorMetrics metrics;

    DeltaSupplier(Duration window, Duration grace, ProcessorMetrics metrics) {
      this.window = window;
      this.grace = grace;
      this.metrics = metrics;
    }

    @Override
    public FixedKeyProcessor<String, MetricPoint, MetricPoint> get() {
      return new CumulativeToDeltaProcessor(window, grace, metrics);
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      StoreBuilder<KeyValueStore<String, StreamState>> store =
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(CUMULATIVE_STORE),
              Serdes.String(),
              JsonSerde.of(StreamState.class));
      return Set.of(store);
    }
  }
}
