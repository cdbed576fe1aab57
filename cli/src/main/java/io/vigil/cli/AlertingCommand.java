package io.vigil.cli;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.AlertingService;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vigil alerting --config F}: the alert engine alone. */
@Command(
    name = "alerting",
    mixinStandardHelpOptions = true,
    description = "Run the alert engine: rules, Slack and email, Elasticsearch indexing.")
final class AlertingCommand implements Callable<Integer> {
  @Option(
      names = {"-c", "--config"},
      required = true,
      description = "YAML file with an 'alerting:' section.")
  Path config;

  @Override
  public Integer call() throws Exception {
    ConfigFiles.AlertingFile file = ConfigFiles.load(config, ConfigFiles.AlertingFile.class);
    try (ServiceRunner runner = new ServiceRunner()) {
      AlertingService service =
          runner.add(AlertingService.start(file.alerting(), PrometheusRegistry.defaultRegistry));
      System.out.printf("vigil alerting: API and admin on :%d%n", service.adminPort());
      runner.awaitShutdown();
    }
    return Vigil.EXIT_OK;
  }
}
