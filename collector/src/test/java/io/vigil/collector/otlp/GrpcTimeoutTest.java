package io.vigil.collector.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** gRPC's {@code grpc-timeout} header, as the HTTP/2 protocol spec writes it. */
class GrpcTimeoutTest {
  @Test
  void readsEveryUnit() {
    assertThat(OtlpGrpcService.grpcTimeout("2H")).isEqualTo(Duration.ofHours(2));
    assertThat(OtlpGrpcService.grpcTimeout("3M")).isEqualTo(Duration.ofMinutes(3));
    assertThat(OtlpGrpcService.grpcTimeout("10S")).isEqualTo(Duration.ofSeconds(10));
    assertThat(OtlpGrpcService.grpcTimeout("9999m")).isEqualTo(Duration.ofMillis(9999));
    assertThat(OtlpGrpcService.grpcTimeout("500u")).isEqualTo(Duration.ofNanos(500_000));
    assertThat(OtlpGrpcService.grpcTimeout("99999999n")).isEqualTo(Duration.ofNanos(99_999_999));
  }

  @Test
  void refusesWhatIsNotOne() {
    assertThat(OtlpGrpcService.grpcTimeout("123456789S")).as("more than 8 digits").isNull();
    assertThat(OtlpGrpcService.grpcTimeout("S")).isNull();
    assertThat(OtlpGrpcService.grpcTimeout("10s")).as("s is not a unit; S is").isNull();
    assertThat(OtlpGrpcService.grpcTimeout("-1S")).isNull();
    assertThat(OtlpGrpcService.grpcTimeout("1.5S")).isNull();
  }
}
