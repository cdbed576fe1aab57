package io.vigil.collector.otlp;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The OTLP receivers ({@code otlp} in the collector's configuration).
 *
 * @param grpc the OTLP/gRPC receiver; defaults as {@link OtlpGrpcSettings#defaults()}
 * @param http the OTLP/HTTP receiver (and OpenLineage); defaults as {@link
 *     OtlpHttpSettings#defaults()}
 */
public record OtlpSettings(
    @JsonProperty("grpc") OtlpGrpcSettings grpc, @JsonProperty("http") OtlpHttpSettings http) {

  /** Applies defaults. */
  public OtlpSettings {
    if (grpc == null) {
      grpc = OtlpGrpcSettings.defaults();
    }
    if (http == null) {
      http = OtlpHttpSettings.defaults();
    }
  }

  /** Every value defaulted. */
  public static OtlpSettings defaults() {
    return new OtlpSettings(null, null);
  }
}
