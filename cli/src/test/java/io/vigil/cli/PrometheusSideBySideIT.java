package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.CollectorConfig;
import io.vigil.collector.CollectorService;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.config.ConfigLoader;
import io.vigil.processor.ProcessorConfig;
import io.vigil.processor.ProcessorService;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Correctness, proven": one OpenTelemetry SDK exports the same {@code
 * http.server.request.duration} histogram to Vigil (OTLP/HTTP → collector → Kafka → processor →
 * {@code vigil.signals}) and to a Prometheus exporter that Debian's {@code prometheus} scrapes
 * every second; Vigil's final windows must say what Prometheus says over the same time ranges.
 *
 * <p><b>What "the same" means.</b> A final window {@code [start, start + 10 s)} counts the requests
 * made in it. On Prometheus' side that is the cumulative counts at the window's end minus those at
 * its start — the samples at the boundaries, not {@code increase()}, which extrapolates to the
 * range's edges (and counts nothing for a series' first sample). Quantiles are Prometheus' own
 * {@code histogram_quantile} over those bucket differences, evaluated by Prometheus ({@link
 * PrometheusWindows}).
 *
 * <p><b>Why the traffic pauses around window boundaries.</b> Both sides only know how many requests
 * happened between two observations a second apart (Vigil: two OTLP exports, whose delta it spreads
 * evenly over the seconds between them; Prometheus: two scrapes, and a boundary sees the last
 * scrape before it). A boundary inside traffic splits up to a second's requests between two windows
 * differently on each side — neither split is the truth — which moves a window's p99 by a few
 * percent. So each service sends from 2.5 s to 7.5 s into every window and is quiet across the
 * boundaries: then every window holds exactly its own requests on both sides and is compared
 * exactly. Every SDK starts in the window of its first requests, and every attribute set (stream)
 * starts with the first export ({@link DualExportService#record}), because Vigil spreads a new
 * stream's first counts back towards its start (at most one window).
 *
 * <p>The stack (broker, collector, processor, Prometheus) is shared by the tests; each test has a
 * service of its own, hence its own series on both sides.
 */
@WithKafka
class PrometheusSideBySideIT {
  /** The processor's default window, to which the windows below are aligned. */
  private static final long WINDOW_MS = 10_000;

  /** The processor's default grace: a window is emitted once the wall clock passes end + grace. */
  private static final long GRACE_MS = 5_000;

  /** Each window's requests are made in [start + 2.5 s, start + 7.5 s). */
  private static final long ACTIVE_FROM_MS = 2_500;

  private static final long ACTIVE_UNTIL_MS = 7_500;

  /** Requests per 10 ms tick per SDK: 200 per second, 1,000 per window. */
  private static final int PER_TICK = 2;

  /** Relative tolerance of the quantiles. */
  private static final double TOLERANCE = 0.01;

  private static EmbeddedKafka kafka;
  private static CollectorService collector;
  private static ProcessorService processor;
  private static LocalPrometheus prometheus;
  private static PrometheusWindows prometheusSays;
  private static int exporterPort;
  private static int secondExporterPort;

  @BeforeAll
  static void startStack(EmbeddedKafka broker, @TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/prometheus")), "prometheus not installed");
    kafka = broker;
    int prometheusPort;
    try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket c = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      exporterPort = a.getLocalPort();
      secondExporterPort = b.getLocalPort();
      prometheusPort = c.getLocalPort();
    }
    PrometheusRegistry registry = new PrometheusRegistry();
    collector =
        CollectorService.start(
            load(
                """
                kafka: {bootstrap_servers: %s}
                otlp: {grpc: {host: 127.0.0.1, port: 0}, http: {host: 127.0.0.1, port: 0}}
                admin: {host: 127.0.0.1, port: 0}
                """
                    .formatted(kafka.bootstrapServers()),
                CollectorConfig.class),
            registry);
    processor =
        ProcessorService.start(
            load(
                """
                kafka: {bootstrap_servers: %s}
                application_id: side-by-side-processor
                state_dir: '%s'
                admin: {host: 127.0.0.1, port: 0}
                """
                    .formatted(kafka.bootstrapServers(), dir.resolve("state")),
                ProcessorConfig.class),
            registry);
    prometheus =
        LocalPrometheus.start(
            Files.createDirectories(dir.resolve("prometheus")),
            prometheusPort,
            List.of("127.0.0.1:" + exporterPort, "127.0.0.1:" + secondExporterPort));
    prometheusSays = new PrometheusWindows(prometheus);
    // The services start after the processor, whose state begins when it first runs: their
    // first points are then counted in full.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!processor.isRunning()) {
      assertThat(System.nanoTime()).as("processor running within 60 s").isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(100); // polling with a deadline
    }
  }

  @AfterAll
  static void stopStack() {
    if (prometheus != null) {
      prometheus.close();
    }
    if (processor != null) {
      processor.close();
    }
    if (collector != null) {
      collector.close();
    }
  }

  /**
   * The main comparison: four windows of one service, 3 % errors. Requests and errors equal in
   * every window and over the span; p50, p90 and p99 within 1 % of Prometheus' {@code
   * histogram_quantile} over the same windows' buckets (cumulative temporality, so Vigil has no
   * {@code max} to cap them with).
   */
  @Test
  void requestsErrorsAndQuantilesEqualPrometheusWindowByWindow() throws Exception {
    String service = "side-by-side";
    SeededTraffic traffic = new SeededTraffic(20_240_611L, 0.03);
    int windows = 4;
    long w0 = windowToStartIn();
    long end = w0 + windows * WINDOW_MS;
    try (DualExportService sdk =
        new DualExportService(otlpUrl(), exporterPort, service, null, false)) {
      for (int k = 0; k < windows; k++) {
        driveWindow(traffic, List.of(sdk), w0 + k * WINDOW_MS);
      }
      prometheusSays.awaitScrapedAfter(service, end);
    }

    WindowComparison c = compare("main", service, w0, windows, traffic);
    double extrapolated =
        prometheusSays.extrapolatedIncrease(service, Duration.ofMillis(end - w0), end);
    System.out.println(
        c.line()
            + String.format(
                Locale.ROOT,
                "; Prometheus' increase() over the span for contrast: %.1f",
                extrapolated));

    c.assertCountsEqual();
    c.assertQuantilesWithin(TOLERANCE, false);
  }

  /**
   * A restart: the service's SDK shuts down after one window and a new one (new start time,
   * counters from zero, the same labels on Prometheus' side) serves the next. Prometheus sees a
   * counter reset, Vigil a new stream. Prometheus' counts come from the raw samples with resets
   * read as {@code increase()} reads them (the SDK's series are stale at the boundary between the
   * two lives). Requests and errors equal per window and in total.
   */
  @Test
  void anSdkRestartResetsTheCountersAndTheTotalsStillAgree() throws Exception {
    String service = "restarted";
    SeededTraffic traffic = new SeededTraffic(7L, 0.03);
    long w0 = windowToStartIn();
    long w1 = w0 + WINDOW_MS;
    long end = w1 + WINDOW_MS;
    try (DualExportService first =
        new DualExportService(otlpUrl(), exporterPort, service, null, false)) {
      driveWindow(traffic, List.of(first), w0);
      prometheusSays.awaitScrapedAfter(service, w0 + ACTIVE_UNTIL_MS);
    }
    long firstLife = traffic.requests();
    assertThat(System.currentTimeMillis())
        .as("the first SDK shut down in its window (the second starts in the next)")
        .isLessThan(w1 + 1_500);
    sleepUntil(w1 + 500);
    try (DualExportService second =
        new DualExportService(otlpUrl(), exporterPort, service, null, false)) {
      driveWindow(traffic, List.of(second), w1);
      prometheusSays.awaitScrapedAfter(service, end);
    }

    List<PrometheusWindows.Figures> prom =
        List.of(
            prometheusSays.rawIncrease(service, w0, w1),
            prometheusSays.rawIncrease(service, w1, end));
    PrometheusWindows.Figures span = prometheusSays.rawIncrease(service, w0, end);
    Map<Long, VigilWindows.Window> vigil = vigilWindows(service, w0, 2, span.requests());
    WindowComparison c = new WindowComparison("restart", w0, WINDOW_MS, prom, span, vigil, traffic);
    double extrapolated =
        prometheusSays.extrapolatedIncrease(service, Duration.ofMillis(end - w0), end);
    System.out.println(
        c.line()
            + String.format(
                Locale.ROOT,
                " first SDK sent %d; Prometheus' increase() over the span for contrast: %.1f",
                firstLife,
                extrapolated));

    c.assertCountsEqual();
  }

  /**
   * Two instances of one service (different {@code service.instance.id}, two Prometheus targets):
   * Vigil's one series per service equals Prometheus' sum over both — counts, and quantiles of the
   * summed buckets.
   */
  @Test
  void twoInstancesOfOneServiceAddUpAsPrometheusSumsThem() throws Exception {
    String service = "paired";
    SeededTraffic traffic = new SeededTraffic(11L, 0.03);
    int windows = 2;
    long w0 = windowToStartIn();
    long end = w0 + windows * WINDOW_MS;
    try (DualExportService one =
            new DualExportService(otlpUrl(), exporterPort, service, "paired-1", false);
        DualExportService two =
            new DualExportService(otlpUrl(), secondExporterPort, service, "paired-2", false)) {
      for (int k = 0; k < windows; k++) {
        driveWindow(traffic, List.of(one, two), w0 + k * WINDOW_MS);
      }
      prometheusSays.awaitScrapedAfter(service, end);
    }
    assertThat(prometheusSays.instances(service, end))
        .as("instances Prometheus scraped")
        .isEqualTo(2);

    WindowComparison c = compare("two instances", service, w0, windows, traffic);
    System.out.println(c.line());

    c.assertCountsEqual();
    c.assertQuantilesWithin(TOLERANCE, false);
  }

  /**
   * Delta temporality to Vigil, cumulative to Prometheus, from the same measurements: equal
   * requests and errors per window and in total. Delta points carry each interval's {@code max},
   * which caps Vigil's quantiles, so a quantile Prometheus interpolates past the true maximum may
   * be the max on Vigil's side; otherwise within 1 %.
   */
  @Test
  void deltaTemporalityToVigilCountsWhatPrometheusCountsCumulatively() throws Exception {
    String service = "delta";
    SeededTraffic traffic = new SeededTraffic(13L, 0.03);
    int windows = 2;
    long w0 = windowToStartIn();
    long end = w0 + windows * WINDOW_MS;
    try (DualExportService sdk =
        new DualExportService(otlpUrl(), exporterPort, service, null, true)) {
      for (int k = 0; k < windows; k++) {
        driveWindow(traffic, List.of(sdk), w0 + k * WINDOW_MS);
      }
      prometheusSays.awaitScrapedAfter(service, end);
    }

    WindowComparison c = compare("delta", service, w0, windows, traffic);
    System.out.println(c.line());

    c.assertCountsEqual();
    c.assertQuantilesWithin(TOLERANCE, true);
  }

  /**
   * A service that stops in the middle of an incident (half its requests failing), its SDK shut
   * down halfway through a window: the SDK's last OTLP export carries the requests since the
   * previous one, so Vigil's window — closed on the wall clock with nothing more arriving — has
   * every request and error; Prometheus keeps what its last scrape saw, up to a second less.
   */
  @Test
  void aServiceThatStopsMidIncidentIsCountedToItsLastRequest() throws Exception {
    String service = "incident";
    SeededTraffic traffic = new SeededTraffic(17L, 0.5);
    long w0 = windowToStartIn();
    long end = w0 + WINDOW_MS;
    try (DualExportService sdk =
        new DualExportService(otlpUrl(), exporterPort, service, null, false)) {
      drive(traffic, List.of(sdk), w0 + ACTIVE_FROM_MS, w0 + 5_000);
    }

    PrometheusWindows.Figures prom = prometheusSays.rawIncrease(service, w0, end);
    Map<Long, VigilWindows.Window> vigil = vigilWindows(service, w0, 1, traffic.requests());
    VigilWindows.Window v = vigil.getOrDefault(w0, VigilWindows.Window.NONE);
    String line =
        String.format(
            Locale.ROOT,
            "stops mid-incident: window %s; requests vigil=%d prometheus=%d sent=%d; errors"
                + " vigil=%d prometheus=%d sent=%d; Prometheus missed %d requests after its last"
                + " scrape",
            Instant.ofEpochMilli(w0),
            v.requests(),
            prom.requests(),
            traffic.requests(),
            v.errors(),
            prom.errors(),
            traffic.errors(),
            traffic.requests() - prom.requests());
    System.out.println(line);

    assertThat(vigil.keySet()).as(line).containsExactly(w0);
    assertThat(v.requests()).as(line).isEqualTo(traffic.requests());
    assertThat(v.errors()).as(line).isEqualTo(traffic.errors());
    assertThat(prom.requests()).as(line).isPositive().isLessThanOrEqualTo(v.requests());
  }

  /**
   * Both sides of {@code windows} windows from {@code w0}. Prometheus' figures come from its
   * samples at the boundaries, each of which must have been scraped in the quiet gap before it
   * (else the boundary would not hold exactly the windows' requests: Prometheus missed scrapes, not
   * a fault of Vigil's).
   */
  private static WindowComparison compare(
      String name, String service, long w0, int windows, SeededTraffic traffic) throws Exception {
    long end = w0 + windows * WINDOW_MS;
    List<PrometheusWindows.Figures> prom = new ArrayList<>();
    for (int k = 0; k < windows; k++) {
      long boundary = w0 + (k + 1) * WINDOW_MS;
      assertThat(prometheusSays.lastScrapeAtOrBefore(service, boundary))
          .as("Prometheus' last scrape of %s before %s", service, Instant.ofEpochMilli(boundary))
          .isGreaterThan(boundary - WINDOW_MS + ACTIVE_UNTIL_MS);
      prom.add(prometheusSays.figures(service, boundary - WINDOW_MS, boundary));
    }
    PrometheusWindows.Figures span = prometheusSays.figures(service, w0, end);
    Map<Long, VigilWindows.Window> vigil = vigilWindows(service, w0, windows, span.requests());
    return new WindowComparison(name, w0, WINDOW_MS, prom, span, vigil, traffic);
  }

  /**
   * Vigil's final windows of the service once all {@code windows} from {@code w0} are out and hold
   * {@code expected} requests — or, at the latest, 30 s after the last one should have closed.
   */
  private static Map<Long, VigilWindows.Window> vigilWindows(
      String service, long w0, int windows, long expected) {
    List<Long> starts = new ArrayList<>();
    for (int k = 0; k < windows; k++) {
      starts.add(w0 + k * WINDOW_MS);
    }
    long deadline = w0 + windows * WINDOW_MS + GRACE_MS + 30_000;
    return VigilWindows.read(kafka, service, starts, expected, deadline);
  }

  /**
   * The start of the window the next SDK starts in: the current one if it began at most 1.5 s ago
   * (the SDK then starts before the window's first requests at 2.5 s), else the next one, waited
   * for until 0.5 s into it. An SDK's first export is spread back to its start, which must lie in
   * the same window.
   */
  private static long windowToStartIn() throws InterruptedException {
    long now = System.currentTimeMillis();
    long start = now - Math.floorMod(now, WINDOW_MS);
    if (now - start > 1_500) {
      start += WINDOW_MS;
      sleepUntil(start + 500);
    }
    return start;
  }

  /** The requests of the window starting at {@code windowStart}: 2.5 s to 7.5 s into it. */
  private static void driveWindow(
      SeededTraffic traffic, List<DualExportService> services, long windowStart)
      throws InterruptedException {
    drive(traffic, services, windowStart + ACTIVE_FROM_MS, windowStart + ACTIVE_UNTIL_MS);
  }

  /** {@link #PER_TICK} requests per SDK every 10 ms from {@code fromMs} until {@code untilMs}. */
  private static void drive(
      SeededTraffic traffic, List<DualExportService> services, long fromMs, long untilMs)
      throws InterruptedException {
    sleepUntil(fromMs);
    for (long tick = fromMs; System.currentTimeMillis() < untilMs; tick += 10) {
      for (DualExportService service : services) {
        for (int i = 0; i < PER_TICK; i++) {
          service.record(traffic);
        }
      }
      sleepUntil(tick + 10);
    }
  }

  private static void sleepUntil(long epochMs) throws InterruptedException {
    long wait = epochMs - System.currentTimeMillis();
    if (wait > 0) {
      TimeUnit.MILLISECONDS.sleep(wait); // pacing the workload on the wall clock
    }
  }

  private static String otlpUrl() {
    return "http://127.0.0.1:" + collector.otlpHttpPort() + "/v1/metrics";
  }

  private static <T> T load(String yaml, Class<T> type) {
    return ConfigLoader.load(yaml, Map.of(), type);
  }
}
