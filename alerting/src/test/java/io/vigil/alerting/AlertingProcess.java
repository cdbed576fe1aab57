package io.vigil.alerting;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.config.ConfigLoader;
import java.nio.file.Path;

/**
 * An alerting service in a JVM of its own, for tests that kill it: {@code java -cp <test classpath>
 * io.vigil.alerting.AlertingProcess <config.yaml>}. It logs its admin port and runs until it is
 * killed.
 */
public final class AlertingProcess {
  private AlertingProcess() {}

  /** Starts the service from the file named by the first argument, then waits forever. */
  public static void main(String[] args) throws Exception {
    AlertingConfig config =
        ConfigLoader.load(Path.of(args[0]), System.getenv(), AlertingConfig.class);
    AlertingService service = AlertingService.start(config, new PrometheusRegistry());
    Runtime.getRuntime().addShutdownHook(new Thread(service::close));
    Thread.currentThread().join();
  }
}
