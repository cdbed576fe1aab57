package io.vigil.model.runtime;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;

/**
 * Where a service's admin endpoint ({@code /metrics}, {@code /healthz}, {@code /readyz}) listens.
 *
 * @param host bind address; default {@code 0.0.0.0}
 * @param port bind port; null means the service's default (8888, 8889, 8890); 0 picks a free one
 * @param advertisedAddress {@code host:port} where the service's other instances reach this one's
 *     admin endpoint (the processor asks its peers for their part of {@code /api/signals}); null:
 *     {@code host} and the bound port when {@code host} is an address of its own, else this
 *     machine's address (a pod's IP)
 */
public record AdminSettings(
    @JsonProperty("host") String host,
    @JsonProperty("port") Integer port,
    @JsonProperty("advertised_address") String advertisedAddress) {

  /** Applies the host default and checks the port range and the advertised address. */
  public AdminSettings {
    if (host == null || host.isBlank()) {
      host = "0.0.0.0";
    }
    if (port != null && (port < 0 || port > 65535)) {
      throw new ConfigException("admin.port", port, "must be in 0..65535");
    }
    if (advertisedAddress != null) {
      int colon = advertisedAddress.lastIndexOf(':');
      int advertisedPort = -1;
      try {
        advertisedPort = colon > 0 ? Integer.parseInt(advertisedAddress.substring(colon + 1)) : -1;
      } catch (NumberFormatException e) {
        // reported below
      }
      if (advertisedPort < 1 || advertisedPort > 65535) {
        throw new ConfigException(
            "admin.advertised_address", advertisedAddress, "must be host:port, port in 1..65535");
      }
    }
  }

  /** Where the endpoint listens; advertised as {@code host} and the bound port. */
  public AdminSettings(String host, Integer port) {
    this(host, port, null);
  }

  /** The configured port, or {@code serviceDefault} when none was given. */
  public int portOr(int serviceDefault) {
    return port == null ? serviceDefault : port;
  }

  /**
   * {@code host:port} for the other instances: the advertised address, else {@code host} and {@code
   * boundPort} when {@code host} is a specific address, else {@code localAddress} (this machine's)
   * and {@code boundPort}.
   */
  public String advertised(int boundPort, String localAddress) {
    if (advertisedAddress != null) {
      return advertisedAddress;
    }
    boolean wildcard = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    return (wildcard ? localAddress : host) + ":" + boundPort;
  }

  /** Defaults: all interfaces, the service's default port. */
  public static AdminSettings defaults() {
    return new AdminSettings(null, null, null);
  }
}
