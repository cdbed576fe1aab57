package io.vigil.model.tls;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Counts the certificate reloads a service refused ({@code
 * vigil_<service>_tls_reload_failures_total{server, reason}}): the files changed but did not make a
 * usable certificate and key (or client CA bundle), so the server kept what it served. One per
 * service and registry, shared by all of the service's TLS servers.
 */
public final class TlsReloadFailures {
  /** The file could not be read (missing, no permission). */
  public static final String UNREADABLE = "unreadable";

  /** The file is not PEM, or holds no certificate or key (e.g. half written). */
  public static final String INVALID = "invalid";

  /** The key does not belong to the certificate (one file of the pair replaced, not the other). */
  public static final String KEY_MISMATCH = "key_mismatch";

  private final Counter counter;

  private TlsReloadFailures(Counter counter) {
    this.counter = counter;
  }

  /** Registers {@code vigil_<service>_tls_reload_failures_total} in {@code registry}. */
  public static TlsReloadFailures register(String service, PrometheusRegistry registry) {
    return new TlsReloadFailures(
        Counter.builder()
            .name("vigil_" + service + "_tls_reload_failures_total")
            .help(
                "Changed TLS certificate, key or client CA files that were not taken (the server"
                    + " keeps what it served), by server and reason (unreadable, invalid,"
                    + " key_mismatch)")
            .labelNames("server", "reason")
            .register(registry));
  }

  void count(String server, String reason) {
    counter.labelValues(server, reason).inc();
  }
}
