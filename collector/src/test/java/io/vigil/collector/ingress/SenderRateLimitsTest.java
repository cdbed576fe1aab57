package io.vigil.collector.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.collector.otlp.RateLimitSettings;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SenderRateLimitsTest {
  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong clock = new AtomicLong(42 * SECOND);

  private SenderRateLimits limits(long rate, Long burst, Map<String, Long> perSender) {
    return new SenderRateLimits(new RateLimitSettings(rate, burst, perSender, null), clock::get);
  }

  @Test
  void aBurstPassesThenTheSenderWaitsForItsRate() {
    SenderRateLimits limits = limits(100, 200L, null);

    assertThat(limits.take("10.0.0.1", 150)).isZero();
    assertThat(limits.take("10.0.0.1", 50)).isZero(); // the burst is spent
    assertThat(limits.take("10.0.0.1", 150)).as("seconds to wait for 150 at 100/s").isEqualTo(2);

    clock.addAndGet(SECOND);
    assertThat(limits.take("10.0.0.1", 150)).as("100 back, 50 missing").isEqualTo(1);
    clock.addAndGet(SECOND);
    assertThat(limits.take("10.0.0.1", 150)).isZero();
  }

  @Test
  void sendersHaveTheirOwnBucketsAndRates() {
    SenderRateLimits limits = limits(10, null, Map.of("checkout", 1000L));

    assertThat(limits.take("cart", 20)).isZero(); // default burst: two seconds' worth
    assertThat(limits.take("cart", 1)).isPositive();
    assertThat(limits.take("checkout", 2000)).as("its own rate and burst").isZero();
    assertThat(limits.take("other", 20)).isZero();
  }

  @Test
  void aBatchLargerThanTheBurstPassesOnAFullBucketAndLeavesItInDebt() {
    SenderRateLimits limits = limits(100, 100L, null);

    assertThat(limits.take("s", 500)).isZero();
    assertThat(limits.take("s", 1)).isPositive();
    clock.addAndGet(4 * SECOND); // 400 back: still 0 in the bucket
    assertThat(limits.take("s", 1)).isPositive();
    clock.addAndGet(SECOND + SECOND / 10);
    assertThat(limits.take("s", 1)).isZero();
  }

  @Test
  void noLimitByDefault() {
    assertThat(SenderRateLimits.NONE.enabled()).isFalse();
    assertThat(SenderRateLimits.NONE.take("anyone", Long.MAX_VALUE)).isZero();
  }
}
