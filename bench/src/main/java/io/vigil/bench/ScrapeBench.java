package io.vigil.bench;

import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.scrape.ScrapeSettings;
import io.vigil.collector.scrape.Scraper;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scraping at scale: {@code --targets} (default 1,000) targets, each a node-exporter-sized page
 * (280 families, 1,120 samples, 94 KB, generated; node exporter's own is 283 families, 57 KB),
 * scraped every {@code --interval} (default 15 s) by one scraper that parses and converts every
 * page and hands it to a sink that only counts. After one interval of warm-up it measures {@code
 * --intervals} (default 3) intervals and prints the CPU time of the scraper's own threads (its
 * timer, its parsers, the JDK HTTP client's) as cores busy, and how many scrapes succeeded. The
 * pages are served from the same JVM by threads that are not counted. Prints JSON.
 */
public final class ScrapeBench {
  private ScrapeBench() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchRequests.args(argv);
    int targets = Integer.parseInt(args.getOrDefault("targets", "1000"));
    Duration interval = Duration.ofSeconds(Long.parseLong(args.getOrDefault("interval", "15")));
    int intervals = Integer.parseInt(args.getOrDefault("intervals", "3"));
    byte[] page = page().getBytes(StandardCharsets.UTF_8);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(4, r -> new Thread(r, "bench-page-server")));
    server.createContext(
        "/",
        exchange -> {
          exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
          exchange.sendResponseHeaders(200, page.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(page);
          }
        });
    server.start();
    String address = "127.0.0.1:" + server.getAddress().getPort();
    AtomicLong stored = new AtomicLong();
    PrometheusRegistry registry = new PrometheusRegistry();
    try (Scraper scraper =
        Scraper.start(
            new ScrapeSettings(true, interval, Duration.ofSeconds(10), null, List.of()),
            records -> {
              stored.addAndGet(records.size());
              return CompletableFuture.completedFuture(null);
            },
            registry)) {
      List<Scraper.TargetSpec> specs = new ArrayList<>();
      for (int i = 0; i < targets; i++) {
        specs.add(new Scraper.TargetSpec("node", address, "/metrics/" + i, "http", Map.of()));
      }
      scraper.replace("bench", specs);
      TimeUnit.MILLISECONDS.sleep(interval.toMillis()); // warm-up: one interval
      long cpu0 = scraperCpuNanos();
      long stored0 = stored.get();
      long t0 = System.nanoTime();
      TimeUnit.MILLISECONDS.sleep(interval.toMillis() * intervals); // the measured span
      double elapsed = (System.nanoTime() - t0) / 1e9;
      double cpu = (scraperCpuNanos() - cpu0) / 1e9;
      long scrapes = stored.get() - stored0;
      System.out.printf(
          "{\"targets\":%d,\"interval_s\":%d,\"page_bytes\":%d,\"scrapes\":%d,\"scrapes_expected\":%d,"
              + "\"scraper_cores_busy\":%.2f,\"cpu_ms_per_scrape\":%.2f}%n",
          targets,
          interval.toSeconds(),
          page.length,
          scrapes,
          (long) targets * intervals,
          cpu / elapsed,
          cpu * 1000 / Math.max(1, scrapes));
    } finally {
      server.stop(0);
    }
  }

  /** CPU time of the scraper's threads: its timer and parsers, and the JDK HTTP client's. */
  private static long scraperCpuNanos() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long total = 0;
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      String name = info.getThreadName();
      if (name.startsWith("vigil-scrape") || name.startsWith("HttpClient")) {
        long cpu = threads.getThreadCpuTime(info.getThreadId());
        total += Math.max(0, cpu);
      }
    }
    return total;
  }

  /** A node-exporter-sized page: counters and gauges with labels, 94 KB. */
  static String page() {
    StringBuilder out = new StringBuilder();
    for (int f = 0; f < 280; f++) {
      String name = "node_bench_family_" + f + (f % 3 == 0 ? "_total" : "");
      String type = f % 3 == 0 ? "counter" : "gauge";
      out.append("# HELP ")
          .append(name)
          .append(" A family of the bench page, number ")
          .append(f)
          .append(".\n");
      out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
      for (int s = 0; s < 4; s++) {
        out.append(name)
            .append("{device=\"sda")
            .append(s)
            .append("\",mode=\"m")
            .append(f % 7)
            .append("\"} ")
            .append(f * 1000.5 + s)
            .append('\n');
      }
    }
    return out.toString();
  }
}
