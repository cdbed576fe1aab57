package io.vigil.alerting.rules;

import io.vigil.alerting.rules.Sample.Source;
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
 *       operation} (those present); every numeric field by its JSON path ({@code errors.ratio},
 *       {@code latency_ms.p99}, {@code saturation.cpu_utilization}, …); time = window end. A window
 *       without requests has no {@code errors.ratio} (0 of 0 is not a ratio) and no latency: see
 *       {@link Sample#quiet()}.
 *   <li>Pipeline runs: labels {@code job_namespace}, {@code job}; on run records {@code
 *       pipeline.failed} (1 for failed or aborted, 0 for complete), {@code pipeline.overdue} (1
 *       when overdue, 0 once the run ended), {@code pipeline.duration_s}, {@code pipeline.rows},
 *       {@code pipeline.bytes}, {@code pipeline.data_quality.assertions}, {@code
 *       pipeline.data_quality.failed}, {@code pipeline.data_quality.failed_ratio}; on freshness
 *       records {@code freshness.age_s}. A running run carries only its duration so far, if known.
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
          "freshness.age_s");

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
    Map<String, Double> values = SignalFields.values(signal);
    if (signal.traffic() != null && signal.traffic().requests() == 0) {
      values.remove("errors.ratio");
    }
    return new Sample(Source.SIGNALS, signal.seriesKey(), labels, values, signal.window().end());
  }

  /** A pipeline-run or freshness record as a sample of its job. */
  public static Sample of(PipelineRun run) {
    Map<String, String> labels = new TreeMap<>();
    labels.put("job_namespace", run.job().namespace());
    labels.put("job", run.job().name());
    Map<String, Double> values = new HashMap<>();
    if (PipelineRun.FRESHNESS.equals(run.kind())) {
      if (run.freshness() != null && run.freshness().ageS() != null) {
        values.put("freshness.age_s", run.freshness().ageS());
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
    }
    return new Sample(Source.PIPELINES, run.job().key(), labels, values, run.timestamp());
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
