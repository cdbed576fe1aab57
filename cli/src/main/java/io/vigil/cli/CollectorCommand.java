package io.vigil.cli;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.CollectorService;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vigil collector --config F}: the collector alone, as deployed per cluster. */
@Command(
    name = "collector",
    mixinStandardHelpOptions = true,
    description = "Run the collector: OTLP/gRPC, OTLP/HTTP and OpenLineage into Kafka.")
final class CollectorCommand implements Callable<Integer> {
  @Option(
      names = {"-c", "--config"},
      required = true,
      description = "YAML file with a 'collector:' section.")
  Path config;

  @Override
  public Integer call() throws Exception {
    ConfigFiles.CollectorFile file = ConfigFiles.load(config, ConfigFiles.CollectorFile.class);
    try (ServiceRunner runner = new ServiceRunner()) {
      CollectorService service =
          runner.add(CollectorService.start(file.collector(), PrometheusRegistry.defaultRegistry));
      System.out.printf(
          "vigil collector: OTLP/gRPC on :%d, OTLP/HTTP on :%d, admin on :%d%n",
          service.otlpGrpcPort(), service.otlpHttpPort(), service.adminPort());
      runner.awaitShutdown();
    }
    return Vigil.EXIT_OK;
  }
}
