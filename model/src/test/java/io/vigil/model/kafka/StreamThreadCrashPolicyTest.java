package io.vigil.model.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class StreamThreadCrashPolicyTest {
  private static final RuntimeException BOOM = new IllegalStateException("boom");

  @Test
  void shutsDownWhenThreadsKeepDying() {
    Clock clock = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);
    StreamThreadCrashPolicy policy = new StreamThreadCrashPolicy(3, Duration.ofMinutes(10), clock);
    for (int i = 0; i < 3; i++) {
      assertThat(policy.handle(BOOM)).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }
    assertThat(policy.handle(BOOM)).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  @Test
  void forgetsCrashesOutsideThePeriod() {
    MutableClock clock = new MutableClock();
    StreamThreadCrashPolicy policy = new StreamThreadCrashPolicy(1, Duration.ofMinutes(10), clock);
    assertThat(policy.handle(BOOM)).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    clock.now = clock.now.plus(Duration.ofMinutes(11));
    assertThat(policy.handle(BOOM)).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
  }

  private static final class MutableClock extends Clock {
    Instant now = Instant.parse("2025-01-01T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
