package io.vigil.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.config.ConfigLoader;
import io.vigil.model.json.Json;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorService;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Data points per second one processor stream thread takes in, against a real broker: {@code
 * otlp_metrics} is filled first, then the processor (one stream thread, exactly-once, defaults)
 * starts and the clock runs until it has taken in every point. The broker (embedded KRaft) runs in
 * the same JVM on the same cores.
 *
 * <p>Workload: {@code --services N} (default 100) OpenTelemetry-SDK-like services, each exporting
 * one cumulative {@code http.server.request.duration} request a second with {@code --routes R}
 * (default 50) routes × 2 status codes = 100 points, over {@code --seconds S} (default 60) of event
 * time ending now; {@code --instances I} (default 1) runs each service as that many replicas, each
 * exporting its own request a second with its own {@code service.instance.id}; {@code --operations
 * K} sets {@code max_operations_per_service} (default: the processor's, 100; 0 = service series
 * only), {@code --streams k=v,k=v} adds Kafka Streams settings (e.g. {@code
 * commit.interval.ms=100}), {@code --producer k=v,k=v} overrides the settings the topic is filled
 * with (the collector's: {@code compression.type=lz4}, {@code linger.ms=5}; the figures before
 * 2026-12-06 were taken with {@code compression.type=none,linger.ms=20,batch.size=1048576}). Prints
 * JSON.
 *
 * <p>With {@code --warmup W} the topic holds {@code W} more seconds of exports before those, and
 * the clock runs from the moment their points are in: the processor's steady state, with its JIT
 * compiler done (a fresh JVM's first 1,200,000 points went at about two thirds of the warm rate,
 * BENCHMARKS.md). The warm-up's own rate is printed too.
 *
 * <p>With {@code --memory true} it also reports the heap the processor holds once every point is
 * in: used heap after a full GC with the processor running, less the same before it started (the
 * broker and the harness, which share the JVM), per 10,000 series (one series per service).
 */
public final class ProcessorBench {
  private static final List<Double> BOUNDS =
      List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

  private ProcessorBench() {}

  /** Entry point; see the class comment for arguments. */
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchRequests.args(argv);
    int services = Integer.parseInt(args.getOrDefault("services", "100"));
    int routes = Integer.parseInt(args.getOrDefault("routes", "50"));
    int instances = Integer.parseInt(args.getOrDefault("instances", "1"));
    int measured = Integer.parseInt(args.getOrDefault("seconds", "60"));
    int warmup = Integer.parseInt(args.getOrDefault("warmup", "0"));
    int seconds = warmup + measured;
    boolean memory = Boolean.parseBoolean(args.getOrDefault("memory", "false"));
    String operations = args.get("operations");
    Instant end = Instant.now();
    Instant t0 = end.minusSeconds(seconds);

    Path dir = Files.createTempDirectory("vigil-processor-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(0)) {
      long points = 0;
      // As the processor creates it (kafka.topics.partitions, 3), and the collector keys it: by
      // service name. Left to the broker, the topic would get one partition.
      kafka.createTopics(3, Topics.OTLP_METRICS);
      Properties props = kafka.clientProperties();
      // As the collector ships its records (KafkaShipper: lz4, linger.ms 5, the default batch
      // size): the stream thread reads and unpacks what it would in production.
      props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
      props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
      props.putAll(BenchRequests.pairs(args.get("producer")));
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
        long[][] counts = new long[services * instances][routes * 2];
        for (int s = 0; s < seconds; s++) {
          for (int i = 0; i < services * instances; i++) {
            int svc = i / instances;
            String instance = instances == 1 ? null : "svc-" + svc + "-" + i % instances;
            byte[] body = request(svc, instance, routes, counts[i], t0, s).toByteArray();
            long at = t0.plusSeconds(s + 1).toEpochMilli();
            producer.send(
                new ProducerRecord<>(
                    Topics.OTLP_METRICS,
                    null,
                    at,
                    ("svc-" + svc).getBytes(StandardCharsets.UTF_8),
                    body));
            points += routes * 2L;
          }
        }
        producer.flush();
      }

      ProcessorConfig config =
          ConfigLoader.load(
              BenchRequests.kafkaYaml(kafka.bootstrapServers(), args.get("streams"))
                  + "state_dir: '%s'\nadmin: {host: 127.0.0.1, port: 0}\n"
                      .formatted(dir.resolve("state"))
                  + (operations == null ? "" : "max_operations_per_service: " + operations + "\n"),
              Map.of(),
              ProcessorConfig.class);
      long heapBefore = memory ? heapAfterGc() : 0;
      long heapHeld = 0;
      long taken;
      long liveSignals;
      long windows;
      long lateSupplements;
      long direct;
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long pid = ProcessHandle.current().pid();
      long threadCpuAtWarm;
      long threadCpu;
      long aloneCpuAtWarm;
      long aloneCpu;
      double requestsAtWarm;
      double requests;
      long jitAtWarm;
      long jit;
      long cpuAtWarm;
      long cpu;
      long firstPoint;
      long warmedUp;
      long warmupTaken;
      long lastPoint;
      long start = System.nanoTime();
      PrometheusRegistry registry = new PrometheusRegistry();
      try (ProcessorService processor = ProcessorService.start(config, registry)) {
        // Through the signals step, after the repartition: the decode step alone runs ahead.
        LongSupplier takenIn = () -> counter(registry, "vigil_processor_data_points_windowed");
        long deadline = start + TimeUnit.MINUTES.toNanos(15);
        // The clock starts with the first point taken in: start-up and the first rebalance are
        // not throughput.
        while (takenIn.getAsLong() == 0 && System.nanoTime() < deadline) {
          TimeUnit.MILLISECONDS.sleep(5); // polling interval with a deadline
        }
        firstPoint = System.nanoTime();
        long warmupPoints = (long) warmup * services * instances * routes * 2;
        while (takenIn.getAsLong() < warmupPoints && System.nanoTime() < deadline) {
          TimeUnit.MILLISECONDS.sleep(5); // polling interval with a deadline
        }
        warmedUp = System.nanoTime();
        threadCpuAtWarm = ProcessorLagBench.streamThreadCpu(threads);
        aloneCpuAtWarm = ProcessorLagBench.streamThreadCpu(threads, true);
        requestsAtWarm = ProcessorLagBench.producerRequests();
        jitAtWarm = CollectorBench.compilerTicks(pid);
        cpuAtWarm = CollectorBench.cpuTicks(pid);
        warmupTaken = takenIn.getAsLong();
        while (takenIn.getAsLong() < points && System.nanoTime() < deadline) {
          TimeUnit.MILLISECONDS.sleep(5); // polling interval with a deadline
        }
        lastPoint = System.nanoTime();
        threadCpu = ProcessorLagBench.streamThreadCpu(threads) - threadCpuAtWarm;
        aloneCpu = ProcessorLagBench.streamThreadCpu(threads, true) - aloneCpuAtWarm;
        requests = ProcessorLagBench.producerRequests() - requestsAtWarm;
        jit = CollectorBench.compilerTicks(pid) - jitAtWarm;
        cpu = CollectorBench.cpuTicks(pid) - cpuAtWarm;
        taken = takenIn.getAsLong();
        if (memory) {
          heapHeld = heapAfterGc() - heapBefore;
        }
        liveSignals = counter(registry, "vigil_processor_signals_emitted", "kind", "live");
        windows = processor.signalsEmitted();
        lateSupplements = counter(registry, "vigil_processor_signals_emitted", "kind", "late");
        direct = counter(registry, "vigil_processor_data_points_routed", "route", "direct");
      }
      double startup = (firstPoint - start) / 1e9;
      double warming = (warmedUp - firstPoint) / 1e9;
      double elapsed = (lastPoint - warmedUp) / 1e9;

      ObjectNode result = Json.mapper().createObjectNode();
      result.put("java", System.getProperty("java.version"));
      result.put("services", services);
      result.put("instances_per_service", instances);
      result.put("points_per_request", routes * 2);
      result.put("max_operations_per_service", config.maxOperationsPerService());
      result.put("event_seconds", seconds);
      result.put("warmup_event_seconds", warmup);
      result.put("data_points", points);
      result.put("data_points_taken_in", taken);
      result.put("startup_s", Math.round(startup * 100) / 100.0);
      if (warmup > 0) {
        result.put("warmup_s", Math.round(warming * 100) / 100.0);
        result.put("warmup_data_points_per_s", Math.round(warmupTaken / warming));
      }
      result.put("elapsed_s", Math.round(elapsed * 100) / 100.0);
      result.put("data_points_per_s", Math.round((taken - warmupTaken) / elapsed));
      // What one stream thread would take with a core of its own: here it shares two with the
      // broker, the harness and the JIT compiler. Its producer's network thread (which sends its
      // records and changelogs beside it) is counted with it, as in every figure before
      // 2026-12-06 (late morning), and apart: the stream thread alone.
      result.put("stream_thread_cpu_share", Math.round(threadCpu / 1e9 / elapsed * 100) / 100.0);
      result.put(
          "data_points_per_stream_thread_cpu_s",
          Math.round((taken - warmupTaken) / (threadCpu / 1e9)));
      result.put(
          "stream_thread_alone_cpu_share", Math.round(aloneCpu / 1e9 / elapsed * 100) / 100.0);
      result.put(
          "data_points_per_stream_thread_alone_cpu_s",
          Math.round((taken - warmupTaken) / (aloneCpu / 1e9)));
      result.put(
          "stream_producer_requests_per_1000_points",
          Math.round(requests * 1000 / (taken - warmupTaken) * 100) / 100.0);
      result.put("jit_cpu_share", cpu == 0 ? 0 : Math.round(100.0 * jit / cpu) / 100.0);
      result.put("live_signals", liveSignals);
      result.put("final_windows", windows);
      result.put("late_supplements", lateSupplements);
      // Read on the partition of the task that holds their series: no repartition topic.
      result.put("data_points_direct", direct);
      if (memory) {
        result.put("heap_held_mib", Math.round(heapHeld / 1048576.0 * 10) / 10.0);
        result.put(
            "heap_per_10k_series_mib",
            Math.round(heapHeld / 1048576.0 * 10_000.0 / services * 10) / 10.0);
      }
      System.out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(result));
    } finally {
      Utils.delete(dir.toFile());
    }
    System.exit(0);
  }

  /** Used heap after a full collection (twice, so finalizable objects are gone too). */
  private static long heapAfterGc() {
    java.lang.management.MemoryMXBean bean =
        java.lang.management.ManagementFactory.getMemoryMXBean();
    bean.gc();
    bean.gc();
    return bean.getHeapMemoryUsage().getUsed();
  }

  /**
   * The value of counter {@code name} (summed over series with {@code label}={@code value}, or
   * all): read from the registry rather than a service method, so the same harness measures earlier
   * versions of the processor too.
   */
  static long counter(PrometheusRegistry registry, String name, String... labelValue) {
    double sum = 0;
    for (MetricSnapshot snapshot : registry.scrape()) {
      if (!snapshot.getMetadata().getName().equals(name)) {
        continue;
      }
      for (DataPointSnapshot point : snapshot.getDataPoints()) {
        if (labelValue.length == 2 && !labelValue[1].equals(point.getLabels().get(labelValue[0]))) {
          continue;
        }
        sum += ((CounterSnapshot.CounterDataPointSnapshot) point).getValue();
      }
    }
    return (long) sum;
  }

  /**
   * The cumulative export of service {@code svc}'s {@code instance} (its {@code
   * service.instance.id}, null: none) at second {@code s}: every route gets requests.
   */
  private static ExportMetricsServiceRequest request(
      int svc, String instance, int routes, long[] counts, Instant t0, int s) {
    return request(
        svc,
        instance,
        routes,
        counts,
        (t0.getEpochSecond() - 3600) * 1_000_000_000L,
        (t0.getEpochSecond() + s + 1) * 1_000_000_000L);
  }

  /**
   * Service {@code svc}'s cumulative export at {@code time} (epoch ns) of streams started at {@code
   * start}, from its {@code instance} ({@code service.instance.id}, null: none): each route's
   * counts go up (10 requests answered 200, 1 answered 500) in {@code counts}.
   */
  static ExportMetricsServiceRequest request(
      int svc, String instance, int routes, long[] counts, long start, long time) {
    Histogram.Builder histogram =
        Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    for (int p = 0; p < routes * 2; p++) {
      counts[p] += p % 2 == 0 ? 10 : 1;
      long[] buckets = new long[BOUNDS.size() + 1];
      buckets[3] = counts[p] / 2;
      buckets[6] = counts[p] - buckets[3];
      HistogramDataPoint.Builder point =
          HistogramDataPoint.newBuilder()
              .setStartTimeUnixNano(start)
              .setTimeUnixNano(time)
              .setCount(counts[p])
              .addAllExplicitBounds(BOUNDS)
              .addAttributes(BenchRequests.attr("http.route", "/r" + (p / 2)))
              .addAttributes(BenchRequests.status(p % 2 == 0 ? 200 : 500));
      for (long b : buckets) {
        point.addBucketCounts(b);
      }
      histogram.addDataPoints(point);
    }
    Resource.Builder resource =
        Resource.newBuilder()
            .addAttributes(BenchRequests.attr("service.name", "svc-" + svc))
            .addAttributes(BenchRequests.attr("k8s.namespace.name", "bench"));
    if (instance != null) {
      resource.addAttributes(BenchRequests.attr("service.instance.id", instance));
    }
    return BenchRequests.durations(resource, histogram);
  }
}
