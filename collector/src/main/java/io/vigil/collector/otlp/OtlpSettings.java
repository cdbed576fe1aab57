package io.vigil.collector.otlp;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The OTLP receivers ({@code otlp} in the collector's configuration). Only OTLP/HTTP exists so far;
 * OTLP/gRPC will sit next to it as {@code grpc}.
 *
 * @param http the OTLP/HTTP receiver; defaults as {@link OtlpHttpSettings#defaults()}
 */
public record OtlpSettings(@JsonProperty("http") OtlpHttpSettings http) {

  /** Applies defaults. */
  public OtlpSettings {
    if (http == null) {
      http = OtlpHttpSettings.defaults();
    }
  }

  /** Every value defaulted. */
  public static OtlpSettings defaults() {
    return new OtlpSettings(null);
  }
}
