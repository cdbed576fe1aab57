package io.vigil.bench;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.logs.LogTailer;
import io.vigil.collector.logs.LogsSettings;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.TopicInitializer;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Log file → Kafka, the collector's tailer measured alone: the driver starts an embedded broker,
 * writes {@code --lines} (default 2,000,000) CRI lines of about {@code --bytes} (default 190) bytes
 * into one container log file, then starts the tailer in a JVM of its own ({@code --jvm} options,
 * e.g. {@code -Xmx128m}) that reads the file from its start. The child reports, from its start to
 * its last line committed: lines per second, its CPU seconds per million lines (its own process
 * only, not the broker's) and its peak RSS (VmHWM). Prints JSON.
 *
 * <p>With {@code --warmup-lines W} the file starts with {@code W} more lines, and the figures above
 * are also given for the lines after them ({@code warm_*}: from the moment {@code W} lines were
 * shipped), with the share of that CPU the JIT compiler took: a fresh JVM spends a large part of
 * its first seconds compiling.
 *
 * <p>Before the tailer starts, the broker serves one transactional producer: a fresh broker creates
 * its transaction coordinator on first use, which a broker Vigil already uses has done long before.
 * {@code --fresh-broker true} leaves that wait to the tailer, as the harness did until 2026-12-04.
 */
public final class LogTailBench {
  private LogTailBench() {}

  /** Driver; see the class comment for arguments. */
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchRequests.args(argv);
    int warmupLines = Integer.parseInt(args.getOrDefault("warmup-lines", "0"));
    int lines = warmupLines + Integer.parseInt(args.getOrDefault("lines", "2000000"));
    int bytes = Integer.parseInt(args.getOrDefault("bytes", "190"));
    String jvm = args.getOrDefault("jvm", "");
    Path dir = Files.createTempDirectory("vigil-logtail-bench");
    Path file = dir.resolve("pods/shop_web-1_uid-1/app/0.log");
    Files.createDirectories(file.getParent());
    String prefix = "2024-05-01T10:00:00.123456789Z stdout F ";
    String filler = "x".repeat(Math.max(0, bytes - prefix.length() - 25));
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 0; i < lines; i++) {
        out.write(prefix);
        out.write("INFO request ");
        out.write(Integer.toString(i));
        out.write(' ');
        out.write(filler);
        out.write('\n');
      }
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start(0)) {
      TopicInitializer.ensureTopics(
          KafkaSettings.of(kafka.bootstrapServers()),
          Set.of(Topics.OTLP_LOGS, Topics.LOG_OFFSETS),
          Map.of(Topics.LOG_OFFSETS, Map.of("cleanup.policy", "compact")));
      if (!Boolean.parseBoolean(args.getOrDefault("fresh-broker", "false"))) {
        servedATransaction(kafka);
      }
      List<String> command =
          CollectorBench.javaCommand(
              jvm,
              Child.class.getName(),
              kafka.bootstrapServers(),
              dir + "/pods/*/*/*.log",
              Integer.toString(lines),
              Integer.toString(warmupLines));
      Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
      String result = null;
      try (BufferedReader in =
          new BufferedReader(
              new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          if (line.startsWith("{")) {
            result = line;
          } else if (line.contains("ERROR") || line.contains("Exception")) {
            System.err.println("[tailer] " + line);
          }
        }
      }
      child.waitFor(1, TimeUnit.MINUTES);
      System.out.println(
          result == null
              ? "{\"error\":\"the tailer did not report\"}"
              : result.replace(
                  "}", ",\"file_bytes\":" + Files.size(file) + ",\"jvm\":\"" + jvm + "\"}"));
    } finally {
      // The file is hundreds of MB to GBs: not left in /tmp.
      org.apache.kafka.common.utils.Utils.delete(dir.toFile());
    }
  }

  /**
   * Has the broker serve one transactional producer, so that its transaction coordinator (the 50
   * partitions of {@code __transaction_state}, created on first use) is up before the tailer
   * starts, as on any broker Vigil has used: the processor and the alert engine are transactional.
   * On a fresh broker the tailer's first {@code initTransactions} waited about 0.7 s for it.
   */
  private static void servedATransaction(EmbeddedKafka kafka) {
    Properties props = kafka.clientProperties();
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "log-tail-bench-warm-up");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.initTransactions();
    }
  }

  /**
   * The tailer's JVM. Arguments: bootstrap servers, include glob, lines expected, warm-up lines.
   */
  public static final class Child {
    private Child() {}

    public static void main(String[] args) throws Exception {
      long lines = Long.parseLong(args[2]);
      LogsSettings settings =
          new LogsSettings(
              true,
              List.of(args[1]),
              List.of(),
              "beginning",
              Duration.ofMillis(100),
              null,
              null,
              null,
              "bench",
              Map.of(),
              null,
              null);
      var os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long warmupLines = Long.parseLong(args[3]);
      long pid = ProcessHandle.current().pid();
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      try (LogTailer tailer =
          LogTailer.start(settings, KafkaSettings.of(args[0]), new PrometheusRegistry())) {
        long deadline = t0 + TimeUnit.MINUTES.toNanos(10);
        while (tailer.recordsShipped() < warmupLines && System.nanoTime() < deadline) {
          TimeUnit.MILLISECONDS.sleep(5); // polling interval with a deadline
        }
        long warmShipped0 = tailer.recordsShipped();
        long warmCpu0 = os.getProcessCpuTime();
        long warmJit0 = CollectorBench.compilerTicks(pid);
        long warmT0 = System.nanoTime();
        while (tailer.recordsShipped() < lines && System.nanoTime() < deadline) {
          TimeUnit.MILLISECONDS.sleep(5); // polling interval with a deadline
        }
        long end = System.nanoTime();
        long cpuEnd = os.getProcessCpuTime();
        long jitEnd = CollectorBench.compilerTicks(pid);
        double seconds = (end - t0) / 1e9;
        double cpu = (cpuEnd - cpu0) / 1e9;
        long shipped = tailer.recordsShipped();
        String warm = "";
        if (warmupLines > 0) {
          double warmSeconds = (end - warmT0) / 1e9;
          double warmCpu = (cpuEnd - warmCpu0) / 1e9;
          long warmLines = shipped - warmShipped0;
          warm =
              ",\"warm_lines\":%d,\"warm_lines_per_s\":%.0f,\"warm_cpu_s_per_million\":%.2f,\"warm_jit_cpu_share\":%.2f"
                  .formatted(
                      warmLines,
                      warmLines / warmSeconds,
                      warmCpu / (warmLines / 1e6),
                      (jitEnd - warmJit0) / 100.0 / warmCpu);
        }
        System.out.printf(
            "{\"lines\":%d,\"seconds\":%.2f,\"lines_per_s\":%.0f,\"cpu_s_per_million\":%.2f,"
                + "\"peak_rss_mib\":%d%s}%n",
            shipped, seconds, shipped / seconds, cpu / (shipped / 1e6), peakRssMib(), warm);
      }
    }

    private static long peakRssMib() throws Exception {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
      return -1;
    }
  }
}
