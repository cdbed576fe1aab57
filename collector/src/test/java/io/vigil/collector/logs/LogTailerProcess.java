package io.vigil.collector.logs;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.kafka.KafkaSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A log tailer alone in a JVM, for {@link LogTailerKillIT} to SIGKILL. Arguments: bootstrap
 * servers, include glob, checkpoint id. Prints {@code tailing ready} once started.
 */
public final class LogTailerProcess {
  private LogTailerProcess() {}

  public static void main(String[] args) throws Exception {
    LogsSettings settings =
        new LogsSettings(
            true,
            List.of(args[1]),
            List.of(),
            "beginning",
            Duration.ofMillis(20),
            null,
            Duration.ofMillis(300),
            4096,
            args[2],
            Map.of(),
            null,
            null);
    LogTailer.start(settings, KafkaSettings.of(args[0]), new PrometheusRegistry());
    System.out.println("tailing ready");
    new CountDownLatch(1).await(); // until killed
  }
}
