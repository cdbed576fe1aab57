package io.vigil.collector.otlp;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import java.time.Duration;

/**
 * The OTLP receivers ({@code otlp} in the collector's configuration).
 *
 * @param grpc the OTLP/gRPC receiver; defaults as {@link OtlpGrpcSettings#defaults()}
 * @param http the OTLP/HTTP receiver (and OpenLineage); defaults as {@link
 *     OtlpHttpSettings#defaults()}
 * @param maxClockSkew how far in the future a sender's timestamp may be; later ones are moved to
 *     when the data arrived (counted); default 2m, as the processor's guard
 * @param auth bearer tokens per sender; default none required
 * @param maxInFlightBytes the bytes all requests being received (bodies, then their records until
 *     stored) may hold together, on every receiver of 4317 and 4318; beyond it requests are read,
 *     discarded and answered 503 / UNAVAILABLE; default a quarter of the heap, and never less than
 *     twice the largest {@code max_body_bytes}
 * @param rateLimit items per second per sender; default none
 */
public record OtlpSettings(
    @JsonProperty("grpc") OtlpGrpcSettings grpc,
    @JsonProperty("http") OtlpHttpSettings http,
    @JsonProperty("max_clock_skew") Duration maxClockSkew,
    @JsonProperty("auth") AuthSettings auth,
    @JsonProperty("max_in_flight_bytes") Long maxInFlightBytes,
    @JsonProperty("rate_limit") RateLimitSettings rateLimit) {

  /** Default {@code max_clock_skew}. */
  public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofMinutes(2);

  /** Applies defaults and checks values. */
  public OtlpSettings {
    if (grpc == null) {
      grpc = OtlpGrpcSettings.defaults();
    }
    if (http == null) {
      http = OtlpHttpSettings.defaults();
    }
    if (auth == null) {
      auth = AuthSettings.defaults();
    }
    if (rateLimit == null) {
      rateLimit = RateLimitSettings.defaults();
    }
    if (maxClockSkew == null) {
      maxClockSkew = DEFAULT_MAX_CLOCK_SKEW;
    }
    if (maxClockSkew.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException("collector.otlp.max_clock_skew", maxClockSkew, "must be >= 1s");
    }
    long largestBody = Math.max(grpc.maxBodyBytes(), http.maxBodyBytes());
    if (maxInFlightBytes == null) {
      maxInFlightBytes = Math.max(Runtime.getRuntime().maxMemory() / 4, 2 * largestBody);
    }
    if (maxInFlightBytes < largestBody) {
      throw new ConfigException(
          "collector.otlp.max_in_flight_bytes",
          maxInFlightBytes,
          "must be at least the largest max_body_bytes (" + largestBody + ")");
    }
  }

  /** Every value defaulted. */
  public static OtlpSettings defaults() {
    return new OtlpSettings(null, null, null, null, null, null);
  }
}
