package io.vigil.local.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The shop's data pipeline, {@code shop/orders_daily}: a dbt-like job that runs every {@code every}
 * and reports each run as OpenLineage RunEvents to the collector's {@code /api/v1/lineage}, the way
 * the OpenLineage HTTP transport of Airflow or dbt does. Run 3 fails its data-quality check, run 5
 * starts and never finishes (it is reported overdue); the others complete, writing rows.
 */
final class DemoPipeline implements AutoCloseable {
  static final String NAMESPACE = "shop";
  static final String JOB = "orders_daily";

  private static final URI PRODUCER = URI.create("https://github.com/vigil/demo");

  private final HttpClient http = HttpClient.newHttpClient();
  private final URI endpoint;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "demo-pipeline");
            t.setDaemon(true);
            return t;
          });
  private final AtomicLong runs = new AtomicLong();
  private final AtomicLong events = new AtomicLong();

  private DemoPipeline(URI endpoint, PrintStream out) {
    this.endpoint = endpoint;
    this.out = out;
  }

  /** Starts a run every {@code every}, the first after {@code firstAfter}. */
  static DemoPipeline start(
      String lineageUrl, Duration firstAfter, Duration every, PrintStream out) {
    DemoPipeline pipeline = new DemoPipeline(URI.create(lineageUrl), out);
    pipeline.scheduler.scheduleAtFixedRate(
        pipeline::run, firstAfter.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    return pipeline;
  }

  /** Events the collector accepted. */
  long events() {
    return events.get();
  }

  private void run() {
    long n = runs.incrementAndGet();
    String runId = UUID.randomUUID().toString();
    Instant start = Instant.now();
    post(event("START", start, runId, null, 0));
    if (n == 5) {
      say("pipeline %s/%s run %d started and hangs (it will be reported overdue)", n);
      return;
    }
    // The job's work, simulated: the scheduler's thread waits as a dbt process would.
    sleep(Duration.ofSeconds(2));
    boolean failing = n == 3;
    post(event(failing ? "FAIL" : "COMPLETE", Instant.now(), runId, failing, 1_000 * n));
    say(
        failing
            ? "pipeline %s/%s run %d FAILED its data-quality check not_null(order_id)"
            : "pipeline %s/%s run %d completed",
        n);
  }

  private ObjectNode event(String type, Instant at, String runId, Boolean failing, long rows) {
    ObjectNode e = Json.mapper().createObjectNode();
    e.put("eventType", type);
    e.put("eventTime", at.toString());
    e.put("producer", PRODUCER.toString());
    e.put("schemaURL", "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent");
    e.putObject("run").put("runId", runId);
    e.putObject("job").put("namespace", NAMESPACE).put("name", JOB);
    if (failing != null) {
      ObjectNode input = e.putArray("inputs").addObject();
      input.put("namespace", "postgres://shop-db").put("name", "public.orders");
      ArrayNode assertions =
          input
              .putObject("inputFacets")
              .putObject("dataQualityAssertions")
              .put("_producer", PRODUCER.toString())
              .put(
                  "_schemaURL",
                  "https://openlineage.io/spec/facets/1-0-1/DataQualityAssertionsDatasetFacet.json")
              .putArray("assertions");
      assertions
          .addObject()
          .put("assertion", "not_null")
          .put("column", "order_id")
          .put("success", !failing);
      assertions
          .addObject()
          .put("assertion", "unique")
          .put("column", "order_id")
          .put("success", true);
      if (!failing) {
        ObjectNode output = e.putArray("outputs").addObject();
        output.put("namespace", "postgres://shop-db").put("name", "analytics.orders_daily");
        output
            .putObject("outputFacets")
            .putObject("outputStatistics")
            .put("_producer", PRODUCER.toString())
            .put(
                "_schemaURL",
                "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json")
            .put("rowCount", rows);
      }
    }
    return e;
  }

  private void post(ObjectNode event) {
    try {
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(endpoint)
                  .header("Content-Type", "application/json")
                  .timeout(Duration.ofSeconds(10))
                  .POST(
                      HttpRequest.BodyPublishers.ofByteArray(
                          Json.mapper().writeValueAsBytes(event)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (answer.statusCode() == 200) {
        events.incrementAndGet();
      } else {
        out.printf(
            "  pipeline: the collector answered %d: %s%n", answer.statusCode(), answer.body());
      }
    } catch (IOException e) {
      out.println("  pipeline: cannot reach the collector: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void say(String format, long n) {
    long seconds = Duration.ofNanos(System.nanoTime() - startNanos).toSeconds();
    out.printf("[%3ds] " + format + "%n", seconds, NAMESPACE, JOB, n);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis()); // the simulated job's run time
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
