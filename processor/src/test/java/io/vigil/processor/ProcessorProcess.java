package io.vigil.processor;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.config.ConfigLoader;
import java.nio.file.Path;

/**
 * A processor in a JVM of its own, for tests that kill it: {@code java -cp <test classpath>
 * io.vigil.processor.ProcessorProcess <config.yaml>}. It logs its admin port to stdout and runs
 * until it is killed.
 */
public final class ProcessorProcess {
  private ProcessorProcess() {}

  /** Starts the processor from the file named by the first argument, then waits forever. */
  public static void main(String[] args) throws Exception {
    ProcessorConfig config =
        ConfigLoader.load(Path.of(args[0]), System.getenv(), ProcessorConfig.class);
    ProcessorService service = ProcessorService.start(config, new PrometheusRegistry());
    Runtime.getRuntime().addShutdownHook(new Thread(service::close));
    Thread.currentThread().join();
  }
}
