package io.vigil.collector.scrape;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.ingress.Rejection;
import io.vigil.collector.otlp.Halves;
import io.vigil.collector.otlp.RequestDecoder;
import io.vigil.collector.otlp.ResourceSplitter;
import io.vigil.collector.sink.RecordSink;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.Topics;
import io.vigil.model.otlp.OtlpAttributes;
import io.vigil.model.runtime.ThrottlingLogger;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes Prometheus endpoints into {@code otlp_metrics}: each target on its own schedule (spread
 * over its interval), asking for OpenMetrics or the text format as Prometheus does, with a timeout
 * from request to last byte and a body limit. Targets are static (a job's {@code targets}) or found
 * ({@link #discovered}: Kubernetes pods and endpoints); either way their job's {@code
 * relabel_configs} decide which are scraped and how ({@link JobTargets}). A page is parsed ({@link
 * Exposition}), relabelled ({@link MetricRelabel}), converted ({@link ScrapeConverter}) and stored
 * as one OTLP request whose resource is the target ({@code service.name} = job, {@code
 * service.instance.id} = instance, plus its labels), with {@code up}, {@code
 * scrape_duration_seconds} and {@code scrape_samples_scraped} as Prometheus adds them. A target
 * that hangs, fails or returns garbage gets {@code up 0} and a counted reason; it never holds up
 * another: requests are asynchronous and a target's next scrape is skipped while its last is still
 * being stored.
 */
public final class Scraper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Scraper.class);

  /** Prometheus' Accept header: OpenMetrics preferred, then the text format. */
  static final String ACCEPT =
      "application/openmetrics-text;version=1.0.0;q=0.75,"
          + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

  private final ScrapeSettings settings;
  private final RecordSink sink;
  private final HttpClient http;
  private final ScheduledExecutorService timer;
  private final ExecutorService parsing;
  private final Counter scrapes;
  private final Counter discoveries;
  private final TargetStates states;
  private final ThrottlingLogger failures = new ThrottlingLogger(LOG);
  private final Map<String, Map<TargetSpec, Target>> targets = new HashMap<>();

  /** Every job seen, static or found, by name. */
  private final Map<String, JobTargets> jobs = new HashMap<>();

  /** Clients of jobs with their own TLS settings, one per settings. */
  private final Map<ScrapeSettings.TlsConfig, HttpClient> tlsClients = new HashMap<>();

  /**
   * A target to scrape, as its job's relabelling left it.
   *
   * @param job the job it belongs to: whose settings and metric relabelling apply, and the {@code
   *     job} label of its counters
   * @param url what is fetched
   * @param interval how often; null: the scraper's
   * @param timeout how long a scrape may take; null: the scraper's
   * @param resource the resource attributes of its metrics, {@code service.name} (its Kafka key)
   *     first
   * @param access its job's bearer token file and TLS settings, or null
   */
  public record TargetSpec(
      String job,
      URI url,
      Duration interval,
      Duration timeout,
      Map<String, String> resource,
      ScrapeSettings.Access access) {

    /** Copies the resource, in order. */
    public TargetSpec {
      resource = Collections.unmodifiableMap(new LinkedHashMap<>(resource));
    }

    /**
     * A target at {@code scheme://address/path}, without relabelling, credentials or TLS settings:
     * its resource is the job's and the address', then {@code labels}.
     */
    public TargetSpec(
        String job, String address, String path, String scheme, Map<String, String> labels) {
      this(
          job,
          URI.create(scheme + "://" + address + path),
          null,
          null,
          JobTargets.resource(job, address, scheme, Map.of(), labels),
          null);
    }
  }

  /** One target: where, what it is, and its converter (start times live there). */
  private final class Target {
    final String job;
    final URI uri;
    final Duration interval;
    final Duration timeout;
    final Resource resource;
    final byte[] key;
    final ScrapeConverter converter = new ScrapeConverter();
    final AtomicBoolean busy = new AtomicBoolean();
    final HttpClient client;
    final Path bearerTokenFile;
    final MetricRelabel relabel;
    ScheduledFuture<?> schedule;

    Target(TargetSpec spec, HttpClient client, MetricRelabel relabel) {
      this.job = spec.job();
      this.client = client;
      this.relabel = relabel;
      this.bearerTokenFile =
          spec.access() == null || spec.access().bearerTokenFile() == null
              ? null
              : Path.of(spec.access().bearerTokenFile());
      this.uri = spec.url();
      this.interval = spec.interval() == null ? settings.interval() : spec.interval();
      this.timeout = spec.timeout() == null ? settings.timeout() : spec.timeout();
      Resource.Builder r = Resource.newBuilder();
      spec.resource().forEach((k, v) -> put(r, k, v));
      this.resource = r.build();
      this.key =
          spec.resource()
              .getOrDefault(OtlpAttributes.SERVICE_NAME, spec.job())
              .getBytes(StandardCharsets.UTF_8);
    }
  }

  private Scraper(ScrapeSettings settings, RecordSink sink, PrometheusRegistry registry) {
    this.settings = settings;
    this.sink = sink;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(settings.timeout())
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "vigil-scrape-timer");
              t.setDaemon(true);
              return t;
            });
    this.parsing =
        Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors() / 2),
            r -> {
              Thread t = new Thread(r, "vigil-scrape-parse");
              t.setDaemon(true);
              return t;
            });
    this.scrapes =
        Counter.builder()
            .name("vigil_collector_scrapes_total")
            .help("Scrapes by job and outcome (ok, failed, timeout, invalid, too_large, skipped)")
            .labelNames("job", "outcome")
            .register(registry);
    this.discoveries =
        Counter.builder()
            .name("vigil_collector_sd_updates_total")
            .help("Target lists received from service discovery, by job (Prometheus' sd_updates)")
            .labelNames("job")
            .register(registry);
    this.states = new TargetStates(registry);
  }

  /** Starts scraping every static target of {@code settings} (none unless it is enabled). */
  public static Scraper start(
      ScrapeSettings settings, RecordSink sink, PrometheusRegistry registry) {
    Scraper scraper = new Scraper(settings, sink, registry);
    int configured = 0;
    for (ScrapeSettings.Job job : settings.jobs()) {
      if (job.bearerTokenFile() != null && !Files.isReadable(Path.of(job.bearerTokenFile()))) {
        // Read at every scrape, not now: the file may come later (a token being projected).
        LOG.warn(
            "collector.scrape.jobs[{}].bearer_token_file {} is not readable (yet): its targets are"
                + " down until it is",
            job.job(),
            job.bearerTokenFile());
      }
      if (job.tlsConfig() != null) {
        // Built now, so that a file that is not PEM stops the start naming the key.
        scraper.client(job.tlsConfig(), "collector.scrape.jobs[" + job.job() + "].tls_config.");
      }
      scraper.jobs.put(job.job(), new JobTargets(settings, job));
      if (settings.enabled() && !job.targets().isEmpty()) {
        List<DiscoveredTarget> statics = new ArrayList<>();
        job.targets().forEach(address -> statics.add(DiscoveredTarget.at(address)));
        configured += scraper.discovered("static:" + job.job(), job, statics);
      }
    }
    LOG.info("scraping {} static target(s) every {}", configured, settings.interval());
    return scraper;
  }

  /**
   * Makes the targets {@code source} found for {@code job} (e.g. a Kubernetes role's) its targets,
   * after the job's {@code relabel_configs}: dropped ones are left out, invalid ones counted and
   * logged ({@link TargetStates}). Returns how many are scraped.
   */
  public synchronized int discovered(
      String source, ScrapeSettings.Job job, List<DiscoveredTarget> found) {
    discoveries.labelValues(job.job()).inc();
    JobTargets targets = jobs.computeIfAbsent(job.job(), name -> new JobTargets(settings, job));
    JobTargets.Resolution resolved = targets.resolve(found);
    replace(source, resolved.active());
    states.record(source, job.job(), resolved);
    return resolved.active().size();
  }

  /**
   * Makes {@code specs} the targets found by {@code source} (e.g. {@code kubernetes}): new ones are
   * scheduled (spread over the interval), gone ones stopped, the others go on as they were (their
   * counters' start times with them).
   */
  public synchronized void replace(String source, List<TargetSpec> specs) {
    Map<TargetSpec, Target> current = targets.computeIfAbsent(source, s -> new HashMap<>());
    Set<TargetSpec> wanted = new HashSet<>(specs);
    for (var it = current.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (!wanted.contains(e.getKey())) {
        e.getValue().schedule.cancel(false);
        it.remove();
      }
    }
    for (TargetSpec spec : wanted) {
      if (current.containsKey(spec)) {
        continue;
      }
      ScrapeSettings.TlsConfig tls = spec.access() == null ? null : spec.access().tlsConfig();
      HttpClient client =
          tls == null ? http : client(tls, "collector.scrape.jobs[" + spec.job() + "].tls_config.");
      JobTargets job = jobs.get(spec.job());
      Target target =
          new Target(spec, client, job == null ? MetricRelabel.NONE : job.metricRelabel());
      long interval = target.interval.toMillis();
      long offset = ThreadLocalRandom.current().nextLong(Math.max(1, interval));
      target.schedule =
          timer.scheduleAtFixedRate(() -> scrape(target), offset, interval, TimeUnit.MILLISECONDS);
      current.put(spec, target);
    }
  }

  /** The client of jobs with {@code tls}, made once. */
  private synchronized HttpClient client(ScrapeSettings.TlsConfig tls, String prefix) {
    HttpClient client = tlsClients.get(tls);
    if (client == null) {
      SSLContext context = TargetTls.context(tls, prefix);
      HttpClient.Builder builder =
          HttpClient.newBuilder()
              .connectTimeout(settings.timeout())
              .followRedirects(HttpClient.Redirect.NORMAL)
              .sslContext(context);
      SSLParameters parameters = TargetTls.parameters(tls, context);
      if (parameters != null) {
        builder.sslParameters(parameters);
      }
      client = builder.build();
      tlsClients.put(tls, client);
    }
    return client;
  }

  /** Scrapes one target now, asynchronously; the future completes when its result is stored. */
  CompletableFuture<Void> scrape(Target target) {
    if (!target.busy.compareAndSet(false, true)) {
      scrapes.labelValues(target.job, "skipped").inc();
      return CompletableFuture.completedFuture(null);
    }
    long startNanos = System.nanoTime();
    long scrapeTime = System.currentTimeMillis() * 1_000_000L;
    HttpRequest.Builder request =
        HttpRequest.newBuilder(target.uri)
            .timeout(target.timeout)
            .header("Accept", ACCEPT)
            .header("Accept-Encoding", "gzip")
            .header("X-Prometheus-Scrape-Timeout-Seconds", seconds(target.timeout))
            .GET();
    if (target.bearerTokenFile != null) {
      try {
        // Read at every scrape, as Prometheus does: a service-account token is rotated.
        request.header(
            "Authorization", "Bearer " + Files.readString(target.bearerTokenFile).strip());
      } catch (IOException | RuntimeException e) {
        List<Metric> down =
            failed(
                target,
                new IOException("bearer_token_file " + target.bearerTokenFile + ": " + e),
                scrapeTime,
                startNanos);
        return store(target, down)
            .toCompletableFuture()
            .whenComplete((ok, error) -> target.busy.set(false));
      }
    }
    return target
        .client
        .sendAsync(request.build(), info -> LimitedBody.subscriber(settings.maxBodyBytes()))
        .orTimeout(target.timeout.toMillis(), TimeUnit.MILLISECONDS)
        .thenApplyAsync(response -> page(target, response, scrapeTime, startNanos), parsing)
        .exceptionally(error -> failed(target, error, scrapeTime, startNanos))
        .thenCompose(metrics -> store(target, metrics))
        .whenComplete((ok, error) -> target.busy.set(false));
  }

  /** What a successful HTTP exchange gives: the page's metrics plus up 1, or a failure. */
  private List<Metric> page(
      Target target, HttpResponse<byte[]> response, long scrapeTime, long startNanos) {
    String outcome;
    String why;
    try {
      if (response.statusCode() != 200) {
        throw new ScrapeFailure("failed", "HTTP " + response.statusCode());
      }
      byte[] body = response.body();
      String encoding = response.headers().firstValue("Content-Encoding").orElse(null);
      if (encoding != null) {
        body =
            RequestDecoder.readBody(
                new ByteArrayInputStream(body), null, encoding, settings.maxBodyBytes());
      }
      String type = response.headers().firstValue("Content-Type").orElse("");
      Exposition.Format format =
          type.startsWith("application/openmetrics-text")
              ? Exposition.Format.OPENMETRICS
              : Exposition.Format.TEXT;
      List<Exposition.Family> families =
          Exposition.parse(new String(body, StandardCharsets.UTF_8), format);
      long samples = families.stream().mapToLong(f -> f.samples().size()).sum();
      families = target.relabel.apply(families);
      long kept = families.stream().mapToLong(f -> f.samples().size()).sum();
      List<Metric> metrics = new ArrayList<>(target.converter.convert(families, scrapeTime));
      metrics.addAll(health(1, startNanos, samples, scrapeTime));
      metrics.add(
          gauge(
              "scrape_samples_post_metric_relabeling",
              "Samples left after the job's metric_relabel_configs",
              kept,
              scrapeTime));
      scrapes.labelValues(target.job, "ok").inc();
      return metrics;
    } catch (ScrapeFailure e) {
      outcome = e.outcome;
      why = e.getMessage();
    } catch (Exposition.Invalid e) {
      outcome = "invalid";
      why = e.getMessage();
    } catch (Rejection e) {
      outcome = e.httpStatus() == 413 ? "too_large" : "invalid";
      why = e.getMessage();
    } catch (IOException e) {
      outcome = "failed";
      why = e.toString();
    }
    scrapes.labelValues(target.job, outcome).inc();
    failures.warn("scrape of {} failed ({}): {}", target.uri, outcome, why);
    return health(0, startNanos, 0, scrapeTime);
  }

  private List<Metric> failed(Target target, Throwable error, long scrapeTime, long startNanos) {
    Throwable cause = error;
    while (cause.getCause() != null
        && (cause instanceof java.util.concurrent.CompletionException
            || cause instanceof java.util.concurrent.ExecutionException)) {
      cause = cause.getCause();
    }
    String outcome =
        cause instanceof TimeoutException || cause instanceof java.net.http.HttpTimeoutException
            ? "timeout"
            : cause instanceof LimitedBody.TooLarge ? "too_large" : "failed";
    scrapes.labelValues(target.job, outcome).inc();
    failures.warn("scrape of {} failed ({}): {}", target.uri, outcome, cause.toString());
    return health(0, startNanos, 0, scrapeTime);
  }

  private CompletionStage<Void> store(Target target, List<Metric> metrics) {
    ExportMetricsServiceRequest request =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                ResourceMetrics.newBuilder()
                    .setResource(target.resource)
                    .addScopeMetrics(
                        ScopeMetrics.newBuilder()
                            .setScope(InstrumentationScope.newBuilder().setName("vigil.scrape"))
                            .addAllMetrics(metrics)))
            .build();
    List<SinkRecord> records = new ArrayList<>();
    // A page of many series can be larger than one Kafka record: stored in parts, not refused.
    for (byte[] part : Halves.fitting(request, null, ResourceSplitter.MAX_RECORD_BYTES)) {
      records.add(new SinkRecord(Topics.OTLP_METRICS, target.key, part));
    }
    return sink.store(records)
        .exceptionally(
            error -> {
              failures.warn("scrape of {} not stored: {}", target.uri, error.toString());
              return null;
            });
  }

  /** {@code up}, {@code scrape_duration_seconds}, {@code scrape_samples_scraped}. */
  private static List<Metric> health(int up, long startNanos, long samples, long scrapeTime) {
    double duration = (System.nanoTime() - startNanos) / 1e9;
    return List.of(
        gauge("up", "1 if the target was scraped, 0 if not", up, scrapeTime),
        gauge("scrape_duration_seconds", "How long the scrape took", duration, scrapeTime),
        gauge("scrape_samples_scraped", "Samples the target exposed", samples, scrapeTime));
  }

  private static Metric gauge(String name, String help, double value, long time) {
    return Metric.newBuilder()
        .setName(name)
        .setDescription(help)
        .setGauge(
            Gauge.newBuilder()
                .addDataPoints(
                    NumberDataPoint.newBuilder().setTimeUnixNano(time).setAsDouble(value)))
        .build();
  }

  private static void put(Resource.Builder resource, String key, String value) {
    resource.addAttributes(OtlpAttributes.string(key, value));
  }

  private static String seconds(Duration d) {
    return Double.toString(d.toMillis() / 1000.0);
  }

  /** A scrape that did not give a page, with its outcome label. */
  private static final class ScrapeFailure extends Exception {
    final String outcome;

    ScrapeFailure(String outcome, String message) {
      super(message, null, false, false);
      this.outcome = outcome;
    }
  }

  /** The targets being scraped, all sources together, in no particular order. */
  public synchronized List<TargetSpec> specs() {
    List<TargetSpec> all = new ArrayList<>();
    targets.values().forEach(bySpec -> all.addAll(bySpec.keySet()));
    return all;
  }

  /** Targets being scraped, all sources together. */
  public synchronized int targets() {
    return targets.values().stream().mapToInt(Map::size).sum();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    parsing.shutdownNow();
  }
}
