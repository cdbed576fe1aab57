package io.vigil.processor.journey;

import io.vigil.model.catalog.CatalogEntry;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Turns a job's OpenLineage events into pipeline-run records, after the repartition by job. A run
 * is kept from its first event to its end ({@code journey-runs}); on COMPLETE, FAIL and ABORT its
 * record carries the duration (since its START), rows and bytes written, and data-quality results.
 * On the wall clock, whether or not events arrive: a run still going after its job's expected
 * duration (or, without one, {@code overdueAfter}) is reported overdue (once), and every job's
 * freshness — the age of its last successful run — is emitted every {@code freshnessInterval}, so a
 * pipeline that silently stopped shows up.
 *
 * <p>The catalog ({@code vigil.catalog}, a global table) is read when a record is made, so each
 * record carries the expectations current at that moment: the job's team and tier, an {@code sla}
 * section (expected duration, breached or not) and the freshness target (stale or not).
 */
final class PipelineRunsProcessor implements Processor<String, LineageEvent, String, PipelineRun> {
  /** A run with no event for this long is forgotten (it was reported overdue long before). */
  static final Duration FORGET_RUN_AFTER = Duration.ofDays(7);

  /**
   * How long an ended run is remembered: an event of it arriving again (the collector delivers at
   * least once, a client retries) is left out rather than ending it a second time, with no start
   * and no duration, over the record of its true end.
   */
  static final Duration REMEMBER_ENDED_RUN = Duration.ofHours(1);

  private final Duration overdueAfter;
  private final Duration freshnessInterval;
  private final ProcessorMetrics metrics;
  private ProcessorContext<String, PipelineRun> context;
  private KeyValueStore<String, RunState> runs;
  private KeyValueStore<String, JobState> jobs;
  private TimestampedKeyValueStore<String, CatalogEntry> catalog;

  PipelineRunsProcessor(Duration overdueAfter, Duration freshnessInterval, ProcessorMetrics m) {
    this.overdueAfter = overdueAfter;
    this.freshnessInterval = freshnessInterval;
    this.metrics = m;
  }

  @Override
  public void init(ProcessorContext<String, PipelineRun> context) {
    this.context = context;
    this.runs = context.getStateStore(JourneyTopology.RUNS_STORE);
    this.jobs = context.getStateStore(JourneyTopology.JOBS_STORE);
    // A global store: every task reads all of it, read-only, without connecting to it.
    this.catalog = context.getStateStore(JourneyTopology.CATALOG_STORE);
    context.schedule(freshnessInterval, PunctuationType.WALL_CLOCK_TIME, this::tick);
  }

  @Override
  public void process(Record<String, LineageEvent> record) {
    LineageEvent event = record.value();
    RunState run = runs.get(event.runId());
    if (run == null) {
      run = new RunState();
    } else if (run.ended != null) {
      metrics.lineageEventAfterEnd();
      return;
    }
    run.merge(event);
    JobState job = jobs.get(event.jobKey());
    if (job == null) {
      job = new JobState(event.namespace(), event.name());
    }
    if (job.lastEvent == null || event.eventTime().isAfter(job.lastEvent)) {
      job.lastEvent = event.eventTime();
    }
    if (job.firstSeen == null || event.eventTime().isBefore(job.firstSeen)) {
      job.firstSeen = event.eventTime();
    }
    if ("START".equals(event.eventType())) {
      emit(event.runId(), run, "running", event.eventTime(), null);
      runs.put(event.runId(), run);
    } else if (event.terminal()) {
      String state =
          switch (event.eventType()) {
            case "COMPLETE" -> "complete";
            case "FAIL" -> "failed";
            default -> "aborted";
          };
      emit(event.runId(), run, state, event.eventTime(), event.eventTime());
      run.ended = state;
      run.endedAtMs = context.currentSystemTimeMs();
      runs.put(event.runId(), run);
      if ("complete".equals(state)
          && (job.lastSuccess == null || event.eventTime().isAfter(job.lastSuccess))) {
        job.lastSuccess = event.eventTime();
      }
    } else {
      runs.put(event.runId(), run);
    }
    jobs.put(event.jobKey(), job);
  }

  private void emit(String runId, RunState run, String state, Instant at, Instant end) {
    Double duration = null;
    if (run.start != null) {
      Instant until = end != null ? end : at;
      duration = Duration.between(run.start, until).toMillis() / 1000.0;
    }
    CatalogEntry expected = expectations(run.namespace, run.name);
    PipelineRun.Sla sla = null;
    if (expected != null && expected.expectedDurationS() != null) {
      double limit = expected.expectedDurationS();
      Boolean breached =
          switch (state) {
            case "running" -> null;
            case "overdue" -> true;
            default -> duration == null ? null : duration > limit;
          };
      sla = new PipelineRun.Sla(limit, breached);
    }
    PipelineRun.DataQuality dq =
        run.assertions > 0
            ? new PipelineRun.DataQuality(
                run.assertions, run.failedAssertions.size(), run.failedAssertions)
            : null;
    PipelineRun out =
        new PipelineRun(
            at,
            PipelineRun.RUN,
            new PipelineRun.Job(run.namespace, run.name),
            new PipelineRun.Run(runId, run.parentRunId, run.parentJob, run.cluster),
            state,
            run.start,
            end,
            duration,
            run.rows,
            run.bytes,
            dq,
            null,
            sla,
            expected == null ? null : expected.team(),
            expected == null ? null : expected.tier());
    metrics.pipelineRecordEmitted(state);
    // Kafka refuses record timestamps far ahead of its clock; an event's time may be anything.
    context.forward(new Record<>(out.job().key(), out, context.currentSystemTimeMs()));
  }

  /** Runs on the wall clock: overdue runs, then every job's freshness. */
  private void tick(long nowMs) {
    Instant now = Instant.ofEpochMilli(nowMs);
    List<KeyValue<String, RunState>> changed = new ArrayList<>();
    List<String> forgotten = new ArrayList<>();
    try (KeyValueIterator<String, RunState> it = runs.all()) {
      while (it.hasNext()) {
        KeyValue<String, RunState> entry = it.next();
        RunState run = entry.value;
        if (run.ended != null) {
          if (run.endedAtMs + REMEMBER_ENDED_RUN.toMillis() < nowMs) {
            forgotten.add(entry.key);
          }
        } else if (run.lastEvent != null && run.lastEvent.plus(FORGET_RUN_AFTER).isBefore(now)) {
          forgotten.add(entry.key);
        } else if (!run.overdueEmitted
            && run.start != null
            && run.start.plus(overdueAfter(run)).isBefore(now)) {
          emit(entry.key, run, "overdue", now, null);
          run.overdueEmitted = true;
          changed.add(entry);
        }
      }
    }
    changed.forEach(e -> runs.put(e.key, e.value));
    forgotten.forEach(runs::delete);
    try (KeyValueIterator<String, JobState> it = jobs.all()) {
      while (it.hasNext()) {
        JobState job = it.next().value;
        Double age =
            job.lastSuccess == null
                ? null
                : Duration.between(job.lastSuccess, now).toMillis() / 1000.0;
        CatalogEntry expected = expectations(job.namespace, job.name);
        Double target = expected == null ? null : expected.freshnessTargetS();
        PipelineRun freshness =
            PipelineRun.freshness(
                now,
                new PipelineRun.Job(job.namespace, job.name),
                new PipelineRun.Freshness(job.lastSuccess, age, target, stale(job, target, now)),
                expected == null ? null : expected.team(),
                expected == null ? null : expected.tier());
        metrics.pipelineRecordEmitted(PipelineRun.FRESHNESS);
        context.forward(new Record<>(freshness.job().key(), freshness, nowMs));
      }
    }
  }

  /** The job's catalog entry, or null when the catalog has none. */
  private CatalogEntry expectations(String namespace, String name) {
    if (namespace == null || name == null) {
      return null;
    }
    ValueAndTimestamp<CatalogEntry> entry = catalog.get(CatalogEntry.jobKey(namespace, name));
    return entry == null ? null : entry.value();
  }

  /**
   * When a run is overdue: after its job's expected duration when the catalog gives one (a job
   * expected to take 10 min is late at 11, one expected to take 10 h is not late at 6), else after
   * the configured {@code overdue_after}.
   */
  private Duration overdueAfter(RunState run) {
    CatalogEntry expected = expectations(run.namespace, run.name);
    Duration limit = expected == null ? null : expected.expectedDuration();
    return limit != null ? limit : overdueAfter;
  }

  /**
   * Whether the job missed its freshness target: its last success is older than the target or,
   * before any success was seen, it has been known for longer than the target (a pipeline failing
   * since it was first seen is stale too). Null without a target, or with nothing to measure from.
   */
  private static Boolean stale(JobState job, Double targetS, Instant now) {
    if (targetS == null) {
      return null;
    }
    Instant since = job.lastSuccess != null ? job.lastSuccess : job.firstSeen;
    if (since == null) {
      return null;
    }
    return Duration.between(since, now).toMillis() / 1000.0 > targetS;
  }
}
