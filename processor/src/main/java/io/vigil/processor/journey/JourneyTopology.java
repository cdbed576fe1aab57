package io.vigil.processor.journey;

import io.vigil.model.Topics;
import io.vigil.model.catalog.CatalogEntry;
import io.vigil.model.kafka.DeadLetterRoute;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.runtime.ThrottlingLogger;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorMetrics;
import java.util.Set;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.LoggerFactory;

/**
 * The data-journey topology: OpenLineage RunEvents on {@code vigil.lineage} → pipeline-run and
 * freshness records on {@code vigil.pipeline-runs} (JSON {@link PipelineRun}, keyed by job).
 *
 * <pre>
 * vigil.lineage ─ parse ─┬─ invalid (reason names the field) ──────────────────▶ vigil.dlq
 *                        └─ events, key = job ─ repartition by job (journey-by-job)
 *                             ─ pipeline runs (stores journey-runs, journey-jobs)
 *                                 ├─ run started / ended, with duration, rows, data quality
 *                                 └─ on the wall clock: overdue runs, job freshness ──▶ vigil.pipeline-runs
 * vigil.catalog ─ global table (store journey-catalog): team, tier, expected duration,
 *                 freshness target of each job, read by the pipeline-runs step
 * </pre>
 */
public final class JourneyTopology {
  /** Changelogged in-memory store of the runs that have not ended, keyed by run id. */
  static final String RUNS_STORE = "journey-runs";

  /** Changelogged in-memory store of what is known of each job, keyed by namespace/name. */
  static final String JOBS_STORE = "journey-jobs";

  /** Name of the repartition step: topic {@code <application_id>-journey-by-job-repartition}. */
  static final String REPARTITION = "journey-by-job";

  /**
   * In-memory global store of {@code vigil.catalog} (every instance holds all of it; the topic is
   * its changelog), keyed by {@code CatalogEntry.key()}.
   */
  static final String CATALOG_STORE = "journey-catalog";

  private static final ThrottlingLogger LOG =
      new ThrottlingLogger(LoggerFactory.getLogger(JourneyTopology.class));

  private JourneyTopology() {}

  /** The journey topology alone (for tests and tools). */
  public static Topology build(ProcessorConfig config, ProcessorMetrics metrics) {
    StreamsBuilder builder = new StreamsBuilder();
    addTo(builder, config, metrics);
    return builder.build();
  }

  /** Adds the journey's steps to {@code builder}. */
  public static void addTo(
      StreamsBuilder builder, ProcessorConfig config, ProcessorMetrics metrics) {
    builder.globalTable(
        Topics.CATALOG,
        Consumed.with(Serdes.String(), catalogSerde(metrics)).withName("catalog-source"),
        Materialized.<String, CatalogEntry>as(Stores.inMemoryKeyValueStore(CATALOG_STORE))
            .withKeySerde(Serdes.String())
            .withValueSerde(catalogSerde(metrics)));
    KStream<String, Object> parsed =
        builder.stream(
                Topics.LINEAGE,
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("lineage-source"))
            .process(() -> new ParseProcessor(metrics), Named.as("parse-lineage"));
    DeadLetterRoute.route(parsed, "lineage", LineageEvent.class)
        .repartition(
            Repartitioned.with(Serdes.String(), JsonSerde.of(LineageEvent.class))
                .withName(REPARTITION))
        .process(new RunsSupplier(config, metrics), Named.as("pipeline-runs"))
        .to(
            Topics.PIPELINE_RUNS,
            Produced.with(Serdes.String(), JsonSerde.of(PipelineRun.class))
                .withName("pipeline-runs-sink"));
  }

  /**
   * The catalog's JSON, read leniently: an entry that does not parse (written by hand, by a newer
   * version gone wrong) counts as absent — its job simply has no expectations — and is counted and
   * logged, rather than stopping the global thread. Only the catalog publisher writes the topic, so
   * this is a safety net: a global table's store is restored from its topic as raw bytes and only
   * deserialized when read, where the deserialization handler (and the DLQ) cannot reach it.
   */
  private static Serde<CatalogEntry> catalogSerde(ProcessorMetrics metrics) {
    Serde<CatalogEntry> json = JsonSerde.of(CatalogEntry.class);
    Deserializer<CatalogEntry> strict = json.deserializer();
    Deserializer<CatalogEntry> lenient =
        (topic, bytes) -> {
          try {
            return strict.deserialize(topic, bytes);
          } catch (SerializationException e) {
            metrics.recordRejected("invalid_catalog_entry");
            LOG.warn("ignoring an unreadable {} entry: {}", Topics.CATALOG, e.getMessage());
            return null;
          }
        };
    return Serdes.serdeFrom(json.serializer(), lenient);
  }

  /** Parses each RunEvent; keys it by job, or sends it towards the DLQ. */
  private static final class ParseProcessor
      extends ContextualProcessor<byte[], byte[], String, Object> {
    private final ProcessorMetrics metrics;

    ParseProcessor(ProcessorMetrics metrics) {
      this.metrics = metrics;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      if (record.value() == null) {
        reject(record, "null_value", "record has no value");
        return;
      }
      try {
        LineageEvent event = LineageEventParser.parse(record.value());
        metrics.lineageEventAccepted();
        context().forward(new Record<>(event.jobKey(), event, record.timestamp()));
      } catch (LineageEventParser.InvalidEvent e) {
        reject(record, e.reason(), e.getMessage());
      } catch (RuntimeException e) {
        reject(record, "unprocessable", e.toString());
      }
    }

    private void reject(Record<byte[], byte[]> record, String reason, String detail) {
      context()
          .forward(
              DeadLetterRoute.reject(
                  record, Topics.LINEAGE, reason, detail, metrics::recordRejected, LOG));
    }
  }

  /** Supplies the runs step with its stores. */
  private static final class RunsSupplier
      implements ProcessorSupplier<String, LineageEvent, String, PipelineRun> {
    private final ProcessorConfig config;
    private final ProcessorMetrics metrics;

    RunsSupplier(ProcessorConfig config, ProcessorMetrics metrics) {
      this.config = config;
      this.metrics = metrics;
    }

    @Override
    public Processor<String, LineageEvent, String, PipelineRun> get() {
      return new PipelineRunsProcessor(
          config.pipelines().overdueAfter(), config.pipelines().freshnessInterval(), metrics);
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      return Set.of(
          Stores.keyValueStoreBuilder(
              Stores.inMemoryKeyValueStore(RUNS_STORE),
              Serdes.String(),
              JsonSerde.of(RunState.class)),
          Stores.keyValueStoreBuilder(
              Stores.inMemoryKeyValueStore(JOBS_STORE),
              Serdes.String(),
              JsonSerde.of(JobState.class)));
    }
  }
}
