package io.vigil.collector.otlp;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.collector.ingress.TlsSettings;
import java.time.Duration;

/**
 * The OTLP/gRPC receiver ({@code otlp.grpc} in the collector's configuration).
 *
 * @param enabled whether to listen at all; default true
 * @param host bind address; default {@code 0.0.0.0}
 * @param port bind port; default 4317, 0 picks a free one
 * @param maxBodyBytes largest request accepted, the message compressed and after decompression;
 *     default 16 MiB. Larger ones get {@code RESOURCE_EXHAUSTED}
 * @param requestTimeout how long a call may take from its headers to its answer, reading the
 *     message and waiting for Kafka included; default 10s
 * @param tls TLS (and mutual TLS); default none: plain text
 */
public record OtlpGrpcSettings(
    @JsonProperty("enabled") Boolean enabled,
    @JsonProperty("host") String host,
    @JsonProperty("port") Integer port,
    @JsonProperty("max_body_bytes") Integer maxBodyBytes,
    @JsonProperty("request_timeout") Duration requestTimeout,
    @JsonProperty("tls") TlsSettings tls) {

  /** The OTLP/gRPC port the specification assigns. */
  public static final int DEFAULT_PORT = 4317;

  private static final String PREFIX = "collector.otlp.grpc.";

  /** Where {@code tls} is, in errors. */
  static final String TLS_KEY = PREFIX + "tls.";

  /** Applies defaults and checks ranges. */
  public OtlpGrpcSettings {
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
      maxBodyBytes = OtlpHttpSettings.DEFAULT_MAX_BODY_BYTES;
    }
    if (requestTimeout == null) {
      requestTimeout = OtlpHttpSettings.DEFAULT_REQUEST_TIMEOUT;
    }
    OtlpHttpSettings.check(PREFIX, host, port, maxBodyBytes, requestTimeout);
    if (tls != null) {
      tls.check(TLS_KEY);
    }
  }

  /** Every value defaulted. */
  public static OtlpGrpcSettings defaults() {
    return new OtlpGrpcSettings(null, null, null, null, null, null);
  }

  /** Defaults, bound to {@code host:port} (tests use {@code 127.0.0.1:0}). */
  public static OtlpGrpcSettings of(String host, int port) {
    return new OtlpGrpcSettings(null, host, port, null, null, null);
  }

  /** Not listening. */
  public static OtlpGrpcSettings disabled() {
    return new OtlpGrpcSettings(false, null, null, null, null, null);
  }
}
