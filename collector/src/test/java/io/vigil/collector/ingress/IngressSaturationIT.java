package io.vigil.collector.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.collector.ReceiversUnderTest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 9's "red when the ingress cannot serve": with every parser busy (occupied here by tasks
 * that wait for the test), readiness turns red once requests would have waited {@link
 * Ingress#SATURATED_AFTER} for one, and green by itself once they are free again.
 */
class IngressSaturationIT {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void readinessIsRedWhileEveryParserIsBusyAndGreenAfter() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (ReceiversUnderTest receivers =
        ReceiversUnderTest.start(records -> CompletableFuture.completedFuture(null))) {
      Ingress ingress = receivers.ingress();
      assertThat(ingress.isServing()).isTrue();

      int parsers = Math.max(2, Runtime.getRuntime().availableProcessors());
      for (int i = 0; i < parsers; i++) {
        ingress
            .parsers()
            .execute(
                () -> {
                  try {
                    release.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
      }
      await(() -> !ingress.isServing(), "red while every parser is busy");

      release.countDown();
      await(ingress::isServing, "green once the parsers are free");
    } finally {
      release.countDown();
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(100); // polling readiness, with a deadline
    }
  }
}
