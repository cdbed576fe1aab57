package io.vigil.systemtests;

import io.openlineage.client.OpenLineage;
import io.openlineage.client.OpenLineageClientException;
import io.openlineage.client.transports.HttpConfig;
import io.openlineage.client.transports.HttpTransport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Data pipelines reporting their runs as Airflow's and dbt's OpenLineage integrations do: RunEvents
 * posted by the OpenLineage Java client's HTTP transport to the collector's {@code
 * /api/v1/lineage}. Every 500 ms each job ends its current run — COMPLETE with the rows it wrote,
 * or, on the job's failing runs, FAIL with an error message — and starts its next one (START). A
 * run is acknowledged when the collector answered 200 to every one of its events; an event it did
 * not acknowledge is not sent again while the load runs (the integrations do not retry), so that
 * run does not count. {@link #finish} ends the runs still going and sends each of those final
 * events until it is acknowledged.
 */
final class LineageLoad implements AutoCloseable {
  private static final Duration TICK = Duration.ofMillis(500);
  private static final URI AIRFLOW =
      URI.create("https://github.com/apache/airflow/tree/providers-openlineage/1.14.0");
  private static final URI DBT =
      URI.create("https://github.com/OpenLineage/OpenLineage/tree/1.55.0/integration/dbt");

  /** A run's outcome as {@code vigil.pipeline-runs} states it. */
  static final String COMPLETE = "complete";

  /** A failed run's state on {@code vigil.pipeline-runs}. */
  static final String FAILED = "failed";

  /**
   * One job: its OpenLineage namespace and name, the integration that reports it, and which of its
   * runs fail (every {@code failEvery}-th; 0 for none).
   */
  record Job(String namespace, String name, URI producer, int failEvery) {
    /** A task of an Airflow DAG: its runs are children of the DAG's run. */
    static Job airflow(String name, int failEvery) {
      return new Job("airflow", name, AIRFLOW, failEvery);
    }

    /** A dbt model. */
    static Job dbt(String name, int failEvery) {
      return new Job("dbt-system-tests", name, DBT, failEvery);
    }

    /** {@code namespace/name}: the job's key on Kafka. */
    String key() {
      return namespace + "/" + name;
    }
  }

  /** A run going on: its job, its id, how many the job had before, and whether all was acked. */
  private record Run(Job job, UUID id, int number, boolean acknowledged) {
    boolean fails() {
      return job.failEvery() > 0 && number % job.failEvery() == 0;
    }

    Run withAcknowledged(boolean started) {
      return new Run(job, id, number, acknowledged && started);
    }
  }

  private final HttpTransport transport;
  private final List<Job> jobs;
  private final UUID dagRun = UUID.randomUUID();
  private final Run[] current;
  private final int[] started;
  private final Map<String, String> acknowledged = new TreeMap<>(); // run id → outcome
  private final Map<String, String> ofJob = new HashMap<>(); // run id → job key
  private final Set<String> ended = new HashSet<>(); // run ids whose final event was sent
  private long events;
  private long refused;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final Thread thread;

  private LineageLoad(URI collector, List<Job> jobs) {
    HttpConfig config = new HttpConfig();
    config.setUrl(collector); // the transport posts to /api/v1/lineage
    config.setTimeoutInMillis(10_000);
    this.transport = new HttpTransport(config);
    this.jobs = List.copyOf(jobs);
    this.current = new Run[jobs.size()];
    this.started = new int[jobs.size()];
    this.thread = new Thread(this::run, "lineage-load");
  }

  /**
   * Starts the runs of {@code jobs}, reported to the collector's OTLP/HTTP port {@code collector}.
   */
  static LineageLoad start(URI collector, List<Job> jobs) {
    LineageLoad load = new LineageLoad(collector, jobs);
    load.thread.start();
    return load;
  }

  private void run() {
    try {
      while (!stop.await(TICK.toMillis(), TimeUnit.MILLISECONDS)) { // the pipelines' pace
        for (int j = 0; j < jobs.size(); j++) {
          if (current[j] != null) {
            end(current[j]);
          }
          Run next = new Run(jobs.get(j), UUID.randomUUID(), ++started[j], true);
          current[j] = next.withAcknowledged(emit(next, OpenLineage.RunEvent.EventType.START));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sends {@code run}'s final event once; returns whether the collector acknowledged it. */
  private boolean end(Run run) {
    OpenLineage.RunEvent.EventType type =
        run.fails() ? OpenLineage.RunEvent.EventType.FAIL : OpenLineage.RunEvent.EventType.COMPLETE;
    boolean acked = emit(run, type);
    synchronized (this) {
      ended.add(run.id().toString());
      ofJob.put(run.id().toString(), run.job().key());
      if (acked && run.acknowledged()) {
        acknowledged.put(run.id().toString(), run.fails() ? FAILED : COMPLETE);
      }
    }
    return acked;
  }

  /** Posts one of {@code run}'s events; true when the collector answered 200. */
  private boolean emit(Run run, OpenLineage.RunEvent.EventType type) {
    synchronized (this) {
      events++;
    }
    try {
      transport.emit(event(run, type));
      return true;
    } catch (OpenLineageClientException e) {
      synchronized (this) {
        refused++; // a non-2xx answer, refused, reset or timed out
      }
      return false;
    }
  }

  private OpenLineage.RunEvent event(Run run, OpenLineage.RunEvent.EventType type) {
    Job job = run.job();
    OpenLineage ol = new OpenLineage(job.producer());
    OpenLineage.RunFacetsBuilder facets = ol.newRunFacetsBuilder();
    if (job.producer().equals(AIRFLOW)) {
      facets.parent(
          ol.newParentRunFacetBuilder()
              .run(ol.newParentRunFacetRunBuilder().runId(dagRun).build())
              .job(
                  ol.newParentRunFacetJobBuilder()
                      .namespace(job.namespace())
                      .name(job.name().substring(0, job.name().indexOf('.')))
                      .build())
              .build());
    }
    if (type == OpenLineage.RunEvent.EventType.FAIL) {
      facets.errorMessage(
          ol.newErrorMessageRunFacetBuilder()
              .message("run " + run.number() + " of " + job.name() + " failed")
              .programmingLanguage("python")
              .build());
    }
    OpenLineage.RunEventBuilder event =
        ol.newRunEventBuilder()
            .eventType(type)
            .eventTime(ZonedDateTime.now())
            .run(ol.newRunBuilder().runId(run.id()).facets(facets.build()).build())
            .job(ol.newJobBuilder().namespace(job.namespace()).name(job.name()).build());
    if (type == OpenLineage.RunEvent.EventType.COMPLETE) {
      event.outputs(
          List.of(
              ol.newOutputDatasetBuilder()
                  .namespace("postgres://warehouse:5432")
                  .name("shop." + job.name().replace('.', '_'))
                  .outputFacets(
                      ol.newOutputDatasetOutputFacetsBuilder()
                          .outputStatistics(
                              ol.newOutputStatisticsOutputDatasetFacetBuilder()
                                  .rowCount(1000L + run.number())
                                  .size(64_000L)
                                  .build())
                          .build())
                  .build()));
    }
    return event.build();
  }

  /**
   * Stops starting runs, then ends every run still going, sending each final event until the
   * collector acknowledged it (within {@code limit} in all).
   */
  void finish(Duration limit) throws InterruptedException {
    stop.countDown();
    thread.join();
    long deadline = System.nanoTime() + limit.toNanos();
    for (Run run : current) {
      while (run != null && !end(run)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the end of " + run + " not acknowledged");
        }
        TimeUnit.MILLISECONDS.sleep(TICK.toMillis()); // a retry's back-off
      }
    }
  }

  /** The runs whose every event the collector acknowledged, by run id: their outcome. */
  synchronized Map<String, String> acknowledgedRuns() {
    return Map.copyOf(acknowledged);
  }

  /** Runs acknowledged, by job key and outcome. */
  synchronized Map<String, Map<String, Integer>> acknowledgedByJob() {
    Map<String, Map<String, Integer>> byJob = new TreeMap<>();
    acknowledged.forEach(
        (run, outcome) ->
            byJob
                .computeIfAbsent(ofJob.get(run), k -> new TreeMap<>())
                .merge(outcome, 1, Integer::sum));
    return byJob;
  }

  /** Every run whose final event was sent, acknowledged or not. */
  synchronized Set<String> endedRuns() {
    return Set.copyOf(ended);
  }

  /** RunEvents posted. */
  synchronized long events() {
    return events;
  }

  /** RunEvents not acknowledged (a non-2xx answer, refused, reset or timed out). */
  synchronized long refused() {
    return refused;
  }

  @Override
  public void close() throws InterruptedException {
    stop.countDown();
    thread.join();
    try {
      transport.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
