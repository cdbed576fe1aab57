package io.vigil.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.systemtests.Stack.Service;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 6's fault scenarios, each with every part in its own process (see {@link Stack}). Each ends
 * with acknowledged = counted (final windows closed by the wall clock, no waiting for traffic), the
 * page delivered to Slack and email exactly once, and prints one line of figures. The phases of a
 * scenario (load for 10 s, an outage of 30 s) are its script, not synchronisation: every wait for a
 * result polls it with a deadline.
 */
class FaultScenariosIT {
  private static final String ALERT = "HighErrorRatio";
  private static final String FAILING = "svc-failing";
  private static final List<OtlpLoad.Service> SERVICES =
      List.of(
          new OtlpLoad.Service("svc-orders", 0),
          new OtlpLoad.Service("svc-payments", 0),
          new OtlpLoad.Service("svc-catalog", 0),
          new OtlpLoad.Service(FAILING, 0.5));
  private static final Duration COUNT_LIMIT = Duration.ofSeconds(120);
  private static final Duration SETTLE = Duration.ofSeconds(5);

  private Stack stack;

  @AfterEach
  void stopEverything() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void scenario1BaselineUnderSteadyLoad() throws Exception {
    boot("1-baseline");
    OtlpLoad load = OtlpLoad.start(stack.otlpHttp(), SERVICES);
    phase(Duration.ofSeconds(15));
    load.finish(Duration.ofSeconds(60));

    assertAccounted("1 baseline, 15 s", load, "");
  }

  @Test
  void scenario2ProcessorKilledAndRestarted() throws Exception {
    boot("2-processor-kill");
    OtlpLoad load = OtlpLoad.start(stack.otlpHttp(), SERVICES);
    phase(Duration.ofSeconds(10));
    stack.process(Service.PROCESSOR).kill9();
    phase(Duration.ofSeconds(20));
    stack.start(Service.PROCESSOR);
    phase(Duration.ofSeconds(10));
    load.finish(Duration.ofSeconds(60));

    assertAccounted("2 processor kill -9, back after 20 s", load, "");
  }

  @Test
  void scenario4CollectorKilledWhileTailingLogsAndReceivingOtlp() throws Exception {
    boot("4-collector-kill");
    AppLog app = AppLog.start(stack.podLogs().resolve("shop_app-1_uid-1/app/0.log"));
    OtlpLoad load = OtlpLoad.start(stack.otlpHttp(), SERVICES);
    phase(Duration.ofSeconds(10));
    stack.process(Service.COLLECTOR).kill9();
    phase(Duration.ofSeconds(10));
    stack.start(Service.COLLECTOR);
    phase(Duration.ofSeconds(10));
    load.finish(Duration.ofSeconds(60));
    int written = app.stop();

    Map<String, Integer> lines = Map.of();
    long deadline = System.nanoTime() + COUNT_LIMIT.toNanos();
    while (lines.size() < written && System.nanoTime() < deadline) {
      lines = Outcome.logLines(stack.bootstrapServers());
    }
    long twice = lines.values().stream().filter(n -> n > 1).count();
    assertAccounted(
        "4 collector kill -9 for 10 s",
        load,
        String.format(
            "; log lines written %,d, in Kafka %,d, twice %d", written, lines.size(), twice));
    assertThat(lines).as("distinct log lines in otlp_logs").hasSize(written);
    assertThat(twice).as("log lines in otlp_logs more than once").isZero();
  }

  @Test
  void scenario5BrokerStoppedThenKilled() throws Exception {
    boot("5-broker-outage");
    OtlpLoad load = OtlpLoad.start(stack.otlpHttp(), SERVICES);
    phase(Duration.ofSeconds(10));
    stack.broker().sigterm(Stack.STOP_TIMEOUT);
    phase(Duration.ofSeconds(30));
    stack.startBroker();
    phase(Duration.ofSeconds(10));
    stack.broker().kill9();
    phase(Duration.ofSeconds(30));
    stack.startBroker();
    phase(Duration.ofSeconds(10));
    load.finish(Duration.ofSeconds(90));

    for (Service service : Service.values()) {
      assertThat(stack.process(service).isAlive()).as("%s survived", service).isTrue();
    }
    assertAccounted("5 broker SIGTERM 30 s, later kill -9 30 s", load, "");
  }

  @Test
  void scenario10SmtpDown() throws Exception {
    boot("10-smtp-down");
    stack.stopSmtp();
    OtlpLoad load = OtlpLoad.start(stack.otlpHttp(), SERVICES);
    long deadline = System.nanoTime() + COUNT_LIMIT.toNanos();
    while (Outcome.slackFirings(stack.slack().posts(), ALERT, FAILING) == 0) {
      assertThat(System.nanoTime()).as("Slack paged while SMTP is down").isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(100); // polling the sink, with a deadline
    }
    phase(Duration.ofSeconds(20));
    stack.startSmtp();
    load.finish(Duration.ofSeconds(60));

    assertAccounted("10 SMTP down for the first page", load, "");
  }

  /** Starts the broker and the three services in {@code target/system-tests/<name>}. */
  private void boot(String name) throws IOException {
    Path dir = Path.of("target", "system-tests", name);
    deleteRecursively(dir);
    stack = Stack.in(dir);
    stack.startBroker().start(List.of(Service.COLLECTOR, Service.PROCESSOR, Service.ALERTING));
  }

  /**
   * The scenario's common ending: requests counted in the final windows equal those acknowledged,
   * per service; the failing service paged once on Slack and once by email, nobody else.
   */
  private void assertAccounted(String scenario, OtlpLoad load, String more) throws Exception {
    Map<String, Long> acknowledged = load.acknowledged();
    Map<String, Long> counted =
        Outcome.finalRequests(stack.bootstrapServers(), acknowledged, COUNT_LIMIT, SETTLE);
    long ack = acknowledged.values().stream().mapToLong(Long::longValue).sum();
    long got = counted.values().stream().mapToLong(Long::longValue).sum();
    long emails = awaitEmail();
    long slack = Outcome.slackFirings(stack.slack().posts(), ALERT, FAILING);
    System.out.printf(
        "scenario %s: acknowledged %,d, counted %,d, lost %,d, extra %,d; export requests %,d,"
            + " not acknowledged %,d; Slack pages %d, emails %d%s%n",
        scenario,
        ack,
        got,
        Math.max(0, ack - got),
        Math.max(0, got - ack),
        load.requests(),
        load.refused(),
        slack,
        emails,
        more);

    assertThat(counted).as("requests in the final windows, per service").isEqualTo(acknowledged);
    assertThat(slack).as("Slack pages for %s", FAILING).isEqualTo(1);
    assertThat(emails).as("emails for %s", FAILING).isEqualTo(1);
    for (OtlpLoad.Service healthy : SERVICES) {
      if (!healthy.name().equals(FAILING)) {
        assertThat(Outcome.slackFirings(stack.slack().posts(), ALERT, healthy.name()))
            .as("pages for the healthy %s", healthy.name())
            .isZero();
      }
    }
  }

  /**
   * Emails for the failing service, once {@link #SETTLE} has passed since the first one was
   * received (a second would have to show by then), or once the limit passed with none. The first
   * usually came during the load, so the quiet period has passed while the final windows were
   * awaited.
   */
  private long awaitEmail() throws InterruptedException {
    long deadline = System.nanoTime() + COUNT_LIMIT.toNanos();
    Optional<Instant> first = Outcome.firstEmailFiring(stack.smtp().messages(), ALERT, FAILING);
    while (first.isEmpty() && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(100); // polling the sink, with a deadline
      first = Outcome.firstEmailFiring(stack.smtp().messages(), ALERT, FAILING);
    }
    if (first.isPresent()) {
      long quiet = Duration.between(Instant.now(), first.get().plus(SETTLE)).toNanos();
      TimeUnit.NANOSECONDS.sleep(Math.max(0, quiet)); // a second email would have to show by then
    }
    return Outcome.emailFirings(stack.smtp().messages(), ALERT, FAILING);
  }

  /** A scripted phase of the scenario: the load runs on while the clock moves on. */
  private static void phase(Duration length) throws InterruptedException {
    TimeUnit.NANOSECONDS.sleep(length.toNanos());
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** An application writing a CRI container log: ten lines every 10 ms, until stopped. */
  private static final class AppLog {
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicInteger written = new AtomicInteger();
    private final CompletableFuture<Void> writer;

    private AppLog(Path file) {
      writer = CompletableFuture.runAsync(() -> write(file));
    }

    static AppLog start(Path file) throws IOException {
      Files.createDirectories(file.getParent());
      return new AppLog(file);
    }

    private void write(Path file) {
      try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        int n = 0;
        while (!stop.await(10, TimeUnit.MILLISECONDS)) { // the application's pace
          for (int i = 0; i < 10; i++, n++) {
            out.write("2024-05-01T10:00:00.000000000Z stdout F line " + n + "\n");
          }
          out.flush();
          written.set(n);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Stops writing; returns how many lines were written. */
    int stop() throws Exception {
      stop.countDown();
      writer.get(30, TimeUnit.SECONDS);
      return written.get();
    }
  }
}
