package io.vigil.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.resource.v1.Resource;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.AlertingConfig;
import io.vigil.alerting.AlertingService;
import io.vigil.collector.CollectorConfig;
import io.vigil.collector.CollectorService;
import io.vigil.embedded.elasticsearch.ElasticsearchLauncher;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.embedded.smtp.SmtpSink;
import io.vigil.model.config.ConfigLoader;
import io.vigil.model.json.Json;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorService;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.common.utils.Utils;

/**
 * Runs the skeleton path (collector → Kafka → processor → alerting → Slack) in one JVM under load
 * and prints, as JSON: data points per second accepted by the collector, and the latency from a
 * violating data point being accepted to the Slack POST (p50/p99).
 *
 * <p>Arguments (all optional): {@code --clients N} (default 4), {@code --seconds S} throughput
 * phase length (default 30), {@code --points N} data points per request (default 100), {@code
 * --trials N} alert-latency samples (default 20), {@code --window 10s}, {@code --grace 5s}, {@code
 * --operations N} (the processor's {@code max_operations_per_service}), {@code
 * --processor-commit-ms N} and {@code --alerting-commit-ms N} (each service's Kafka Streams {@code
 * commit.interval.ms}; default: the service's own), {@code --streams k=v,k=v} (Kafka Streams
 * settings for both services, e.g. {@code poll.ms=10,producer.linger.ms=0}), {@code --warm true}
 * (each trial service sends healthy requests for 2 s before its errors begin, instead of starting
 * with them), {@code --prometheus false} (no Prometheus + Alertmanager beside Vigil; by default
 * they run beside it where installed, {@link PrometheusBeside}).
 */
public final class SkeletonBench {
  private final int clients;
  private final int seconds;
  private final int pointsPerRequest;
  private final int trials;
  private final String window;
  private final String grace;
  private final int maxOperations;
  private final String processorCommitMs;
  private final String alertingCommitMs;
  private final String streamsOverrides;
  private final boolean prometheus;
  private final boolean warm;
  private final HttpClient http = HttpClient.newBuilder().build();

  private SkeletonBench(Map<String, String> args) {
    clients = Integer.parseInt(args.getOrDefault("clients", "4"));
    seconds = Integer.parseInt(args.getOrDefault("seconds", "30"));
    pointsPerRequest = Integer.parseInt(args.getOrDefault("points", "100"));
    trials = Integer.parseInt(args.getOrDefault("trials", "20"));
    window = args.getOrDefault("window", "10s");
    grace = args.getOrDefault("grace", "5s");
    maxOperations = Integer.parseInt(args.getOrDefault("operations", "100"));
    processorCommitMs = args.get("processor-commit-ms");
    alertingCommitMs = args.get("alerting-commit-ms");
    streamsOverrides = args.get("streams");
    prometheus = Boolean.parseBoolean(args.getOrDefault("prometheus", "true"));
    warm = Boolean.parseBoolean(args.getOrDefault("warm", "false"));
  }

  /**
   * {@code kafka:} settings for a service, with its commit interval and the Kafka Streams overrides
   * when they were asked for.
   */
  private String kafka(String bootstrap, String commitMs) {
    String overrides =
        commitMs == null
            ? streamsOverrides
            : "commit.interval.ms="
                + commitMs
                + (streamsOverrides == null ? "" : "," + streamsOverrides);
    return BenchRequests.kafkaYaml(bootstrap, overrides);
  }

  /** Entry point; see the class comment for arguments. */
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new ConcurrentHashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    }
    ObjectNode result = new SkeletonBench(args).run();
    System.out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(result));
    System.exit(0);
  }

  private ObjectNode run() throws Exception {
    Path dir = Files.createTempDirectory("vigil-bench");
    PrometheusRegistry registry = new PrometheusRegistry();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(0);
        EmbeddedElasticsearch es = ElasticsearchLauncher.start(System.getenv());
        SlackSink slack = SlackSink.start(0);
        SmtpSink smtp = SmtpSink.start(0)) {
      String bootstrap = kafka.bootstrapServers();
      Path rules =
          Files.writeString(
              dir.resolve("rules.yaml"),
              """
              groups:
                - name: bench
                  rules:
                    - alert: HighErrorRatio
                      expr: errors.ratio > 0.5
                      labels: {severity: critical}
                      annotations: {summary: "{{ $labels.service }}"}
              """);
      Path alertmanager =
          Files.writeString(
              dir.resolve("alertmanager.yml"),
              """
              global: {slack_api_url: '%s'}
              # every alert its own group, notified at once: what "Alertmanager tuned to
              # group_wait: 0s" means for a latency measurement
              route: {receiver: slack, group_by: ['...'], group_wait: 0s}
              receivers:
                - name: slack
                  slack_configs: [{channel: '#bench'}]
              """
                  .formatted(slack.webhookUrl()));
      try (CollectorService collector =
              CollectorService.start(
                  load(
                      "kafka: {bootstrap_servers: '%s'}\notlp: {grpc: {host: 127.0.0.1, port: 0}, http: {host: 127.0.0.1, port: 0}}\nadmin: {host: 127.0.0.1, port: 0}\n"
                          .formatted(bootstrap),
                      CollectorConfig.class),
                  registry);
          ProcessorService processor =
              ProcessorService.start(
                  load(
                      kafka(bootstrap, processorCommitMs)
                          + "state_dir: '%s'\nwindow: %s\ngrace: %s\nmax_operations_per_service: %d\nadmin: {host: 127.0.0.1, port: 0}\n"
                              .formatted(dir.resolve("state"), window, grace, maxOperations),
                      ProcessorConfig.class),
                  registry);
          AlertingService alerting =
              AlertingService.start(
                  load(
                      kafka(bootstrap, alertingCommitMs)
                          + "rule_files: ['%s']\nalertmanager_config: '%s'\nelasticsearch: {url: '%s'}\nstate_dir: '%s'\nadmin: {host: 127.0.0.1, port: 0}\n"
                              .formatted(rules, alertmanager, es.url(), dir.resolve("alerting")),
                      AlertingConfig.class),
                  registry)) {
        URI endpoint = URI.create("http://127.0.0.1:" + collector.otlpHttpPort() + "/v1/metrics");
        ObjectNode result = Json.mapper().createObjectNode();
        result.put("machine", Runtime.getRuntime().availableProcessors() + " cores");
        result.put("java", System.getProperty("java.version"));
        result.set("throughput", throughput(endpoint));
        result.put("processor_catch_up_s", catchUp(collector, processor));
        List<String> trialServices = new ArrayList<>();
        for (int t = 0; t < trials; t++) {
          trialServices.add(String.format("trial-%03d", t));
        }
        Optional<PrometheusBeside> beside =
            prometheus
                ? PrometheusBeside.start(dir.resolve("beside"), trialServices)
                : Optional.empty();
        try {
          result.set(
              "alert_latency_ms", alertLatency(endpoint, slack, bootstrap, beside, trialServices));
        } finally {
          beside.ifPresent(PrometheusBeside::close);
        }
        result.set("stream_threads", streamThreads());
        result.set("memory_mib", memory());
        ObjectNode config = result.putObject("config");
        config.put("window", window);
        config.put("grace", grace);
        config.put("max_operations_per_service", maxOperations);
        config.put(
            "processor_commit_ms", processorCommitMs == null ? "default" : processorCommitMs);
        config.put("alerting_commit_ms", alertingCommitMs == null ? "default" : alertingCommitMs);
        config.put("streams", streamsOverrides == null ? "default" : streamsOverrides);
        config.put("warm_trials", warm);
        config.put("clients", clients);
        config.put("points_per_request", pointsPerRequest);
        return result;
      }
    } finally {
      Utils.delete(dir.toFile());
    }
  }

  /** Phase 1: {@code clients} threads POST as fast as the collector answers. */
  private ObjectNode throughput(URI endpoint) throws Exception {
    AtomicLong requests = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.min(5, seconds / 5));
    AtomicLong measuredRequests = new AtomicLong();
    AtomicLong measuredStart = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<?>> futures = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      futures.add(
          pool.submit(
              () -> {
                long i = 0;
                while (System.nanoTime() < end) {
                  byte[] body =
                      request("load-" + client + "-" + (i++ % 10), System.currentTimeMillis(), 0.01)
                          .toByteArray();
                  if (post(endpoint, body) == 200) {
                    requests.incrementAndGet();
                    if (System.nanoTime() > warmupEnd) {
                      measuredStart.compareAndSet(0, System.nanoTime());
                      measuredRequests.incrementAndGet();
                    }
                  } else {
                    failures.incrementAndGet();
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    double measuredSeconds = (System.nanoTime() - measuredStart.get()) / 1e9;
    ObjectNode node = Json.mapper().createObjectNode();
    node.put("requests_per_s", round(measuredRequests.get() / measuredSeconds));
    node.put(
        "data_points_per_s",
        round(measuredRequests.get() * (double) pointsPerRequest / measuredSeconds));
    node.put("requests_total", requests.get());
    node.put("requests_failed", failures.get());
    node.put("measured_seconds", round(measuredSeconds));
    return node;
  }

  /**
   * Between the phases: seconds until the processor's signals step has taken in every data point
   * the collector accepted (the throughput phase offers more than the processor handles on the same
   * cores), so that the latency trials do not queue behind a backlog. The decode step's count is
   * not enough: points wait again in the repartition topic. -1 when it did not within 10 min.
   */
  private static double catchUp(CollectorService collector, ProcessorService processor)
      throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + TimeUnit.MINUTES.toNanos(10);
    while (processor.dataPointsWindowed() < collector.dataPointsAccepted()) {
      if (System.nanoTime() > deadline) {
        return -1;
      }
      TimeUnit.MILLISECONDS.sleep(100); // polling interval with a deadline
    }
    return round((System.nanoTime() - start) / 1e9);
  }

  /**
   * Phase 2: for each trial a fresh service sends one violating request (every point an error);
   * alert latency = Slack POST received − collector answered 200; signal latency = the first live
   * signal of that service read from {@code vigil.signals.live} − collector answered 200 (the
   * collector → processor hop alone). Background traffic runs meanwhile, as real traffic does.
   */
  private ObjectNode alertLatency(
      URI endpoint,
      SlackSink slack,
      String bootstrap,
      Optional<PrometheusBeside> beside,
      List<String> trialServices)
      throws Exception {
    Map<String, Long> acceptedAt = new ConcurrentHashMap<>();
    Map<String, Long> latencies = new ConcurrentHashMap<>();
    Map<String, Long> signalLatencies = new ConcurrentHashMap<>();
    LiveSignalWatch watch = new LiveSignalWatch(bootstrap, acceptedAt, signalLatencies);
    HopWatch hops = new HopWatch(bootstrap, acceptedAt);
    slack.onPost(post -> BenchRequests.recordLatency(post, acceptedAt, latencies));
    // The stand-in for Slack answers its first request late (the JDK HTTP server's exchange
    // classes, the locale data of its Date header); Slack is always warm, so is the sink now.
    http.send(
        HttpRequest.newBuilder(URI.create(slack.webhookUrl()))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"bench warm-up\"}"))
            .build(),
        HttpResponse.BodyHandlers.discarding());
    ExecutorService background = Executors.newSingleThreadExecutor();
    long stop = System.nanoTime() + TimeUnit.SECONDS.toNanos(2L * trials + 60L);
    Future<?> ticker =
        background.submit(
            () -> {
              long i = 0;
              while (System.nanoTime() < stop && !Thread.currentThread().isInterrupted()) {
                post(
                    endpoint,
                    request("tick-" + (i++ % 12), System.currentTimeMillis(), 0.0).toByteArray());
                TimeUnit.MILLISECONDS.sleep(50);
              }
              return null;
            });
    for (String service : trialServices) {
      if (warm) {
        // A service already sending, healthy, when its errors begin: one request every 100 ms
        // for 2–3 s (random, so that the errors do not keep one phase against the live signal's
        // emit interval), each of one point (so that the violation's errors outweigh them).
        long warmedAt =
            System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(2000 + ThreadLocalRandom.current().nextInt(1000));
        while (System.nanoTime() < warmedAt) {
          post(endpoint, request(service, System.currentTimeMillis(), 0.0, 1).toByteArray());
          TimeUnit.MILLISECONDS.sleep(100); // pacing the sender, not synchronisation
        }
      }
      byte[] body = request(service, System.currentTimeMillis(), 1.0).toByteArray();
      if (post(endpoint, body) == 200) {
        acceptedAt.put(service, System.currentTimeMillis());
        beside.ifPresent(b -> b.violate(service, pointsPerRequest));
      }
      // Spacing between trials, not synchronisation; random, so that trials do not keep one phase
      // against a periodic step (a commit interval, Prometheus' scrape and evaluation).
      TimeUnit.MILLISECONDS.sleep(1000 + ThreadLocalRandom.current().nextInt(1000));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while ((latencies.size() < acceptedAt.size()
            || beside.map(b -> b.alerted() < b.violated()).orElse(false))
        && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(100); // polling with a deadline
    }
    ticker.cancel(true);
    background.shutdownNow();
    watch.close();
    hops.close();
    ObjectNode node = Json.mapper().createObjectNode();
    node.put("trials", trials);
    node.put("accepted", acceptedAt.size());
    node.put("missed_alerts", acceptedAt.size() - latencies.size());
    node.set("alert", summary(latencies));
    node.set("live_signal", summary(signalLatencies));
    node.set("hops", hops.summary());
    if (beside.isPresent()) {
      ObjectNode prom = node.putObject("prometheus_alertmanager");
      prom.put("accepted", beside.get().violated());
      prom.put("missed_alerts", beside.get().violated() - beside.get().alerted());
      prom.set("alert", summary(beside.get().latencies()));
      prom.set("alert_ms_by_trial", inTrialOrder(beside.get().latencies()));
    } else {
      node.put("prometheus_alertmanager", prometheus ? "not installed" : "not asked for");
    }
    // In trial order, so that a slow trial can be matched with what ran at that moment.
    node.set("alert_ms_by_trial", inTrialOrder(latencies));
    node.set("live_signal_ms_by_trial", inTrialOrder(signalLatencies));
    return node;
  }

  /** The samples by trial name (-1: none), in trial order. */
  private ArrayNode inTrialOrder(Map<String, Long> samples) {
    ArrayNode node = Json.mapper().createArrayNode();
    for (int t = 0; t < trials; t++) {
      node.add(samples.getOrDefault(String.format("trial-%03d", t), -1L));
    }
    return node;
  }

  private static ObjectNode summary(Map<String, Long> samples) {
    long[] sorted = samples.values().stream().mapToLong(Long::longValue).sorted().toArray();
    ObjectNode node = Json.mapper().createObjectNode();
    node.put("samples", sorted.length);
    if (sorted.length > 0) {
      node.put("p50", BenchRequests.percentile(sorted, 0.50));
      node.put("p99", BenchRequests.percentile(sorted, 0.99));
      node.put("min", sorted[0]);
      node.put("max", sorted[sorted.length - 1]);
    }
    return node;
  }

  /**
   * What each Kafka Streams thread (processor's and alert engine's) spent its time on, from its JMX
   * metrics at the end of the run: mean and max ms of commit, poll, process and punctuate, and
   * their rates per second.
   */
  private static ObjectNode streamThreads() throws Exception {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectNode node = Json.mapper().createObjectNode();
    for (ObjectName name :
        server.queryNames(new ObjectName("kafka.streams:type=stream-thread-metrics,*"), null)) {
      ObjectNode thread = node.putObject(name.getKeyProperty("thread-id"));
      for (MBeanAttributeInfo attribute : server.getMBeanInfo(name).getAttributes()) {
        if (attribute.getName().matches("(commit|poll|process|punctuate)-(latency-(avg|max)|rate)")
            && server.getAttribute(name, attribute.getName()) instanceof Double value
            && !value.isNaN()) {
          thread.put(attribute.getName(), Math.round(value * 10) / 10.0);
        }
      }
    }
    return node;
  }

  /**
   * Heap of the whole pipeline JVM (collector, processor, alerting, broker; Elasticsearch runs in
   * its own process): the peak over the run, summed over heap pools, and what is live after a GC.
   */
  private static ObjectNode memory() {
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.gc();
    long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    ObjectNode node = Json.mapper().createObjectNode();
    node.put("heap_peak", peak / (1024 * 1024));
    node.put("heap_live_after_gc", live / (1024 * 1024));
    node.put("heap_max", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    return node;
  }

  private int post(URI endpoint, byte[] body) {
    try {
      HttpResponse<Void> response =
          http.send(
              HttpRequest.newBuilder(endpoint)
                  .header("Content-Type", "application/x-protobuf")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return response.statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /** One request with {@link #pointsPerRequest} delta histogram points, one per route. */
  private ExportMetricsServiceRequest request(String service, long nowMillis, double errorShare) {
    return request(service, nowMillis, errorShare, pointsPerRequest);
  }

  /** One request with {@code points} delta histogram points, one per route. */
  private static ExportMetricsServiceRequest request(
      String service, long nowMillis, double errorShare, int points) {
    long now = TimeUnit.MILLISECONDS.toNanos(nowMillis);
    return BenchRequests.durations(
        Resource.newBuilder().addAttributes(BenchRequests.attr("service.name", service)),
        BenchRequests.points(
            AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA,
            now - 1_000_000_000L,
            now,
            1,
            points,
            p -> p < points * errorShare));
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static <T> T load(String yaml, Class<T> type) {
    return ConfigLoader.load(yaml, Map.of(), type);
  }
}
