package io.vigil.alerting.rules;

import io.vigil.alerting.rules.Sample.Source;
import io.vigil.model.log.LogRecord;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The adapters from input records to {@link Sample}s, and the field names each source offers — what
 * a rule's {@code expr} may name.
 *
 * <ul>
 *   <li>Golden signals: labels {@code cluster}, {@code namespace}, {@code service}, {@code
 *       operation}, and on saturation records {@code node} and {@code pod} (those present); every
 *       numeric field by its JSON path ({@code errors.ratio}, {@code latency_ms.p99}, {@code
 *       saturation.cpu_utilization}, …); time = window end. A window without requests has no {@code
 *       errors.ratio} (0 of 0 is not a ratio) and no latency: see {@link Sample#quiet()}.
 *   <li>Pipeline runs: labels {@code job_namespace}, {@code job}; on run records {@code
 *       pipeline.failed} (1 for failed or aborted, 0 for complete), {@code pipeline.overdue} (1
 *       when overdue, 0 once the run ended), {@code pipeline.duration_s}, {@code pipeline.rows},
 *       {@code pipeline.bytes}, {@code pipeline.data_quality.assertions}, {@code
 *       pipeline.data_quality.failed}, {@code pipeline.data_quality.failed_ratio}, and for jobs in
 *       the catalog {@code pipeline.sla_breached} and {@code pipeline.expected_duration_s}; on
 *       freshness records {@code freshness.age_s}, and with a catalog target {@code
 *       freshness.target_s} and {@code freshness.stale}; labels {@code team} and {@code tier} when
 *       the catalog gives them. A running run carries only its duration so far, if known. On lag
 *       records (a consumer group's, job = cluster/group) {@code lag.messages} and {@code
 *       lag.seconds}, label {@code topic}, one series per group and topic.
 *   <li>Log records ({@code vigil.logs}), for log-pattern rules: a {@link LogLine} with labels
 *       {@code cluster} ({@code orchestrator.cluster.name}), {@code namespace} ({@code
 *       kubernetes.namespace}, else {@code service.namespace}, as the processor's log-volume
 *       series), {@code service}, {@code level} ({@code log.level}: trace, debug, info, warn,
 *       error, fatal), {@code pod}, {@code container}, {@code node}, {@code host}; the {@code
 *       message}; time = {@code @timestamp}.
 * </ul>
 */
public final class Samples {
  private static final List<String> PIPELINE_FIELDS =
      List.of(
          "pipeline.failed",
          "pipeline.overdue",
          "pipeline.duration_s",
          "pipeline.rows",
          "pipeline.bytes",
          "pipeline.data_quality.assertions",
          "pipeline.data_quality.failed",
          "pipeline.data_quality.failed_ratio",
          "pipeline.sla_breached",
          "pipeline.expected_duration_s",
          "freshness.age_s",
          "freshness.target_s",
          "freshness.stale",
          "lag.messages",
          "lag.seconds");

  private static final Map<String, Source> FIELDS = fields();

  private Samples() {}

  /** The source whose samples carry {@code field}, or null when no source has it. */
  public static Source sourceOf(String field) {
    return FIELDS.get(field);
  }

  /** Every field name a rule can use, in name order. */
  public static Set<String> fieldNames() {
    return new TreeSet<>(FIELDS.keySet());
  }

  /** A live golden-signal window as a sample of its series. */
  public static Sample of(GoldenSignal signal) {
    Map<String, String> labels = new TreeMap<>();
    putIfPresent(labels, "cluster", signal.cluster());
    putIfPresent(labels, "namespace", signal.namespace());
    putIfPresent(labels, "service", signal.service());
    putIfPresent(labels, "operation", signal.operation());
    putIfPresent(labels, "node", signal.node());
    putIfPresent(labels, "pod", signal.pod());
    Map<String, Double> values = SignalFields.values(signal);
    if (signal.traffic() != null && signal.traffic().requests() == 0) {
      values.remove("errors.ratio");
    }
    return new Sample(Source.SIGNALS, signal.seriesKey(), labels, values, signal.window().end());
  }

  /**
   * A pipeline-run or freshness record as a sample of its job. With a catalog entry for the job
   * ({@code vigil.catalog}) the sample also carries the labels {@code team} and {@code tier} (those
   * given), on run records {@code pipeline.expected_duration_s} and {@code pipeline.sla_breached}
   * (1 when an ended run took longer than expected or a run is overdue past it, 0 when an ended run
   * did not; absent while running), and on freshness records {@code freshness.target_s} and {@code
   * freshness.stale} (1 when no run completed within the target).
   */
  public static Sample of(PipelineRun run) {
    Map<String, String> labels = new TreeMap<>();
    labels.put("job_namespace", run.job().namespace());
    labels.put("job", run.job().name());
    if (run.team() != null && !run.team().isEmpty()) {
      labels.put("team", run.team());
    }
    if (run.tier() != null && !run.tier().isEmpty()) {
      labels.put("tier", run.tier());
    }
    Map<String, Double> values = new HashMap<>();
    if (PipelineRun.LAG.equals(run.kind())) {
      if (run.lag() == null) {
        return new Sample(Source.PIPELINES, run.job().key(), labels, values, run.timestamp());
      }
      // A group consuming several topics is behind on each: one series per topic.
      labels.put("topic", run.lag().topic());
      values.put("lag.messages", (double) run.lag().messages());
      putIfPresent(values, "lag.seconds", run.lag().seconds());
      return new Sample(
          Source.PIPELINES,
          run.job().key() + "/" + run.lag().topic(),
          labels,
          values,
          run.timestamp());
    }
    if (PipelineRun.FRESHNESS.equals(run.kind())) {
      PipelineRun.Freshness freshness = run.freshness();
      if (freshness != null) {
        putIfPresent(values, "freshness.age_s", freshness.ageS());
        putIfPresent(values, "freshness.target_s", freshness.targetS());
        if (freshness.stale() != null) {
          values.put("freshness.stale", freshness.stale() ? 1.0 : 0.0);
        }
      }
    } else {
      String state = run.state() == null ? "" : run.state();
      boolean ended = state.equals("complete") || state.equals("failed") || state.equals("aborted");
      if (ended) {
        values.put("pipeline.failed", state.equals("complete") ? 0.0 : 1.0);
        values.put("pipeline.overdue", 0.0);
      } else if (state.equals("overdue")) {
        values.put("pipeline.overdue", 1.0);
      }
      putIfPresent(values, "pipeline.duration_s", run.durationS());
      putIfPresent(values, "pipeline.rows", run.rows());
      putIfPresent(values, "pipeline.bytes", run.bytes());
      PipelineRun.DataQuality dq = run.dataQuality();
      if (dq != null) {
        values.put("pipeline.data_quality.assertions", (double) dq.assertions());
        values.put("pipeline.data_quality.failed", (double) dq.failed());
        if (dq.assertions() > 0) {
          values.put("pipeline.data_quality.failed_ratio", dq.failed() / (double) dq.assertions());
        }
      }
      PipelineRun.Sla sla = run.sla();
      if (sla != null) {
        values.put("pipeline.expected_duration_s", sla.expectedDurationS());
        if (sla.breached() != null) {
          values.put("pipeline.sla_breached", sla.breached() ? 1.0 : 0.0);
        }
      }
    }
    return new Sample(Source.PIPELINES, run.job().key(), labels, values, run.timestamp());
  }

  /** A log record as the line log-pattern rules match. */
  public static LogLine of(LogRecord log) {
    Map<String, String> labels = new TreeMap<>();
    if (log.orchestrator() != null && log.orchestrator().cluster() != null) {
      putIfPresent(labels, "cluster", log.orchestrator().cluster().name());
    }
    LogRecord.Kubernetes k8s = log.kubernetes();
    putIfPresent(
        labels,
        "namespace",
        k8s != null && k8s.namespace() != null ? k8s.namespace() : log.service().namespace());
    putIfPresent(labels, "service", log.service().name());
    if (log.log() != null) {
      putIfPresent(labels, "level", log.log().level());
    }
    if (k8s != null) {
      putIfPresent(labels, "pod", k8s.pod() == null ? null : k8s.pod().name());
      putIfPresent(labels, "container", k8s.container() == null ? null : k8s.container().name());
      putIfPresent(labels, "node", k8s.node() == null ? null : k8s.node().name());
    }
    putIfPresent(labels, "host", log.host() == null ? null : log.host().name());
    return new LogLine(labels, log.message(), log.timestamp());
  }

  private static Map<String, Source> fields() {
    Map<String, Source> fields = new HashMap<>();
    SignalFields.names().stream()
        .filter(name -> !name.equals("revision")) // late supplements are not live signals
        .forEach(name -> fields.put(name, Source.SIGNALS));
    PIPELINE_FIELDS.forEach(name -> fields.put(name, Source.PIPELINES));
    return Map.copyOf(fields);
  }

  private static void putIfPresent(Map<String, String> labels, String name, String value) {
    if (value != null && !value.isEmpty()) {
      labels.put(name, value);
    }
  }

  private static void putIfPresent(Map<String, Double> values, String name, Number value) {
    if (value != null) {
      values.put(name, value.doubleValue());
    }
  }
}
