package io.vigil.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.config.ConfigLoader;
import io.vigil.model.json.Json;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorService;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * The processor under a sustained load in real time, against a real broker: does it keep up? A
 * paced producer sends, for {@code --services N} (default 1,000) OpenTelemetry-SDK-like services,
 * one cumulative {@code http.server.request.duration} export a second each, spread evenly over the
 * second, with {@code --routes R} (default 50) routes × 2 status codes = 100 points stamped with
 * the wall clock: N × 2R points a second (100,000 by default), for {@code --warmup W} seconds
 * (default 60, not measured: the JIT compiler's) and then {@code --seconds S} (default 300).
 *
 * <p>The processor runs with its defaults (exactly-once, one stream thread unless {@code --streams
 * num.stream.threads=2}; topics of {@code --partitions P}, default 3). Every second the harness
 * samples the lag: points Kafka has acknowledged less points the signals step has taken in, in
 * seconds of the offered rate; a stall (a sample over {@code --dump-lag D} seconds, default 5,
 * until the lag is back under 1 s) is listed with its second, its greatest lag and the second it
 * was over, and every thread's stack at its start goes to standard error. At the end it stops
 * sending and times how long the processor takes to take in the rest: the lag at the end, measured
 * rather than estimated. It also reports the rate the producer achieved (it shares the machine),
 * and over the measured span the points taken in, the stream threads' CPU share, the live and final
 * signals emitted a second, and the bytes a second the processor sent to each topic (its outputs
 * and its stores' changelogs). Prints JSON.
 */
public final class ProcessorLagBench {
  /** The stream threads' own name: {@code <client id>-StreamThread-<n>}. */
  private static final Pattern STREAM_THREAD = Pattern.compile(".*-StreamThread-\\d+");

  private ProcessorLagBench() {}

  /** Entry point; see the class comment for arguments. */
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchRequests.args(argv);
    int services = Integer.parseInt(args.getOrDefault("services", "1000"));
    int routes = Integer.parseInt(args.getOrDefault("routes", "50"));
    int measured = Integer.parseInt(args.getOrDefault("seconds", "300"));
    int warmup = Integer.parseInt(args.getOrDefault("warmup", "60"));
    int partitions = Integer.parseInt(args.getOrDefault("partitions", "3"));
    double dumpLag = Double.parseDouble(args.getOrDefault("dump-lag", "5"));
    long rate = (long) services * routes * 2;

    Path dir = Files.createTempDirectory("vigil-processor-lag-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(0)) {
      ProcessorConfig config =
          ConfigLoader.load(
              BenchRequests.kafkaYaml(kafka.bootstrapServers(), args.get("streams"))
                      .replaceFirst(
                          "^kafka: \\{", "kafka: {topics: {partitions: " + partitions + "}, ")
                  + "state_dir: '%s'\nadmin: {host: 127.0.0.1, port: 0}\n"
                      .formatted(dir.resolve("state")),
              Map.of(),
              ProcessorConfig.class);
      PrometheusRegistry registry = new PrometheusRegistry();
      Properties props = kafka.clientProperties();
      // As the collector ships its records (KafkaShipper).
      props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
      props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
      try (ProcessorService processor = ProcessorService.start(config, registry);
          KafkaProducer<byte[], byte[]> producer =
              new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
        AtomicLong acked = new AtomicLong();
        AtomicReference<Exception> failed = new AtomicReference<>();
        Pacer pacer = new Pacer(producer, services, routes, acked, failed);
        Thread sender = new Thread(() -> pacer.run(warmup + measured), "lag-bench-producer");
        sender.start();

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long windowedAtStart = 0;
        long ackedAtStart = 0;
        long cpuAtStart = 0;
        long liveAtStart = 0;
        long finalAtStart = 0;
        Map<String, Double> bytesAtStart = Map.of();
        long measureStart = 0;
        List<Double> lags = new ArrayList<>();
        ArrayNode stalls = Json.mapper().createArrayNode();
        ObjectNode stall = null; // the one under way: lag above dump-lag, not yet back under 1 s
        double stallMax = 0;
        long next = System.nanoTime();
        while (sender.isAlive()) {
          next += TimeUnit.SECONDS.toNanos(1);
          // The sampling interval, cut short when the sender ends: the catch-up is timed from then.
          TimeUnit.NANOSECONDS.timedJoin(sender, Math.max(1, next - System.nanoTime()));
          if (!sender.isAlive()) {
            break;
          }
          long windowed = windowed(registry);
          double lagSeconds = (acked.get() - windowed) / (double) rate;
          if (measureStart == 0 && pacer.second() >= warmup) {
            measureStart = System.nanoTime();
            windowedAtStart = windowed;
            ackedAtStart = acked.get();
            cpuAtStart = streamThreadCpu(threads);
            liveAtStart = emitted(registry, "live");
            finalAtStart = emitted(registry, "final") + emitted(registry, "late");
            bytesAtStart = bytesSent();
          } else if (measureStart != 0) {
            lags.add(lagSeconds);
          }
          if (stall == null && lagSeconds > dumpLag) {
            stall = stalls.addObject().put("second", pacer.second());
            stallMax = 0;
            System.err.printf(
                "== lag %.2f s at second %d: threads%n%s", lagSeconds, pacer.second(), dump());
          }
          if (stall != null) {
            stallMax = Math.max(stallMax, lagSeconds);
            stall.put("max_lag_s", round2(stallMax));
            if (lagSeconds < 1) {
              stall.put("over_at_second", pacer.second());
              stall = null;
            }
          }
        }
        if (failed.get() != null) {
          throw failed.get();
        }
        long sendingEnded = pacer.lastSendNanos();
        long total = acked.get();
        long cpu = streamThreadCpu(threads) - cpuAtStart;
        long live = emitted(registry, "live") - liveAtStart;
        long closed = emitted(registry, "final") + emitted(registry, "late") - finalAtStart;
        long takenIn = windowed(registry) - windowedAtStart;
        Map<String, Double> bytesAtEnd = bytesSent();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
        while (windowed(registry) < total && System.nanoTime() < deadline) {
          TimeUnit.MILLISECONDS.sleep(5); // polling interval with a deadline
        }
        long caughtUp = System.nanoTime();
        double elapsed = (sendingEnded - measureStart) / 1e9;

        ObjectNode result = Json.mapper().createObjectNode();
        result.put("java", System.getProperty("java.version"));
        result.put("services", services);
        result.put("points_per_request", routes * 2);
        result.put("partitions", partitions);
        result.put("streams", args.getOrDefault("streams", ""));
        result.put("offered_points_per_s", rate);
        result.put("warmup_s", warmup);
        result.put("measured_s", Math.round(elapsed * 10) / 10.0);
        result.put("achieved_points_per_s", Math.round((total - ackedAtStart) / elapsed));
        result.put("sent", total - ackedAtStart);
        result.put("taken_in_while_sent", takenIn);
        result.put("lag_at_end_s", Math.round((caughtUp - sendingEnded) / 1e7) / 100.0);
        double[] sampled = lags.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sampled);
        if (sampled.length > 0) {
          result.put("lag_sampled_median_s", round2(sampled[sampled.length / 2]));
          result.put("lag_sampled_max_s", round2(sampled[sampled.length - 1]));
        }
        result.set("stalls", stalls);
        ArrayNode lastTen = result.putArray("lag_sampled_last_10_s");
        lags.subList(Math.max(0, lags.size() - 10), lags.size())
            .forEach(l -> lastTen.add(round2(l)));
        result.put("stream_threads_cpu_share", Math.round(cpu / 1e9 / elapsed * 1000) / 1000.0);
        result.put("live_signals_per_s", Math.round(live / elapsed));
        result.put("final_windows_per_s", Math.round(closed / elapsed));
        ObjectNode bytes = result.putObject("processor_bytes_sent_per_s");
        for (Map.Entry<String, Double> topic : new TreeMap<>(bytesAtEnd).entrySet()) {
          double sent = topic.getValue() - bytesAtStart.getOrDefault(topic.getKey(), 0.0);
          bytes.put(topic.getKey(), Math.round(sent / elapsed));
        }
        System.out.println(
            Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(result));
      }
    } finally {
      Utils.delete(dir.toFile());
    }
    System.exit(0);
  }

  /** Every thread's state and whole stack, and what it waits on. */
  private static String dump() {
    StringBuilder out = new StringBuilder();
    for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
      out.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
      if (info.getLockName() != null) {
        out.append(" on ").append(info.getLockName());
      }
      if (info.getLockOwnerName() != null) {
        out.append(" held by \"").append(info.getLockOwnerName()).append('"');
      }
      out.append('\n');
      for (StackTraceElement frame : info.getStackTrace()) {
        out.append("    at ").append(frame).append('\n');
      }
    }
    return out.toString();
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  /** Points the signals step has taken in. */
  private static long windowed(PrometheusRegistry registry) {
    return ProcessorBench.counter(registry, "vigil_processor_data_points_windowed");
  }

  private static long emitted(PrometheusRegistry registry, String kind) {
    return ProcessorBench.counter(registry, "vigil_processor_signals_emitted", "kind", kind);
  }

  /**
   * Bytes the processor's producers have sent so far, per topic (record batches as sent, before the
   * broker): its outputs and its stores' changelogs. Read from the producers' JMX metrics.
   */
  static Map<String, Double> bytesSent() throws JMException {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    Map<String, Double> bytes = new HashMap<>();
    for (ObjectName name : streamProducerMetrics(server, "producer-topic-metrics")) {
      String topic = name.getKeyProperty("topic").replaceFirst("^vigil-processor-", "");
      bytes.merge(topic, (Double) server.getAttribute(name, "byte-total"), Double::sum);
    }
    return bytes;
  }

  /**
   * Requests the stream threads' producers have sent so far (produce requests and the transaction's
   * own: each one a wake-up of the producer's network thread). Read from the producers' JMX
   * metrics.
   */
  static double producerRequests() throws JMException {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    double requests = 0;
    for (ObjectName name : streamProducerMetrics(server, "producer-metrics")) {
      requests += (Double) server.getAttribute(name, "request-total");
    }
    return requests;
  }

  /** The stream threads' producers' JMX metrics of {@code type}. */
  private static List<ObjectName> streamProducerMetrics(MBeanServer server, String type)
      throws JMException {
    return server.queryNames(new ObjectName("kafka.producer:type=" + type + ",*"), null).stream()
        .filter(name -> name.getKeyProperty("client-id").contains("-StreamThread-"))
        .toList();
  }

  /**
   * CPU time (ns) of the live Kafka Streams stream threads of this JVM and of the threads named
   * after them: each one's producer's network thread (exactly-once gives each stream thread a
   * producer of its own), which sends its records and changelogs beside it.
   */
  static long streamThreadCpu(ThreadMXBean threads) {
    return streamThreadCpu(threads, false);
  }

  /**
   * CPU time (ns) as {@link #streamThreadCpu(ThreadMXBean)}; with {@code alone}, of the stream
   * threads only, not their producers' network threads.
   */
  static long streamThreadCpu(ThreadMXBean threads, boolean alone) {
    long sum = 0;
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null
          && info.getThreadName().contains("-StreamThread-")
          && (!alone || STREAM_THREAD.matcher(info.getThreadName()).matches())) {
        sum += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
      }
    }
    return sum;
  }

  /** Sends every service's export once a second, spread over the second, on the wall clock. */
  private static final class Pacer {
    private final KafkaProducer<byte[], byte[]> producer;
    private final int services;
    private final int routes;
    private final AtomicLong acked;
    private final AtomicReference<Exception> failed;
    private final long[][] counts;
    private final byte[][] keys;
    private volatile int second;
    private volatile long lastSend;

    Pacer(
        KafkaProducer<byte[], byte[]> producer,
        int services,
        int routes,
        AtomicLong acked,
        AtomicReference<Exception> failed) {
      this.producer = producer;
      this.services = services;
      this.routes = routes;
      this.acked = acked;
      this.failed = failed;
      this.counts = new long[services][routes * 2];
      this.keys = new byte[services][];
      for (int svc = 0; svc < services; svc++) {
        keys[svc] = ("svc-" + svc).getBytes(StandardCharsets.UTF_8);
      }
    }

    /** The second of sending now in progress, from 0. */
    int second() {
      return second;
    }

    /** When the last export was sent (System.nanoTime). */
    long lastSendNanos() {
      return lastSend;
    }

    void run(int seconds) {
      long points = routes * 2L;
      long startNanos = (System.currentTimeMillis() - 3_600_000L) * 1_000_000L;
      long t0 = System.nanoTime();
      for (int s = 0; s < seconds && failed.get() == null; s++) {
        second = s;
        for (int svc = 0; svc < services; svc++) {
          long due =
              t0 + TimeUnit.SECONDS.toNanos(s) + TimeUnit.SECONDS.toNanos(1) * svc / services;
          LockSupport.parkNanos(due - System.nanoTime()); // pacing: the offered load's schedule
          long now = System.currentTimeMillis();
          byte[] body =
              ProcessorBench.request(svc, null, routes, counts[svc], startNanos, now * 1_000_000L)
                  .toByteArray();
          producer.send(
              new ProducerRecord<>(Topics.OTLP_METRICS, null, now, keys[svc], body),
              (metadata, e) -> {
                if (e != null) {
                  failed.compareAndSet(null, e);
                } else {
                  acked.addAndGet(points);
                }
              });
        }
      }
      producer.flush();
      lastSend = System.nanoTime();
    }
  }
}
