package io.vigil.processor.signals;

import io.vigil.model.Topics;
import io.vigil.model.kafka.DeadLetterRoute;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorMetrics;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The golden-signals topology: {@code otlp_metrics} and the server spans of {@code otlp_spans}
 * (OTLP protobuf) → per-service traffic, errors and latency → final windows on {@code
 * vigil.signals} and live signals on {@code vigil.signals.live} (JSON {@link GoldenSignal}, keyed
 * by {@link GoldenSignal#seriesKey()}).
 *
 * <pre>
 * otlp_metrics ─ decode ─┬─ rejected ─────────────────────────────────────────────▶ vigil.dlq
 *                        └─ points per series, key = series, timestamp = newest point time
 * otlp_spans ─ decode ───┬─ rejected ─────────────────────────────────────────────▶ vigil.dlq
 *   (server spans)       └─ span points per series (delta, fixed buckets)
 *                             ─ both: read on the partition that holds the series' service?
 *                                 yes: straight on (the collector keys records by service)
 *                                 no: repartition by service (signals-by-series), read back
 *                             ─ signals: span points of a series sending metrics left out,
 *                                 cumulative → delta → spread over its seconds,
 *                                 for the service and for the point's operation (route)
 *                                 (stores signals-series-state, signals-windows, signals-live,
 *                                  signals-operations)
 *                                 ├─ final windows, closed on the wall clock ──────▶ vigil.signals
 *                                 └─ live trailing window, per emit_interval ──▶ vigil.signals.live
 * </pre>
 *
 * <p>A service's series are held by the task of the partition its {@code service.name} hashes to
 * ({@link ServicePartitioner}), which is where the collector's records of that service already are:
 * the decode step hands them to the signals step in the same task and transaction, and only records
 * keyed otherwise (or not at all) go through the repartition topic, which the same task reads back.
 * Without the partition count (see {@link #addTo}) every record takes the repartition topic.
 * Processor, store and topic names are fixed here because internal topic names and changelogs
 * depend on them: renaming one is an incompatible upgrade.
 */
public final class GoldenSignalsTopology {
  /**
   * Changelogged in-memory store of the last cumulative point of every stream (and start time), one
   * entry per series. Named anew when its format changed (it was {@code signals-cumulative-state},
   * JSON per stream): a restored changelog in the old format would not decode.
   */
  static final String CUMULATIVE_STORE = "signals-series-state";

  /**
   * Changelogged in-memory store of the final windows not yet emitted, keyed by window start and
   * series. In memory because exactly-once flushes a RocksDB store's memtable to disk at every
   * commit (each 200 ms), which cost a third of the throughput; the state is small (open windows
   * and one entry per stream) and is restored from its changelog.
   */
  static final String WINDOW_STORE = "signals-windows";

  /** Changelogged in-memory store of each series' live one-second slots. */
  static final String LIVE_STORE = "signals-live";

  /** Changelogged in-memory store of each service's operations with series of their own. */
  static final String OPERATIONS_STORE = "signals-operations";

  /**
   * Name of the repartition step; the topic is {@code
   * <application_id>-signals-by-series-repartition}.
   */
  static final String REPARTITION = "signals-by-series";

  /** Changelogged in-memory store of each node's and pod's counters and latest readings. */
  static final String SATURATION_STORE = "signals-saturation";

  /** Changelogged in-memory store of the saturation windows not yet emitted. */
  static final String SATURATION_WINDOW_STORE = "signals-saturation-windows";

  /** Name of the repartition of saturation readings by node or pod series. */
  static final String SATURATION_REPARTITION = "saturation-by-series";

  /** Changelogged in-memory store of each service's live log slots. */
  static final String LOGS_STORE = "signals-logs";

  /** Changelogged in-memory store of the log windows not yet emitted. */
  static final String LOGS_WINDOW_STORE = "signals-logs-windows";

  /** Name of the repartition of log counts by service. */
  static final String LOGS_REPARTITION = "log-counts-by-series";

  private GoldenSignalsTopology() {}

  /**
   * The topology, counting in {@code metrics} and showing every emitted live signal to {@code
   * listener} (on a stream thread, before the transaction commits: for monitoring, not delivery).
   * {@code startedAt} is when this processor instance started: a task whose state is new records it
   * as the time from which a stream's first point is known to be new (a task may first run on this
   * instance later, after a rebalance, while data already flows).
   */
  public static Topology build(
      ProcessorConfig config,
      ProcessorMetrics metrics,
      Consumer<GoldenSignal> listener,
      Instant startedAt) {
    return build(config, metrics, listener, startedAt, 0);
  }

  /**
   * The topology, as {@link #build(ProcessorConfig, ProcessorMetrics, Consumer, Instant)}, with a
   * repartition topic of {@code partitions} partitions (see {@link #addTo}).
   */
  public static Topology build(
      ProcessorConfig config,
      ProcessorMetrics metrics,
      Consumer<GoldenSignal> listener,
      Instant startedAt,
      int partitions) {
    StreamsBuilder builder = new StreamsBuilder();
    addTo(builder, config, metrics, listener, startedAt, partitions);
    return builder.build();
  }

  /**
   * Adds the golden-signal steps to {@code builder}; see {@link #build}. {@code partitions} is the
   * number of partitions of the repartition topic — the larger of {@code otlp_metrics}' and {@code
   * otlp_spans}', as Kafka Streams would make it — so that a series read on the partition of the
   * task that holds it skips the repartition topic ({@link ServicePartitioner}); 0 when unknown:
   * every series takes the repartition topic.
   */
  public static void addTo(
      StreamsBuilder builder,
      ProcessorConfig config,
      ProcessorMetrics metrics,
      Consumer<GoldenSignal> listener,
      Instant startedAt,
      int partitions) {
    Serde<SeriesPoints> pointSerde = BinarySerdes.seriesPoints();

    KStream<String, Object> decoded =
        builder.stream(
                Topics.OTLP_METRICS,
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                    .withTimestampExtractor(new UsePartitionTimeOnInvalidTimestamp())
                    .withName("otlp-metrics-source"))
            .process(
                () ->
                    new DecodeProcessor(
                        metrics, config.maxClockSkew(), DecodeProcessor.Input.METRICS, partitions),
                Named.as("decode-otlp"));
    KStream<String, Object> spanPoints =
        DeadLetterRoute.route(
            builder.stream(
                    Topics.OTLP_SPANS,
                    Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withTimestampExtractor(new UsePartitionTimeOnInvalidTimestamp())
                        .withName("otlp-spans-source"))
                .process(
                    () ->
                        new DecodeProcessor(
                            metrics,
                            config.maxClockSkew(),
                            DecodeProcessor.Input.SPANS,
                            partitions),
                    Named.as("decode-otlp-spans")),
            "decoded-spans",
            Object.class);

    Map<String, KStream<String, Object>> kinds =
        DeadLetterRoute.route(decoded, "decoded", Object.class)
            .merge(spanPoints, Named.as("requests-and-spans"))
            .split(Named.as("decoded-kind-"))
            .branch((series, v) -> v instanceof SaturationPoints, Branched.as("saturation"))
            .branch((job, v) -> v instanceof PipelineRun, Branched.as("lag"))
            .branch((series, v) -> v instanceof OwnedPoints, Branched.as("owned"))
            .defaultBranch(Branched.as("requests"));
    Repartitioned<String, SeriesPoints> bySeries =
        Repartitioned.with(Serdes.String(), pointSerde)
            .withName(REPARTITION)
            .withStreamPartitioner(new ServicePartitioner());
    KStream<String, SeriesPoints> repartitioned =
        kinds
            .get("decoded-kind-requests")
            .mapValues(v -> (SeriesPoints) v, Named.as("decoded-requests"))
            .repartition(partitions > 0 ? bySeries.withNumberOfPartitions(partitions) : bySeries);
    KStream<String, SeriesPoints> requests =
        partitions > 0
            ? kinds
                .get("decoded-kind-owned")
                .mapValues(v -> ((OwnedPoints) v).points(), Named.as("decoded-owned"))
                .merge(repartitioned, Named.as("owned-and-repartitioned"))
            : repartitioned;
    KStream<String, Emitted> requestSignals =
        requests.process(new SignalsSupplier(config, metrics, startedAt), Named.as("signals"));
    KStream<String, Emitted> saturationSignals =
        kinds
            .get("decoded-kind-saturation")
            .mapValues(v -> (SaturationPoints) v, Named.as("decoded-saturation"))
            .repartition(
                Repartitioned.with(Serdes.String(), JsonSerde.of(SaturationPoints.class))
                    .withName(SATURATION_REPARTITION))
            .process(new SaturationSupplier(config, metrics), Named.as("saturation"));
    kinds
        .get("decoded-kind-lag")
        .mapValues(v -> (PipelineRun) v, Named.as("decoded-lag"))
        .to(
            Topics.PIPELINE_RUNS,
            Produced.with(Serdes.String(), JsonSerde.of(PipelineRun.class)).withName("lag-sink"));
    toSignalTopics(
        requestSignals.merge(saturationSignals, Named.as("signals-and-saturation")), "", listener);
  }

  /**
   * Sends live signals to {@code vigil.signals.live} (shown to {@code listener} first) and final
   * windows to {@code vigil.signals}; processor names start with {@code prefix}.
   */
  private static void toSignalTopics(
      KStream<String, Emitted> emitted, String prefix, Consumer<GoldenSignal> listener) {
    Produced<String, GoldenSignal> signalOut =
        Produced.with(Serdes.String(), JsonSerde.of(GoldenSignal.class));
    Map<String, KStream<String, Emitted>> kinds =
        emitted
            .split(Named.as(prefix + "emitted-"))
            .branch((series, e) -> e.live(), Branched.as("live"))
            .defaultBranch(Branched.as("final"));
    kinds
        .get(prefix + "emitted-live")
        .mapValues(Emitted::signal, Named.as(prefix + "live-signal"))
        .peek((series, signal) -> listener.accept(signal), Named.as(prefix + "show-live"))
        .to(Topics.SIGNALS_LIVE, signalOut.withName(prefix + "live-sink"));
    kinds
        .get(prefix + "emitted-final")
        .mapValues(Emitted::signal, Named.as(prefix + "final-signal"))
        .to(Topics.SIGNALS, signalOut.withName(prefix + "signals-sink"));
  }

  /**
   * Adds the log-volume steps: {@code counts} (a service's log records per second, keyed by its
   * {@link LogCounts#seriesKey()}) ─ repartition by service ({@code log-counts-by-series}) ─ {@link
   * LogSignalsProcessor} (stores {@code signals-logs}, {@code signals-logs-windows}) ─ live records
   * to {@code vigil.signals.live}, shown to {@code listener}, and final windows to {@code
   * vigil.signals}.
   */
  public static void addLogSignals(
      KStream<String, LogCounts> counts,
      ProcessorConfig config,
      ProcessorMetrics metrics,
      Consumer<GoldenSignal> listener) {
    toSignalTopics(
        counts
            .repartition(
                Repartitioned.with(Serdes.String(), JsonSerde.of(LogCounts.class))
                    .withName(LOGS_REPARTITION))
            .process(new LogSignalsSupplier(config, metrics), Named.as("log-signals")),
        "log-",
        listener);
  }

  /** Supplies the log-volume step together with its stores. */
  private static final class LogSignalsSupplier
      implements ProcessorSupplier<String, LogCounts, String, Emitted> {
    private final ProcessorConfig config;
    private final ProcessorMetrics metrics;

    LogSignalsSupplier(ProcessorConfig config, ProcessorMetrics metrics) {
      this.config = config;
      this.metrics = metrics;
    }

    @Override
    public Processor<String, LogCounts, String, Emitted> get() {
      return new LogSignalsProcessor(
          config.window(), config.grace(), config.emitInterval(), metrics);
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      return Set.of(
          Stores.keyValueStoreBuilder(
              Stores.inMemoryKeyValueStore(LOGS_STORE),
              Serdes.String(),
              JsonSerde.of(LogSeries.class)),
          Stores.keyValueStoreBuilder(
              Stores.inMemoryKeyValueStore(LOGS_WINDOW_STORE),
              Serdes.String(),
              JsonSerde.of(LogSignalsProcessor.LogWindow.class)));
    }
  }

  /** Supplies the saturation step together with its stores. */
  private static final class SaturationSupplier
      implements ProcessorSupplier<String, SaturationPoints, String, Emitted> {
    private final ProcessorConfig config;
    private final ProcessorMetrics metrics;

    SaturationSupplier(ProcessorConfig config, ProcessorMetrics metrics) {
      this.config = config;
      this.metrics = metrics;
    }

    @Override
    public Processor<String, SaturationPoints, String, Emitted> get() {
      return new SaturationProcessor(config.window(), config.grace(), metrics);
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      return Set.of(
          Stores.keyValueStoreBuilder(
              Stores.inMemoryKeyValueStore(SATURATION_STORE),
              Serdes.String(),
              JsonSerde.of(SaturationState.class)),
          Stores.keyValueStoreBuilder(
              Stores.inMemoryKeyValueStore(SATURATION_WINDOW_STORE),
              Serdes.String(),
              JsonSerde.of(SaturationWindow.class)));
    }
  }

  /** Supplies the signals step together with the stores it needs. */
  private static final class SignalsSupplier
      implements ProcessorSupplier<String, SeriesPoints, String, Emitted> {
    private final ProcessorConfig config;
    private final ProcessorMetrics metrics;
    private final Instant startedAt;

    SignalsSupplier(ProcessorConfig config, ProcessorMetrics metrics, Instant startedAt) {
      this.config = config;
      this.metrics = metrics;
      this.startedAt = startedAt;
    }

    @Override
    public Processor<String, SeriesPoints, String, Emitted> get() {
      return new SignalsProcessor(
          config.window(),
          config.grace(),
          config.emitInterval(),
          config.maxOperationsPerService(),
          metrics,
          startedAt);
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      return Set.of(
          Stores.keyValueStoreBuilder(
              Stores.inMemoryKeyValueStore(CUMULATIVE_STORE),
              Serdes.String(),
              BinarySerdes.seriesState()),
          Stores.keyValueStoreBuilder(
              Stores.inMemoryKeyValueStore(WINDOW_STORE),
              Serdes.String(),
              BinarySerdes.windowTotals()),
          Stores.keyValueStoreBuilder(
              Stores.inMemoryKeyValueStore(LIVE_STORE), Serdes.String(), BinarySerdes.liveSeries()),
          Stores.keyValueStoreBuilder(
              Stores.inMemoryKeyValueStore(OPERATIONS_STORE),
              Serdes.String(),
              JsonSerde.of(OperationGuard.Known.class)));
    }
  }
}
