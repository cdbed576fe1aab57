package io.vigil.alerting.elasticsearch;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch._types.ErrorCause;
import co.elastic.clients.elasticsearch.core.BulkRequest;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.notify.Backoff;
import io.vigil.alerting.notify.Sleeper;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.log.LogRecord;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.runtime.ThrottlingLogger;
import io.vigil.model.signal.GoldenSignal;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.elasticsearch.client.RestClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes golden signals and alerts to Elasticsearch (elasticsearch-java over the low-level {@link
 * RestClient}):
 *
 * <ul>
 *   <li>signals → data stream {@value #SIGNALS}, {@code _id} = signal id, {@code op_type=create}:
 *       re-delivery answers 409, counted as already indexed;
 *   <li>pipeline runs and freshness → data stream {@value #PIPELINES}, same scheme;
 *   <li>log records → data stream {@value #LOGS}, same scheme;
 *   <li>alert transitions → data stream {@value #ALERTS_HISTORY}, same scheme;
 *   <li>current alert state → index {@value #ALERTS_CURRENT}, {@code _id} = fingerprint,
 *       overwritten.
 * </ul>
 *
 * <p>{@link #installTemplates()} puts the index templates. Where the cluster rejects a template
 * with {@code data_stream} (a build without data-stream support), the templates are installed
 * without it and the same names become ordinary indices; writes behave the same either way.
 *
 * <p>Bulk replies are checked item by item even on HTTP 200: 429/5xx items are retried with
 * backoff; other failures (mapping errors) are counted by reason and reported, never blocking the
 * other items. A cluster that cannot be reached raises {@link IOException} so the caller retries
 * and does not commit.
 */
public final class ElasticsearchIndexer implements AutoCloseable {
  /** Data stream of golden-signal windows. */
  public static final String SIGNALS = "metrics-vigil.signals-default";

  /** Data stream of application logs. */
  public static final String LOGS = "logs-vigil.app-default";

  /** Data stream of pipeline-run and freshness records. */
  public static final String PIPELINES = "metrics-vigil.pipelines-default";

  /** Data stream of alert transitions. */
  public static final String ALERTS_HISTORY = "logs-vigil.alerts-default";

  /** Index of current alert state, {@code _id} = fingerprint. */
  public static final String ALERTS_CURRENT = "vigil-alerts";

  private static final Logger LOG = LoggerFactory.getLogger(ElasticsearchIndexer.class);
  private static final Map<String, String> TEMPLATES =
      Map.of(
          "vigil-signals", "signals-template.json",
          "vigil-pipelines", "pipelines-template.json",
          "vigil-logs", "logs-template.json",
          "vigil-alerts-history", "alerts-history-template.json",
          "vigil-alerts-current", "alerts-current-template.json");

  private final ElasticsearchClient client;
  private final RestClient restClient;
  private final Counter documents;
  private final Counter failures;
  private final Backoff backoff;
  private final Sleeper sleeper;
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);
  private final AtomicBoolean healthy = new AtomicBoolean(false);
  private volatile boolean templatesInstalled;
  private volatile boolean dataStreams = true;

  private ElasticsearchIndexer(
      RestClient restClient, PrometheusRegistry registry, Backoff backoff, Sleeper sleeper) {
    this.restClient = restClient;
    this.client =
        new ElasticsearchClient(
            new RestClientTransport(restClient, new JacksonJsonpMapper(Json.mapper().copy())));
    this.documents =
        Counter.builder()
            .name("vigil_alerting_es_documents")
            .help(
                "Documents sent to Elasticsearch by target and outcome"
                    + " (indexed, duplicate, failed, retried)")
            .labelNames("index", "outcome")
            .register(registry);
    this.failures =
        Counter.builder()
            .name("vigil_alerting_es_failures")
            .help("Documents Elasticsearch rejected for good, by target and error type")
            .labelNames("index", "reason")
            .register(registry);
    this.backoff = backoff;
    this.sleeper = sleeper;
  }

  /** An indexer for {@code settings}, registering its counters in {@code registry}. */
  public static ElasticsearchIndexer create(
      ElasticsearchSettings settings, PrometheusRegistry registry) {
    return create(
        settings,
        registry,
        new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5), 4),
        Sleeper.SYSTEM);
  }

  /** As {@link #create(ElasticsearchSettings, PrometheusRegistry)} with retry timing given. */
  public static ElasticsearchIndexer create(
      ElasticsearchSettings settings,
      PrometheusRegistry registry,
      Backoff backoff,
      Sleeper sleeper) {
    RestClient rest = RestClients.of(settings);
    return new ElasticsearchIndexer(rest, registry, backoff, sleeper);
  }

  /**
   * Installs (or updates) the three index templates, falling back to plain-index templates when the
   * cluster rejects data streams.
   *
   * @throws IOException when Elasticsearch cannot be reached or refuses a template
   */
  public synchronized void installTemplates() throws IOException {
    try {
      for (Map.Entry<String, String> t : TEMPLATES.entrySet()) {
        ObjectNode body = template(t.getValue());
        if (body.has("data_stream") && dataStreams) {
          try {
            putTemplate(t.getKey(), body);
            continue;
          } catch (ElasticsearchException e) {
            if (e.status() != 400) {
              throw e;
            }
            dataStreams = false;
            LOG.warn(
                "Elasticsearch rejected a data-stream template ({}); using ordinary indices"
                    + " {} and {} instead",
                e.getMessage(),
                SIGNALS,
                ALERTS_HISTORY);
          }
        }
        body.remove("data_stream");
        putTemplate(t.getKey(), body);
      }
      templatesInstalled = true;
      healthy.set(true);
      LOG.info(
          "Elasticsearch index templates installed ({})",
          dataStreams ? "data streams" : "ordinary indices");
    } catch (ElasticsearchException e) {
      healthy.set(false);
      throw new IOException("Elasticsearch refused an index template: " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      healthy.set(false);
      throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }
  }

  /** Whether the last call reached Elasticsearch. */
  public boolean healthy() {
    return healthy.get();
  }

  /**
   * Indexes {@code signals} and {@code transitions} (history and current state) in one bulk
   * request.
   *
   * @throws IOException when Elasticsearch cannot be reached, or items stay retryable (429/5xx)
   *     after the retries
   */
  public BulkResult index(List<GoldenSignal> signals, List<AlertTransition> transitions)
      throws IOException, InterruptedException {
    return index(signals, List.of(), transitions);
  }

  /**
   * Indexes {@code signals}, {@code runs} (pipeline runs and freshness) and {@code transitions} in
   * one bulk request; see {@link #index(List, List)}.
   */
  public BulkResult index(
      List<GoldenSignal> signals, List<PipelineRun> runs, List<AlertTransition> transitions)
      throws IOException, InterruptedException {
    return index(signals, runs, List.of(), transitions);
  }

  /** As {@link #index(List, List, List)}, with {@code logs} too. */
  public BulkResult index(
      List<GoldenSignal> signals,
      List<PipelineRun> runs,
      List<LogRecord> logs,
      List<AlertTransition> transitions)
      throws IOException, InterruptedException {
    List<IndexDocument> docs = new ArrayList<>();
    for (LogRecord log : logs) {
      docs.add(Documents.log(LOGS, log));
    }
    for (PipelineRun run : runs) {
      docs.add(Documents.pipelineRun(PIPELINES, run));
    }
    for (GoldenSignal s : signals) {
      docs.add(Documents.signal(SIGNALS, s));
    }
    for (AlertTransition t : transitions) {
      docs.add(Documents.transition(ALERTS_HISTORY, t));
      docs.add(Documents.currentState(ALERTS_CURRENT, t));
    }
    return bulk(docs);
  }

  /** Sends {@code docs} in one bulk request, retrying 429/5xx items; see {@link #index}. */
  public BulkResult bulk(List<IndexDocument> docs) throws IOException, InterruptedException {
    if (docs.isEmpty()) {
      return new BulkResult(0, 0, List.of());
    }
    if (!templatesInstalled) {
      installTemplates();
    }
    int indexed = 0;
    int duplicates = 0;
    List<BulkResult.Failure> failed = new ArrayList<>();
    List<IndexDocument> pending = docs;
    for (int attempt = 1; ; attempt++) {
      BulkResponse response;
      try {
        response = client.bulk(request(pending));
        healthy.set(true);
      } catch (ElasticsearchException e) {
        if (e.status() == 429 || e.status() >= 500) {
          response = null;
        } else {
          throw new IOException("Elasticsearch refused the bulk request: " + e.getMessage(), e);
        }
      } catch (IOException | RuntimeException e) {
        healthy.set(false);
        throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
      }
      List<IndexDocument> retry = new ArrayList<>();
      if (response == null) {
        retry.addAll(pending);
      } else {
        List<BulkResponseItem> items = response.items();
        for (int i = 0; i < items.size(); i++) {
          BulkResponseItem item = items.get(i);
          IndexDocument doc = pending.get(i);
          int status = item.status();
          if (item.error() == null && status / 100 == 2) {
            indexed++;
            documents.labelValues(doc.target(), "indexed").inc();
          } else if (status == 409 && doc.create()) {
            duplicates++;
            documents.labelValues(doc.target(), "duplicate").inc();
          } else if (status == 429 || status >= 500) {
            retry.add(doc);
          } else {
            ErrorCause error = item.error();
            String reason = error == null || error.type() == null ? "http_" + status : error.type();
            String message = error == null ? "" : String.valueOf(error.reason());
            failed.add(new BulkResult.Failure(doc.target(), doc.id(), status, reason, message));
            documents.labelValues(doc.target(), "failed").inc();
            failures.labelValues(doc.target(), reason).inc();
            throttled.warn(
                "Elasticsearch rejected document {} for {}: {} {}",
                doc.id(),
                doc.target(),
                reason,
                message);
          }
        }
      }
      if (retry.isEmpty()) {
        return new BulkResult(indexed, duplicates, failed);
      }
      for (IndexDocument doc : retry) {
        documents.labelValues(doc.target(), "retried").inc();
      }
      if (attempt >= backoff.maxAttempts()) {
        throw new IOException(
            retry.size()
                + " documents still rejected as overloaded (429/5xx) after "
                + attempt
                + " attempts");
      }
      sleeper.sleep(backoff.delay(attempt));
      pending = retry;
    }
  }

  private static BulkRequest request(List<IndexDocument> docs) {
    List<BulkOperation> ops = new ArrayList<>(docs.size());
    for (IndexDocument doc : docs) {
      if (doc.create()) {
        ops.add(
            BulkOperation.of(
                o -> o.create(c -> c.index(doc.target()).id(doc.id()).document(doc.source()))));
      } else {
        ops.add(
            BulkOperation.of(
                o -> o.index(c -> c.index(doc.target()).id(doc.id()).document(doc.source()))));
      }
    }
    return BulkRequest.of(b -> b.operations(ops));
  }

  private void putTemplate(String name, ObjectNode body) throws IOException {
    String json = Json.mapper().writeValueAsString(body);
    client.indices().putIndexTemplate(b -> b.name(name).withJson(new StringReader(json)));
  }

  private static ObjectNode template(String resource) throws IOException {
    try (InputStream in = ElasticsearchIndexer.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      return (ObjectNode) Json.mapper().readTree(in);
    }
  }

  /** The typed client, for callers that need to read back (tests, the demo summary). */
  public ElasticsearchClient client() {
    return client;
  }

  @Override
  public void close() throws IOException {
    restClient.close();
  }
}
