package io.vigil.model.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One record of a pipeline's data journey on {@code vigil.pipeline-runs}, keyed by {@link
 * Job#key()}: a run's state change ({@code kind} = {@code run}: running, complete, failed, aborted,
 * overdue), or a job's freshness ({@code kind} = {@code freshness}), emitted on the wall clock
 * whether or not events arrive, or a streaming job's lag on one topic ({@code kind} = {@code lag}:
 * a consumer group, from the collector's lag gauges). Sections that do not apply are null and
 * omitted.
 *
 * @param timestamp when the state was reached (the event's time; the emission time for overdue and
 *     freshness)
 * @param kind {@value #RUN}, {@value #FRESHNESS} or {@value #LAG}
 * @param job the OpenLineage job
 * @param run the run, on run records
 * @param state on run records: running, complete, failed, aborted, overdue
 * @param start when the run started (its START event), when known
 * @param end when the run ended, on complete, failed and aborted
 * @param durationS end − start in seconds (for overdue: how long it has been running)
 * @param rows rows written ({@code outputStatistics.rowCount}, summed over outputs), when given
 * @param bytes bytes written ({@code outputStatistics.size}, summed over outputs), when given
 * @param dataQuality the run's data-quality assertions ({@code dataQualityAssertions}), when given
 * @param freshness on freshness records: the job's last successful run and its age, and its
 *     freshness target when the catalog gives one
 * @param sla on run records of a job whose catalog entry gives an expected duration: that duration
 *     and whether the run exceeded it
 * @param team the job's team from the catalog ({@code vigil.catalog}), when it has one
 * @param tier the job's tier from the catalog, when it has one
 * @param lag on lag records: how far a consumer group is behind on one topic
 */
public record PipelineRun(
    @JsonProperty("@timestamp") Instant timestamp,
    @JsonProperty("kind") String kind,
    @JsonProperty("job") Job job,
    @JsonProperty("run") Run run,
    @JsonProperty("state") String state,
    @JsonProperty("start") Instant start,
    @JsonProperty("end") Instant end,
    @JsonProperty("duration_s") Double durationS,
    @JsonProperty("rows") Long rows,
    @JsonProperty("bytes") Long bytes,
    @JsonProperty("data_quality") DataQuality dataQuality,
    @JsonProperty("freshness") Freshness freshness,
    @JsonProperty("sla") Sla sla,
    @JsonProperty("team") String team,
    @JsonProperty("tier") String tier,
    @JsonProperty("lag") Lag lag) {

  /** Kind of a run's state change. */
  public static final String RUN = "run";

  /** Kind of a job's freshness record. */
  public static final String FRESHNESS = "freshness";

  /** Kind of a streaming job's (consumer group's) lag record. */
  public static final String LAG = "lag";

  /** Checks the fields every consumer relies on. */
  public PipelineRun {
    Objects.requireNonNull(timestamp, "@timestamp");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(job, "job");
  }

  /** A record without catalog expectations (no {@code sla}, {@code team}, {@code tier}). */
  public PipelineRun(
      Instant timestamp,
      String kind,
      Job job,
      Run run,
      String state,
      Instant start,
      Instant end,
      Double durationS,
      Long rows,
      Long bytes,
      DataQuality dataQuality,
      Freshness freshness) {
    this(
        timestamp,
        kind,
        job,
        run,
        state,
        start,
        end,
        durationS,
        rows,
        bytes,
        dataQuality,
        freshness,
        null,
        null,
        null,
        null);
  }

  /** A run or freshness record with catalog expectations (no {@code lag}). */
  public PipelineRun(
      Instant timestamp,
      String kind,
      Job job,
      Run run,
      String state,
      Instant start,
      Instant end,
      Double durationS,
      Long rows,
      Long bytes,
      DataQuality dataQuality,
      Freshness freshness,
      Sla sla,
      String team,
      String tier) {
    this(
        timestamp,
        kind,
        job,
        run,
        state,
        start,
        end,
        durationS,
        rows,
        bytes,
        dataQuality,
        freshness,
        sla,
        team,
        tier,
        null);
  }

  /**
   * A streaming job's lag on one topic at {@code at}: the job is the consumer group ({@code
   * namespace} = the Kafka cluster's name in the collector's {@code lag} settings, {@code name} =
   * the group id).
   */
  public static PipelineRun lag(Instant at, Job job, Lag lag) {
    return new PipelineRun(
        at, LAG, job, null, null, null, null, null, null, null, null, null, null, null, null, lag);
  }

  /** A job's freshness record at {@code at}, without team or tier. */
  public static PipelineRun freshness(Instant at, Job job, Freshness freshness) {
    return freshness(at, job, freshness, null, null);
  }

  /** A job's freshness record at {@code at}, with the team and tier the catalog gives (or null). */
  public static PipelineRun freshness(
      Instant at, Job job, Freshness freshness, String team, String tier) {
    return new PipelineRun(
        at, FRESHNESS, job, null, null, null, null, null, null, null, null, freshness, null, team,
        tier);
  }

  /**
   * Stable id: a run's state (job, run id, state) or a job's freshness at a time, so that a
   * re-delivered record overwrites rather than duplicates.
   */
  @JsonProperty(value = "id", access = JsonProperty.Access.READ_ONLY)
  public String id() {
    if (RUN.equals(kind) && run != null) {
      return job.key() + "/" + run.id() + "/" + state;
    }
    if (LAG.equals(kind) && lag != null) {
      return job.key() + "/" + lag.topic() + "@" + timestamp.toEpochMilli();
    }
    return job.key() + "@" + timestamp.toEpochMilli();
  }

  /**
   * How far a consumer group is behind on one topic.
   *
   * @param topic the topic
   * @param messages messages behind the partitions' ends, summed over the topic's partitions
   * @param seconds how long ago the partitions' ends were where the group is now, the largest over
   *     the topic's partitions (estimated by the collector); null when not known yet
   */
  public record Lag(
      @JsonProperty("topic") String topic,
      @JsonProperty("messages") long messages,
      @JsonProperty("seconds") Double seconds) {
    /** Checks the topic is named. */
    public Lag {
      Objects.requireNonNull(topic, "lag.topic");
    }
  }

  /** An OpenLineage job: its namespace and name. */
  public record Job(
      @JsonProperty("namespace") String namespace, @JsonProperty("name") String name) {
    /** Checks both parts are there. */
    public Job {
      Objects.requireNonNull(namespace, "job.namespace");
      Objects.requireNonNull(name, "job.name");
    }

    /** {@code namespace/name}: the record key. */
    @JsonIgnore
    public String key() {
      return namespace + "/" + name;
    }
  }

  /**
   * A run: its id and, when it belongs to a larger run (a task of a DAG, a model of a dbt run), its
   * parent's run id and job; the Kubernetes cluster whose collector received its events ({@code
   * k8s.cluster.name} of the collector's {@code resource}, from the events' {@code vigil_resource}
   * run facet), or null.
   */
  public record Run(
      @JsonProperty("id") String id,
      @JsonProperty("parent_id") String parentId,
      @JsonProperty("parent_job") String parentJob,
      @JsonProperty("cluster") String cluster) {

    /** A run whose cluster is not known. */
    public Run(String id, String parentId, String parentJob) {
      this(id, parentId, parentJob, null);
    }
  }

  /** Data-quality assertions of a run: how many, how many failed, and which. */
  public record DataQuality(
      @JsonProperty("assertions") int assertions,
      @JsonProperty("failed") int failed,
      @JsonProperty("failed_assertions") List<String> failedAssertions) {}

  /**
   * A job's last successful run (null if none seen yet) and the seconds since it ended; with a
   * freshness target from the catalog, the target and whether the job is stale.
   *
   * @param lastSuccess end of its latest COMPLETE run, or null
   * @param ageS seconds since {@code lastSuccess}, or null
   * @param targetS the job's freshness target in seconds (catalog {@code freshness_target}), or
   *     null
   * @param stale whether no run completed within the target: {@code age_s > target_s}, or — before
   *     any success was seen — the job has been known for longer than the target; null without a
   *     target
   */
  public record Freshness(
      @JsonProperty("last_success") Instant lastSuccess,
      @JsonProperty("age_s") Double ageS,
      @JsonProperty("target_s") Double targetS,
      @JsonProperty("stale") Boolean stale) {

    /** Freshness without a target. */
    public Freshness(Instant lastSuccess, Double ageS) {
      this(lastSuccess, ageS, null, null);
    }
  }

  /**
   * A run measured against its job's expected duration (catalog {@code expected_duration}).
   *
   * @param expectedDurationS the expected duration in seconds
   * @param breached on ended runs: whether {@code duration_s} exceeded it (null when the START was
   *     not seen); on overdue records: true; absent on running records
   */
  public record Sla(
      @JsonProperty("expected_duration_s") double expectedDurationS,
      @JsonProperty("breached") Boolean breached) {}
}
