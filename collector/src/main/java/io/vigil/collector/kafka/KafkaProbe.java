package io.vigil.collector.kafka;

import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.kafka.KafkaSettings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Kafka answers, asked again every {@code interval} with {@code describeCluster}: the
 * collector's readiness check {@code kafka}, and what receivers consult to refuse at once (503)
 * instead of letting a sender wait for a timeout while the broker is gone. Turns red within {@code
 * interval + timeout} of losing Kafka and green by itself at the first answer after it returns;
 * nothing else (no send's outcome) changes it.
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

  private KafkaProbe(Admin admin, ScheduledExecutorService timer, PrometheusRegistry registry) {
    this.admin = admin;
    this.timer = timer;
    this.up =
        Gauge.builder()
            .name("vigil_collector_kafka_up")
            .help("1 while the collector's last describeCluster call to Kafka succeeded")
            .register(registry);
  }

  /**
   * Asks Kafka once (waiting for the answer), then every {@link #INTERVAL} in the background. The
   * user's {@code kafka.overrides} apply to its admin client too (security settings).
   */
  public static KafkaProbe start(KafkaSettings kafka, PrometheusRegistry registry) {
    Admin admin =
        Admin.create(
            kafka.admin(
                Map.of(
                    AdminClientConfig.CLIENT_ID_CONFIG,
                    "vigil-collector-probe",
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
              Thread t = new Thread(r, "vigil-collector-kafka-probe");
              t.setDaemon(true);
              return t;
            });
    KafkaProbe probe = new KafkaProbe(admin, timer, registry);
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
      }
    }
    up.set(reachable ? 1 : 0);
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
