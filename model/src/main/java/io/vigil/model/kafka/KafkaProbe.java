package io.vigil.model.kafka;

import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Kafka answers, asked again every {@link #INTERVAL} with {@code describeCluster}: every
 * service's readiness check {@code kafka} (a Kafka Streams application stays {@code RUNNING}
 * through a broker outage, retrying, so its state alone would say ready while nothing moves), and
 * what the collector's receivers consult to refuse at once (503) instead of letting a sender wait
 * for a timeout while the broker is gone. Turns red within {@code INTERVAL + TIMEOUT} of losing
 * Kafka and green by itself at the first answer after it returns; no send's outcome changes it.
 *
 * <p>Sooner when a client waits ({@link #watchWaits}): while a send has waited {@link
 * #SUSPICIOUS_WAIT}, the brokers (the bootstrap servers and those the last answer named) are tried
 * with a bare TCP connection every {@link #SUSPICION_INTERVAL}, and when every one refuses it
 * (nothing listens there: the broker is gone, not slow) Kafka counts as lost at once. A broker that
 * takes connections but answers slowly is left to the question's timeout, so a loaded broker is
 * never taken for a lost one.
 */
public final class KafkaProbe implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaProbe.class);

  /** How often Kafka is asked. */
  public static final Duration INTERVAL = Duration.ofSeconds(1);

  /** How long one question may take before Kafka counts as unreachable. */
  public static final Duration TIMEOUT = Duration.ofSeconds(2);

  /** How long a send may wait before the brokers' ports are tried at once. */
  public static final Duration SUSPICIOUS_WAIT = Duration.ofMillis(500);

  /** How often they are tried while a send waits that long. */
  public static final Duration SUSPICION_INTERVAL = Duration.ofMillis(250);

  private static final int CONNECT_TIMEOUT_MS = 500;

  private final Admin admin;
  private final ScheduledExecutorService timer;
  private final Gauge up;
  private volatile boolean reachable;
  private volatile String lastError = "not asked yet";

  private final List<Runnable> whenLost = new CopyOnWriteArrayList<>();
  private final List<String> bootstrapServers;
  private final String service;
  private final AtomicLong suspicionChecks = new AtomicLong();
  private final List<LongSupplier> waits = new CopyOnWriteArrayList<>();
  private volatile ScheduledExecutorService watcher;

  /** The brokers the last answer named, as {@code host:port}. */
  private volatile List<String> brokers = List.of();

  /** When Kafka was last found lost ({@link System#nanoTime()}). */
  private volatile long lostAt = System.nanoTime();

  private KafkaProbe(
      Admin admin,
      ScheduledExecutorService timer,
      String service,
      List<String> bootstrapServers,
      PrometheusRegistry registry) {
    this.admin = admin;
    this.timer = timer;
    this.service = service;
    this.bootstrapServers = bootstrapServers;
    this.up =
        Gauge.builder()
            .name("vigil_" + service + "_kafka_up")
            .help("1 while the " + service + "'s last describeCluster call to Kafka succeeded")
            .register(registry);
  }

  /**
   * Asks Kafka once (waiting for the answer), then every {@link #INTERVAL} in the background, for
   * {@code service} ({@code collector}, {@code processor}, {@code alerting}: the gauge is {@code
   * vigil_<service>_kafka_up}). The user's {@code kafka.overrides} apply to its admin client too
   * (security settings).
   */
  public static KafkaProbe start(String service, KafkaSettings kafka, PrometheusRegistry registry) {
    Admin admin =
        Admin.create(
            kafka.admin(
                Map.of(
                    AdminClientConfig.CLIENT_ID_CONFIG,
                    "vigil-" + service + "-probe",
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                    (int) TIMEOUT.toMillis(),
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                    (int) TIMEOUT.toMillis(),
                    // Reconnect quickly: readiness should turn green soon after Kafka is back.
                    AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG,
                    500)));
    ScheduledExecutorService timer = daemonTimer("vigil-" + service + "-kafka-probe");
    KafkaProbe probe =
        new KafkaProbe(
            admin, timer, service, List.of(kafka.bootstrapServers().split("\\s*,\\s*")), registry);
    probe.ask();
    timer.scheduleWithFixedDelay(
        probe::ask, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    return probe;
  }

  /** One daemon thread named {@code name} for scheduled tasks: it never holds the JVM up. */
  private static ScheduledExecutorService daemonTimer(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  private void ask() {
    boolean was = reachable;
    long askedAt = System.nanoTime();
    try {
      Collection<Node> nodes =
          admin
              .describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis()))
              .nodes()
              .get(TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
      List<String> addresses = new ArrayList<>();
      nodes.forEach(n -> addresses.add(n.host() + ":" + n.port()));
      brokers = List.copyOf(addresses);
      if (lostAt - askedAt > 0) {
        return; // found gone while this answer was on its way: the next question decides
      }
      reachable = true;
      if (!was) {
        LOG.info("Kafka is reachable");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      lost(cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }
    up.set(reachable ? 1 : 0);
  }

  /** Kafka counts as unreachable for {@code error}; who waits for it is told, once. */
  private synchronized void lost(String error) {
    lastError = error;
    lostAt = System.nanoTime();
    boolean was = reachable;
    reachable = false;
    up.set(0);
    if (was) {
      LOG.warn("Kafka is unreachable: {}", error);
      for (Runnable listener : whenLost) {
        listener.run();
      }
    }
  }

  /**
   * From now on, while {@code oldestWait} (how long the oldest send still waiting for Kafka has
   * waited, in nanoseconds; 0 for none; the longest of all given) is at least {@link
   * #SUSPICIOUS_WAIT}, tries the brokers every {@link #SUSPICION_INTERVAL}: Kafka is lost at once
   * when every one refuses the connection. On a thread of its own, so a question waiting for its
   * timeout does not hold it up.
   */
  public synchronized void watchWaits(LongSupplier oldestWait) {
    waits.add(oldestWait);
    if (watcher != null) {
      return;
    }
    watcher = daemonTimer("vigil-" + service + "-kafka-suspicion");
    long every = SUSPICION_INTERVAL.toMillis();
    watcher.scheduleWithFixedDelay(
        () -> {
          if (reachable && longestWait() >= SUSPICIOUS_WAIT.toNanos()) {
            suspicionChecks.incrementAndGet();
            checkListening();
          }
        },
        every,
        every,
        TimeUnit.MILLISECONDS);
  }

  private long longestWait() {
    long longest = 0;
    for (LongSupplier wait : waits) {
      longest = Math.max(longest, wait.getAsLong());
    }
    return longest;
  }

  /** How many times the brokers' ports were tried because a send waited (for tests). */
  public long suspicionChecks() {
    return suspicionChecks.get();
  }

  /**
   * Loses Kafka when every broker it knows of (the bootstrap servers and the brokers the last
   * answer named) refuses a TCP connection; otherwise does nothing.
   */
  private void checkListening() {
    Set<String> servers = new LinkedHashSet<>(bootstrapServers);
    servers.addAll(brokers);
    for (String server : servers) {
      String host = Utils.getHost(server);
      Integer port = Utils.getPort(server);
      if (host == null || port == null) {
        return; // not host:port: nothing to conclude
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
        return; // something listens: maybe slow, not gone
      } catch (ConnectException refused) {
        // nothing listens there; try the next one
      } catch (IOException | RuntimeException e) {
        return; // a timeout, an unknown host: not proof that Kafka is gone
      }
    }
    lost("every broker refused the connection (" + String.join(", ", servers) + ")");
  }

  /**
   * Runs {@code listener} (on the probe's thread) each time Kafka turns unreachable: who waits for
   * Kafka can stop waiting then.
   */
  public void whenLost(Runnable listener) {
    whenLost.add(listener);
  }

  /** Whether Kafka answered the last question. */
  public boolean isReachable() {
    return reachable;
  }

  /** Why Kafka counts as unreachable (the last failure), for error messages. */
  public String lastError() {
    return lastError;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    if (watcher != null) {
      watcher.shutdownNow();
    }
    admin.close(Duration.ofSeconds(1));
  }
}
