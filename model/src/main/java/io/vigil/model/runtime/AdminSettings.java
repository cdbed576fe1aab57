package io.vigil.model.runtime;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;

/**
 * Where a service's admin endpoint ({@code /metrics}, {@code /healthz}, {@code /readyz}) listens.
 *
 * @param host bind address; default {@code 0.0.0.0}
 * @param port bind port; null means the service's default (8888, 8889, 8890); 0 picks a free one
 */
public record AdminSettings(@JsonProperty("host") String host, @JsonProperty("port") Integer port) {

  /** Applies the host default and checks the port range. */
  public AdminSettings {
    if (host == null || host.isBlank()) {
      host = "0.0.0.0";
    }
    if (port != null && (port < 0 || port > 65535)) {
      throw new ConfigException("admin.port", port, "must be in 0..65535");
    }
  }

  /** The configured port, or {@code serviceDefault} when none was given. */
  public int portOr(int serviceDefault) {
    return port == null ? serviceDefault : port;
  }

  /** Defaults: all interfaces, the service's default port. */
  public static AdminSettings defaults() {
    return new AdminSettings(null, null);
  }
}
