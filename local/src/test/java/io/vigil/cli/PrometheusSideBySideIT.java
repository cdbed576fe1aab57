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
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * <p><b>One run carries every scenario.</b> The stack (broker, collector, processor, Prometheus) is
 * shared, and each scenario is a service of its own — its own series on both sides, its own
 * Prometheus target(s) — so the scenarios send at the same time, over the same windows, from {@link
 * #startStackAndSend} on; each test waits for its scenario's traffic and then compares. The run
 * takes as long as the longest scenario (four windows) rather than all of them in turn.
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

  /** Prometheus targets: one per SDK that can be alive at a time (two for the paired service). */
  private static final int EXPORTERS = 6;

  private static EmbeddedKafka kafka;
  private static CollectorService collector;
  private static ProcessorService processor;
  private static LocalPrometheus prometheus;
  private static PrometheusWindows prometheusSays;

  /** One thread per scenario, each sending its service's traffic. */
  private static ExecutorService senders;

  private static Future<Scenario> steady;
  private static Future<Restart> restarted;
  private static Future<Scenario> paired;
  private static Future<Scenario> delta;
  private static Future<Scenario> incident;

  /**
   * One scenario: a service whose instances export to Prometheus on {@code ports} (one each), the
   * traffic they share, and the windows {@code [w0 + k × 10 s, w0 + (k + 1) × 10 s)}, {@code k <
   * windows}, it sends in.
   */
  private record Scenario(
      String service, List<Integer> ports, SeededTraffic traffic, long w0, int windows) {
    long window(int k) {
      return w0 + k * WINDOW_MS;
    }

    long end() {
      return window(windows);
    }

    /**
     * A new SDK of the service exporting to Prometheus on {@code ports[instance]}; with more than
     * one port, {@code service.instance.id} tells the instances apart.
     */
    DualExportService sdk(int instance, boolean delta) {
      String instanceId = ports.size() == 1 ? null : service + "-" + (instance + 1);
      return new DualExportService(otlpUrl(), ports.get(instance), service, instanceId, delta);
    }
  }

  /**
   * The restart scenario, how many requests its first SDK sent before it shut down, and when (epoch
   * ms) between the two lives.
   */
  private record Restart(Scenario scenario, long firstLife, long restartMs) {}

  @BeforeAll
  static void startStackAndSend(EmbeddedKafka broker, @TempDir Path dir) throws Exception {
    assumeTrue(LocalPrometheus.installed(), "prometheus not installed");
    kafka = broker;
    Deque<Integer> ports = freePorts(EXPORTERS);
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
            dir.resolve("prometheus"), ports.stream().map(port -> "127.0.0.1:" + port).toList());
    prometheusSays = new PrometheusWindows(prometheus);
    // The services start after the processor, whose state begins when it first runs: their
    // first points are then counted in full.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!processor.isRunning()) {
      assertThat(System.nanoTime()).as("processor running within 60 s").isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(100); // polling with a deadline
    }

    long w0 = windowToStartIn();
    senders = Executors.newFixedThreadPool(5);
    Scenario main = scenario("side-by-side", ports, 1, 20_240_611L, 0.03, w0, 4);
    steady = senders.submit(() -> sendInEveryWindow(main, false));
    Scenario restart = scenario("restarted", ports, 1, 7L, 0.03, w0, 2);
    restarted = senders.submit(() -> restartAfterTheFirstWindow(restart));
    Scenario two = scenario("paired", ports, 2, 11L, 0.03, w0, 2);
    paired = senders.submit(() -> sendInEveryWindow(two, false));
    Scenario deltas = scenario("delta", ports, 1, 13L, 0.03, w0, 2);
    delta = senders.submit(() -> sendInEveryWindow(deltas, true));
    Scenario stopping = scenario("incident", ports, 1, 17L, 0.5, w0, 1);
    incident = senders.submit(() -> stopHalfwayThroughTheWindow(stopping));
  }

  @AfterAll
  static void stopStack() throws InterruptedException {
    if (senders != null) {
      senders.shutdownNow(); // a sender still running only when a test gave up on it
      senders.awaitTermination(30, TimeUnit.SECONDS);
    }
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
    Scenario s = sent(steady);
    WindowComparison c = compare("main", s);
    System.out.println(c.line() + "; " + extrapolatedForContrast(s));

    c.assertCountsEqual();
    c.assertQuantilesWithin(TOLERANCE, false);
  }

  /**
   * A restart: the service's SDK shuts down after one window and a new one (new start time,
   * counters from zero, the same labels on Prometheus' side) serves the next. Prometheus sees a
   * counter reset, Vigil a new stream. Prometheus' counts come from the raw samples, told when the
   * restart was: a reset read from a drop alone misses a series whose new life was first scraped at
   * or above its old value (CI once read 6 of 31 errors away so). Requests and errors equal per
   * window and in total.
   */
  @Test
  void anSdkRestartResetsTheCountersAndTheTotalsStillAgree() throws Exception {
    Restart restart = sent(restarted);
    Scenario s = restart.scenario();
    List<PrometheusWindows.Figures> prom = new ArrayList<>();
    for (int k = 0; k < s.windows(); k++) {
      prom.add(
          prometheusSays.rawIncrease(
              s.service(), s.window(k), s.window(k + 1), restart.restartMs()));
    }
    PrometheusWindows.Figures span =
        prometheusSays.rawIncrease(s.service(), s.w0(), s.end(), restart.restartMs());
    WindowComparison c =
        new WindowComparison(
            "restart",
            s.w0(),
            WINDOW_MS,
            prom,
            span,
            vigilWindows(s, span.requests()),
            s.traffic());
    System.out.println(
        c.line()
            + String.format(Locale.ROOT, " first SDK sent %d; ", restart.firstLife())
            + extrapolatedForContrast(s));

    c.assertCountsEqual();
  }

  /**
   * Two instances of one service (different {@code service.instance.id}, two Prometheus targets):
   * Vigil's one series per service equals Prometheus' sum over both — counts, and quantiles of the
   * summed buckets.
   */
  @Test
  void twoInstancesOfOneServiceAddUpAsPrometheusSumsThem() throws Exception {
    Scenario s = sent(paired);
    assertThat(prometheusSays.instances(s.service(), s.end()))
        .as("instances Prometheus scraped")
        .isEqualTo(2);

    WindowComparison c = compare("two instances", s);
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
    WindowComparison c = compare("delta", sent(delta));
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
    Scenario s = sent(incident);
    SeededTraffic traffic = s.traffic();
    PrometheusWindows.Figures prom = prometheusSays.rawIncrease(s.service(), s.w0(), s.end());
    Map<Long, VigilWindows.Window> vigil = vigilWindows(s, traffic.requests());
    VigilWindows.Window v = vigil.getOrDefault(s.w0(), VigilWindows.Window.NONE);
    String line =
        String.format(
            Locale.ROOT,
            "stops mid-incident: window %s; requests vigil=%d prometheus=%d sent=%d; errors"
                + " vigil=%d prometheus=%d sent=%d; Prometheus missed %d requests after its last"
                + " scrape",
            Instant.ofEpochMilli(s.w0()),
            v.requests(),
            prom.requests(),
            traffic.requests(),
            v.errors(),
            prom.errors(),
            traffic.errors(),
            traffic.requests() - prom.requests());
    System.out.println(line);

    assertThat(vigil.keySet()).as(line).containsExactly(s.w0());
    assertThat(v.requests()).as(line).isEqualTo(traffic.requests());
    assertThat(v.errors()).as(line).isEqualTo(traffic.errors());
    assertThat(prom.requests()).as(line).isPositive().isLessThanOrEqualTo(v.requests());
  }

  // The scenarios' traffic, each sent on a thread of its own from startStackAndSend.

  /**
   * One SDK per port sending in each of the scenario's windows, shut down once Prometheus has
   * scraped them after the last.
   */
  private static Scenario sendInEveryWindow(Scenario s, boolean delta) throws Exception {
    List<DualExportService> sdks = new ArrayList<>();
    try {
      for (int i = 0; i < s.ports().size(); i++) {
        sdks.add(s.sdk(i, delta));
      }
      for (int k = 0; k < s.windows(); k++) {
        driveWindow(s.traffic(), sdks, s.window(k));
      }
      prometheusSays.awaitScrapedAfter(s.service(), s.end());
    } finally {
      sdks.forEach(DualExportService::close);
    }
    return s;
  }

  /**
   * One SDK sends in the first window and shuts down once scraped, still in that window; a second
   * SDK on the same port (the same labels on Prometheus' side) starts 0.5 s into the second window
   * and sends in it.
   */
  private static Restart restartAfterTheFirstWindow(Scenario s) throws Exception {
    try (DualExportService first = s.sdk(0, false)) {
      driveWindow(s.traffic(), List.of(first), s.w0());
      prometheusSays.awaitScrapedAfter(s.service(), s.w0() + ACTIVE_UNTIL_MS);
    }
    long firstLife = s.traffic().requests();
    long restartMs = System.currentTimeMillis();
    assertThat(restartMs)
        .as("the first SDK shut down in its window (the second starts in the next)")
        .isLessThan(s.window(1) + 1_500);
    sleepUntil(s.window(1) + 500);
    try (DualExportService second = s.sdk(0, false)) {
      driveWindow(s.traffic(), List.of(second), s.window(1));
      prometheusSays.awaitScrapedAfter(s.service(), s.end());
    }
    return new Restart(s, firstLife, restartMs);
  }

  /**
   * One SDK sends from 2.5 s into the window and shuts down at 5 s, halfway through it — or later,
   * once Prometheus has scraped it at least once (on a loaded machine its 1 s scrapes can all miss
   * the 2.5 s of traffic, and there would be nothing to contrast).
   */
  private static Scenario stopHalfwayThroughTheWindow(Scenario s) throws Exception {
    try (DualExportService sdk = s.sdk(0, false)) {
      drive(s.traffic(), List.of(sdk), s.w0() + ACTIVE_FROM_MS, s.w0() + 5_000);
      prometheusSays.awaitScrapedAfter(s.service(), s.w0() + ACTIVE_FROM_MS);
    }
    return s;
  }

  // Comparing.

  /**
   * Both sides of the scenario's windows. Prometheus' figures come from its samples at the
   * boundaries, each of which must have been scraped in the quiet gap before it (else the boundary
   * would not hold exactly the windows' requests: Prometheus missed scrapes, not a fault of
   * Vigil's).
   */
  private static WindowComparison compare(String name, Scenario s) throws Exception {
    List<PrometheusWindows.Figures> prom = new ArrayList<>();
    for (int k = 0; k < s.windows(); k++) {
      long boundary = s.window(k + 1);
      assertThat(prometheusSays.lastScrapeAtOrBefore(s.service(), boundary))
          .as(
              "Prometheus' last scrape of %s before %s",
              s.service(), Instant.ofEpochMilli(boundary))
          .isGreaterThan(boundary - WINDOW_MS + ACTIVE_UNTIL_MS);
      prom.add(prometheusSays.figures(s.service(), s.window(k), boundary));
    }
    PrometheusWindows.Figures span = prometheusSays.figures(s.service(), s.w0(), s.end());
    return new WindowComparison(
        name, s.w0(), WINDOW_MS, prom, span, vigilWindows(s, span.requests()), s.traffic());
  }

  /**
   * Vigil's final windows of the scenario's service once all its windows are out and hold {@code
   * expected} requests — or, at the latest, 30 s after the last one should have closed or after the
   * reading starts, whichever is later (a test may come to read long after its windows closed,
   * while the other scenarios' tests ran).
   */
  private static Map<Long, VigilWindows.Window> vigilWindows(Scenario s, long expected) {
    List<Long> starts = new ArrayList<>();
    for (int k = 0; k < s.windows(); k++) {
      starts.add(s.window(k));
    }
    long closed = Math.max(s.end() + GRACE_MS, System.currentTimeMillis());
    return VigilWindows.read(kafka, s.service(), starts, expected, closed + 30_000);
  }

  /** Prometheus' own {@code increase()} over the scenario's span, for contrast. */
  private static String extrapolatedForContrast(Scenario s) throws Exception {
    double extrapolated =
        prometheusSays.extrapolatedIncrease(
            s.service(), Duration.ofMillis(s.end() - s.w0()), s.end());
    return String.format(
        Locale.ROOT, "Prometheus' increase() over the span for contrast: %.1f", extrapolated);
  }

  // Setting up and pacing.

  /**
   * A scenario of {@code service} with {@code instances} Prometheus ports taken from {@code ports},
   * traffic drawn from {@code seed} with {@code errorShare} failing, over {@code windows} windows
   * from {@code w0}.
   */
  private static Scenario scenario(
      String service,
      Deque<Integer> ports,
      int instances,
      long seed,
      double errorShare,
      long w0,
      int windows) {
    List<Integer> own = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      own.add(ports.pop());
    }
    return new Scenario(service, own, new SeededTraffic(seed, errorShare), w0, windows);
  }

  /** What a scenario sent, once it has (at most 3 minutes); its failure if it failed. */
  private static <T> T sent(Future<T> scenario) throws Exception {
    try {
      return scenario.get(3, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw (Error) e.getCause();
    }
  }

  /**
   * The start of the window the SDKs start in: the current one if it began at most 1.5 s ago (the
   * SDKs then start before the window's first requests at 2.5 s), else the next one, waited for
   * until 0.5 s into it. An SDK's first export is spread back to its start, which must lie in the
   * same window.
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

  /** {@code count} distinct free ports on 127.0.0.1 (all held open at once while chosen). */
  private static Deque<Integer> freePorts(int count) throws Exception {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      Deque<Integer> ports = new ArrayDeque<>();
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(socket);
        ports.add(socket.getLocalPort());
      }
      return ports;
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  private static String otlpUrl() {
    return "http://127.0.0.1:" + collector.otlpHttpPort() + "/v1/metrics";
  }

  private static <T> T load(String yaml, Class<T> type) {
    return ConfigLoader.load(yaml, Map.of(), type);
  }
}
