package io.vigil.model;

import java.time.Duration;
import java.util.Map;

/** Kafka topic names: the contract between collector, processor and alerting. */
public final class Topics {
  /** One OTLP {@code ExportMetricsServiceRequest} per record, protobuf, keyed by service. */
  public static final String OTLP_METRICS = "otlp_metrics";

  /** One OTLP {@code ExportLogsServiceRequest} per record, protobuf, keyed by service. */
  public static final String OTLP_LOGS = "otlp_logs";

  /** One OTLP {@code ExportTraceServiceRequest} per record, protobuf, keyed by service. */
  public static final String OTLP_SPANS = "otlp_spans";

  /** OpenLineage RunEvents, JSON, keyed by job namespace and name. */
  public static final String LINEAGE = "vigil.lineage";

  /**
   * Compacted: where each collector's log tailer keeps how far it has read each file, written in
   * the same Kafka transaction as the lines themselves. Key {@code <checkpoint id>|<file key>}.
   */
  public static final String LOG_OFFSETS = "vigil.collector.log-offsets";

  /** Final golden-signal windows (and late supplements), JSON, keyed by series. */
  public static final String SIGNALS = "vigil.signals";

  /**
   * Live golden signals over the trailing window, JSON, keyed by series; rate-limited per series,
   * short retention; what alerting evaluates.
   */
  public static final String SIGNALS_LIVE = "vigil.signals.live";

  /**
   * Topic settings of {@link #SIGNALS_LIVE}, whoever creates it: live signals are for evaluation
   * now, so an hour (enough for a catch-up) is kept.
   */
  public static final Map<String, String> SIGNALS_LIVE_CONFIG =
      Map.of("retention.ms", Long.toString(Duration.ofHours(1).toMillis()));

  /**
   * Compacted: the catalog of expectations (team, tier, expected duration, freshness target), one
   * {@code CatalogEntry} JSON per job or service, keyed by {@code CatalogEntry.key()} ({@code
   * job:<namespace>/<name>}, {@code service:<namespace>/<name>}); a null value removes the entry.
   * Written from the processor's catalog file, read by the data journey as a global table.
   */
  public static final String CATALOG = "vigil.catalog";

  /** How {@link #CATALOG} is created: compacted, so the latest entry of every key is kept. */
  public static final Map<String, String> CATALOG_CONFIG = Map.of("cleanup.policy", "compact");

  /** Pipeline-run, freshness and lag records, JSON, keyed by job. */
  public static final String PIPELINE_RUNS = "vigil.pipeline-runs";

  /** Enriched log records with ECS field names, JSON, keyed by service. */
  public static final String LOGS = "vigil.logs";

  /** Alert state transitions, JSON, keyed by alert fingerprint. */
  public static final String ALERTS = "vigil.alerts";

  /**
   * Alerts posted to the alerting API by Prometheus (or anything speaking Alertmanager's API),
   * keyed by fingerprint, as {@code AlertTransition} JSON: dispatched like the rules' own.
   */
  public static final String ALERTS_EXTERNAL = "vigil.alerts.external";

  /** Compacted notification log, keyed by alert group and integration. */
  public static final String NOTIFICATIONS = "vigil.notifications";

  /**
   * Notifications waiting for delivery, keyed by alert group (JSON): written by the dispatcher,
   * read by the delivery workers. Compacted, so the latest notification of each group is what a
   * restarted or new worker finds.
   */
  public static final String NOTIFICATION_QUEUE = "vigil.notifications.queue";

  /** How {@link #NOTIFICATION_QUEUE} is created: compacted, and deleted after seven days. */
  public static final Map<String, String> NOTIFICATION_QUEUE_CONFIG =
      Map.of(
          "cleanup.policy",
          "compact,delete",
          "retention.ms",
          Long.toString(Duration.ofDays(7).toMillis()));

  /**
   * Silences created through the alerting API, compacted, keyed by silence id (JSON): every
   * alerting replica folds the whole topic, so all of them mute the same alerts.
   */
  public static final String SILENCES = "vigil.silences";

  /** Records that could not be processed, with the reason in headers. */
  public static final String DLQ = "vigil.dlq";

  /** Header on DLQ records naming why the record was rejected. */
  public static final String DLQ_REASON_HEADER = "vigil.dlq.reason";

  /** Header on DLQ records naming the topic the record came from. */
  public static final String DLQ_SOURCE_TOPIC_HEADER = "vigil.dlq.source.topic";

  /** Header on DLQ records naming the partition the record came from. */
  public static final String DLQ_SOURCE_PARTITION_HEADER = "vigil.dlq.source.partition";

  /** Header on DLQ records naming the offset the record had. */
  public static final String DLQ_SOURCE_OFFSET_HEADER = "vigil.dlq.source.offset";

  /** Header on DLQ records with the error text (at most 1000 characters). */
  public static final String DLQ_ERROR_HEADER = "vigil.dlq.error";

  private Topics() {}
}
