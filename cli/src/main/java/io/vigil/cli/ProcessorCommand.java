package io.vigil.cli;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.processor.ProcessorService;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vigil processor --config F}: the Kafka Streams processor alone. */
@Command(
    name = "processor",
    mixinStandardHelpOptions = true,
    description = "Run the processor: golden signals from OTLP metrics (Kafka Streams).")
final class ProcessorCommand implements Callable<Integer> {
  @Option(
      names = {"-c", "--config"},
      required = true,
      description = "YAML file with a 'processor:' section.")
  Path config;

  @Override
  public Integer call() throws Exception {
    ConfigFiles.ProcessorFile file = ConfigFiles.load(config, ConfigFiles.ProcessorFile.class);
    try (ServiceRunner runner = new ServiceRunner()) {
      ProcessorService service =
          runner.add(ProcessorService.start(file.processor(), PrometheusRegistry.defaultRegistry));
      System.out.printf("vigil processor: admin on :%d%n", service.adminPort());
      runner.awaitShutdown();
    }
    return Vigil.EXIT_OK;
  }
}
