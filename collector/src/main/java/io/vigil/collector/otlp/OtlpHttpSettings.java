package io.vigil.collector.otlp;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.collector.ingress.TlsSettings;
import io.vigil.model.config.ConfigException;
import java.time.Duration;

/**
 * The OTLP/HTTP receiver ({@code otlp.http} in the collector's configuration).
 *
 * @param enabled whether to listen at all; default true
 * @param host bind address; default {@code 0.0.0.0}
 * @param port bind port; default 4318, 0 picks a free one
 * @param maxBodyBytes largest request body accepted, compressed and after decompression; default 16
 *     MiB. Larger bodies get 413
 * @param requestTimeout how long a request may take from its headers to its answer, reading the
 *     body and waiting for Kafka included: a sender still sending its body then gets 408, one whose
 *     data Kafka did not acknowledge 503; default 10s
 * @param tls TLS (and mutual TLS); default none: plain text
 */
public record OtlpHttpSettings(
    @JsonProperty("enabled") Boolean enabled,
    @JsonProperty("host") String host,
    @JsonProperty("port") Integer port,
    @JsonProperty("max_body_bytes") Integer maxBodyBytes,
    @JsonProperty("request_timeout") Duration requestTimeout,
    @JsonProperty("tls") TlsSettings tls) {

  /** The OTLP/HTTP port the specification assigns. */
  public static final int DEFAULT_PORT = 4318;

  /** 16 MiB: well above what the SDKs batch by default (512 spans, ~1 MB of metrics). */
  public static final int DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

  /** Default wait for Kafka acknowledgements. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private static final String PREFIX = "collector.otlp.http.";

  /** Where {@code tls} is, in errors. */
  static final String TLS_KEY = PREFIX + "tls.";

  /** Applies defaults and checks ranges. */
  public OtlpHttpSettings {
    if (enabled == null) {
      enabled = true;
    }
    if (host == null) {
      host = "0.0.0.0";
    }
    if (port == null) {
      port = DEFAULT_PORT;
    }
    if (maxBodyBytes == null) {
      maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    }
    if (requestTimeout == null) {
      requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    }
    check(PREFIX, host, port, maxBodyBytes, requestTimeout);
    if (tls != null) {
      tls.check(TLS_KEY);
    }
  }

  /** The range checks both OTLP receivers' settings share; {@code prefix} ends with a dot. */
  static void check(
      String prefix, String host, int port, int maxBodyBytes, Duration requestTimeout) {
    if (host.isBlank()) {
      throw new ConfigException(prefix + "host", host, "must not be empty");
    }
    if (port < 0 || port > 65535) {
      throw new ConfigException(prefix + "port", port, "must be in 0..65535");
    }
    if (maxBodyBytes < 1) {
      throw new ConfigException(prefix + "max_body_bytes", maxBodyBytes, "must be >= 1");
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new ConfigException(prefix + "request_timeout", requestTimeout, "must be > 0");
    }
  }

  /** Every value defaulted. */
  public static OtlpHttpSettings defaults() {
    return new OtlpHttpSettings(null, null, null, null, null, null);
  }

  /** Defaults, bound to {@code host:port} (tests use {@code 127.0.0.1:0}). */
  public static OtlpHttpSettings of(String host, int port) {
    return new OtlpHttpSettings(null, host, port, null, null, null);
  }

  /** A copy with {@code maxBodyBytes} replaced. */
  public OtlpHttpSettings withMaxBodyBytes(int maxBodyBytes) {
    return new OtlpHttpSettings(enabled, host, port, maxBodyBytes, requestTimeout, tls);
  }

  /** A copy with {@code requestTimeout} replaced. */
  public OtlpHttpSettings withRequestTimeout(Duration requestTimeout) {
    return new OtlpHttpSettings(enabled, host, port, maxBodyBytes, requestTimeout, tls);
  }
}
