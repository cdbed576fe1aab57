package io.vigil.bench;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import io.vigil.embedded.kafka.EmbeddedKafka;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * OTLP → Kafka through the collector measured alone: the driver JVM runs an embedded broker and the
 * load generator ({@code --clients} closed-loop senders, default 16, each POSTing one {@code
 * --points}-point protobuf request at a time, default 100); the collector runs as {@code vigil
 * collector} in a JVM of its own ({@code --jvm} options). For {@code --transport} {@code http},
 * {@code grpc} or {@code both} (default) it prints, over {@code --seconds} (default 30) after
 * {@code --warmup} seconds under the same load (default 60): data points per second answered OK (so
 * acknowledged by Kafka), the collector's CPU seconds per million points and points per CPU-second
 * (its process only, from /proc), the share of that CPU its JIT compiler threads took (near 0 once
 * it is warm), and its peak RSS (VmHWM). Prints one JSON line per transport.
 *
 * <p>The warm-up matters: under this load the JIT compiler of a fresh collector JVM took about 40 %
 * of its CPU 12–27 s after the start and still 14 % at 50–65 s (BENCHMARKS.md), so a span that
 * starts early measures the compiler as much as the collector.
 */
public final class CollectorBench {
  private CollectorBench() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchRequests.args(argv);
    int clients = Integer.parseInt(args.getOrDefault("clients", "16"));
    int seconds = Integer.parseInt(args.getOrDefault("seconds", "30"));
    int warmup = Integer.parseInt(args.getOrDefault("warmup", "60"));
    int points = Integer.parseInt(args.getOrDefault("points", "100"));
    String jvm = args.getOrDefault("jvm", "");
    String transport = args.getOrDefault("transport", "both");
    byte[] body = BenchRequests.histograms(points).toByteArray();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(0)) {
      for (String t : transport.equals("both") ? List.of("http", "grpc") : List.of(transport)) {
        System.out.println(run(kafka, t, clients, warmup, seconds, points, body, jvm));
      }
    }
  }

  private static String run(
      EmbeddedKafka kafka,
      String transport,
      int clients,
      int warmup,
      int seconds,
      int points,
      byte[] body,
      String jvm)
      throws Exception {
    int grpcPort = freePort();
    int httpPort = freePort();
    Path config = Files.createTempFile("vigil-collector-bench", ".yaml");
    Files.writeString(
        config,
        """
        collector:
          kafka: {bootstrap_servers: '%s'}
          otlp:
            grpc: {host: 127.0.0.1, port: %d}
            http: {host: 127.0.0.1, port: %d}
          admin: {host: 127.0.0.1, port: 0}
        """
            .formatted(kafka.bootstrapServers(), grpcPort, httpPort));
    List<String> command =
        javaCommand(jvm, "io.vigil.cli.Vigil", "collector", "--config", config.toString());
    Process collector = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(collector.getInputStream(), StandardCharsets.UTF_8));
      for (String line = out.readLine(); ; line = out.readLine()) {
        if (line == null) {
          throw new IllegalStateException("the collector exited before it was ready");
        }
        if (line.startsWith("vigil collector:")) {
          break;
        }
      }
      Thread drain = new Thread(() -> out.lines().forEach(l -> {}), "collector-output");
      drain.setDaemon(true);
      drain.start();

      AtomicLong accepted = new AtomicLong();
      AtomicLong refused = new AtomicLong();
      AtomicBoolean running = new AtomicBoolean(true);
      ClientFactory factory = ClientFactory.builder().maxNumEventLoopsPerEndpoint(4).build();
      WebClient client =
          WebClient.builder(
                  transport.equals("grpc")
                      ? "h2c://127.0.0.1:" + grpcPort
                      : "http://127.0.0.1:" + httpPort)
              .factory(factory)
              .responseTimeout(Duration.ofSeconds(30))
              .build();
      byte[] payload = transport.equals("grpc") ? frame(body) : body;
      RequestHeaders headers =
          transport.equals("grpc")
              ? RequestHeaders.builder(
                      HttpMethod.POST,
                      "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export")
                  .contentType(MediaType.parse("application/grpc"))
                  .set("te", "trailers")
                  .build()
              : RequestHeaders.builder(HttpMethod.POST, "/v1/metrics")
                  .contentType(MediaType.parse("application/x-protobuf"))
                  .build();
      List<CompletableFuture<Void>> loops = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loops.add(done);
        send(client, headers, payload, transport, points, accepted, refused, running, done);
      }
      TimeUnit.SECONDS.sleep(warmup); // warm-up: the figures start after it
      long pid = collector.pid();
      long cpu0 = cpuTicks(pid);
      long jit0 = compilerTicks(pid);
      long ok0 = accepted.get();
      long t0 = System.nanoTime();
      TimeUnit.SECONDS.sleep(seconds); // the measured span
      long ok1 = accepted.get();
      long cpu1 = cpuTicks(pid);
      long jit1 = compilerTicks(pid);
      double elapsed = (System.nanoTime() - t0) / 1e9;
      long rss = peakRssMib(pid);
      running.set(false);
      CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      factory.close();
      double cpuSeconds = (cpu1 - cpu0) / 100.0; // USER_HZ
      double pointsPerSecond = (ok1 - ok0) / elapsed;
      return ("{\"transport\":\"%s\",\"clients\":%d,\"points_per_request\":%d,\"points_per_s\":%.0f,"
              + "\"collector_cpu_s_per_million\":%.2f,\"points_per_cpu_s\":%.0f,"
              + "\"collector_cores_busy\":%.2f,\"jit_cpu_share\":%.2f,\"peak_rss_mib\":%d,"
              + "\"refused\":%d,\"warmup_s\":%d,\"jvm\":\"%s\"}")
          .formatted(
              transport,
              clients,
              points,
              pointsPerSecond,
              cpuSeconds / ((ok1 - ok0) / 1e6),
              (ok1 - ok0) / cpuSeconds,
              cpuSeconds / elapsed,
              (jit1 - jit0) / (double) (cpu1 - cpu0),
              rss,
              refused.get(),
              warmup,
              jvm);
    } finally {
      collector.destroy(); // SIGTERM to the PID we started
      collector.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static void send(
      WebClient client,
      RequestHeaders headers,
      byte[] payload,
      String transport,
      int points,
      AtomicLong accepted,
      AtomicLong refused,
      AtomicBoolean running,
      CompletableFuture<Void> done) {
    if (!running.get()) {
      done.complete(null);
      return;
    }
    client
        .execute(HttpRequest.of(headers, HttpData.wrap(payload)))
        .aggregate()
        .whenComplete(
            (response, error) -> {
              if (error == null && ok(response, transport)) {
                accepted.addAndGet(points);
              } else {
                refused.incrementAndGet();
              }
              send(client, headers, payload, transport, points, accepted, refused, running, done);
            });
  }

  private static boolean ok(AggregatedHttpResponse response, String transport) {
    if (transport.equals("grpc")) {
      String status = response.trailers().get("grpc-status");
      return "0".equals(status != null ? status : response.headers().get("grpc-status"));
    }
    return response.status().code() == 200;
  }

  private static byte[] frame(byte[] message) {
    return ByteBuffer.allocate(5 + message.length)
        .put((byte) 0)
        .putInt(message.length)
        .put(message)
        .array();
  }

  /** CPU ticks of process {@code pid}, all its threads, from /proc. */
  static long cpuTicks(long pid) throws Exception {
    return ticks(Files.readString(Path.of("/proc/" + pid + "/stat")));
  }

  /** User + system CPU ticks from the text of a {@code /proc} {@code stat} file. */
  private static long ticks(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime + stime
  }

  /** CPU ticks of the JIT compiler threads of process {@code pid} (C1 and C2), from /proc. */
  static long compilerTicks(long pid) throws Exception {
    long ticks = 0;
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (java.io.IOException gone) {
          continue; // the thread ended between the listing and the read
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        if (name.matches("C[12] CompilerThre.*")) {
          ticks += ticks(stat);
        }
      }
    }
    return ticks;
  }

  private static long peakRssMib(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return -1;
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /**
   * The command that runs {@code mainClass} with {@code args} in a JVM of its own, with {@code jvm}
   * options (blank-separated) and this JVM's class path — as exec:java sees it: it runs a harness
   * in a class loader of its own, so {@code java.class.path} would be Maven's.
   */
  static List<String> javaCommand(String jvm, String mainClass, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String option : jvm.split(" ")) {
      if (!option.isBlank()) {
        command.add(option);
      }
    }
    String classPath = System.getProperty("java.class.path");
    if (CollectorBench.class.getClassLoader() instanceof java.net.URLClassLoader urls) {
      List<String> entries = new ArrayList<>();
      for (java.net.URL url : urls.getURLs()) {
        entries.add(url.getPath());
      }
      classPath = String.join(File.pathSeparator, entries);
    }
    command.add("-cp");
    command.add(classPath);
    command.add(mainClass);
    command.addAll(List.of(args));
    return command;
  }
}
