package io.vigil.model.kafka;

import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Kafka answers, asked again every {@link #INTERVAL} with {@code describeCluster}: every
 * service's readiness check {@code kafka} (a Kafka Streams application stays {@code RUNNING}
 * through a broker outage, retrying, so its state alone would say ready while nothing moves), and
 * what the collector's receivers consult to refuse at once (503) instead of letting a sender wait
 * for a timeout while the broker is gone. Turns red within {@code INTERVAL + TIMEOUT} of losing
 * Kafka and green by itself at the first answer after it returns; nothing else (no send's outcome)
 * changes it.
 */
public final class KafkaProbe implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaProbe.class);

  /** How often Kafka is asked. */
  public static final Duration INTERVAL = Duration.ofSeconds(1);

  /** How long one question may take before Kafka counts as unreachable. */
  public static final Duration TIMEOUT = Duration.ofSeconds(2);

  private final Admin admin;
  private final ScheduledExecutorService timer;
  private final Gauge up;
  private volatile boolean reachable;
  private volatile String lastError = "not asked yet";

  private final List<Runnable> whenLost = new CopyOnWriteArrayList<>();

  private KafkaProbe(
      Admin admin, ScheduledExecutorService timer, String service, PrometheusRegistry registry) {
    this.admin = admin;
    this.timer = timer;
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
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "vigil-" + service + "-kafka-probe");
              t.setDaemon(true);
              return t;
            });
    KafkaProbe probe = new KafkaProbe(admin, timer, service, registry);
    probe.ask();
    timer.scheduleWithFixedDelay(
        probe::ask, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    return probe;
  }

  private void ask() {
    boolean was = reachable;
    try {
      admin
          .describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis()))
          .nodes()
          .get(TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
      reachable = true;
      if (!was) {
        LOG.info("Kafka is reachable");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      lastError = cause.getClass().getSimpleName() + ": " + cause.getMessage();
      reachable = false;
      if (was) {
        LOG.warn("Kafka is unreachable: {}", lastError);
        for (Runnable listener : whenLost) {
          listener.run();
        }
      }
    }
    up.set(reachable ? 1 : 0);
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
    admin.close(Duration.ofSeconds(1));
  }
}
