package io.vigil.local;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.AlertingService;
import io.vigil.cli.ConfigFiles;
import io.vigil.cli.ServiceRunner;
import io.vigil.cli.Vigil;
import io.vigil.collector.CollectorService;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.processor.ProcessorService;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vigil standalone --config F}: an in-process broker and the three services in one JVM, for
 * a laptop or a small site. The services reach the broker through their own {@code kafka} settings,
 * which default to the embedded broker's address.
 */
@Command(
    name = "standalone",
    mixinStandardHelpOptions = true,
    description = "Run an embedded Kafka broker and the three services in one JVM.")
final class StandaloneCommand implements Callable<Integer> {
  @Option(
      names = {"-c", "--config"},
      required = true,
      description = "YAML file with 'embedded_kafka:', 'collector:', 'processor:', 'alerting:'.")
  Path config;

  @Override
  public Integer call() throws Exception {
    StandaloneFile file = ConfigFiles.load(config, StandaloneFile.class);
    try (ServiceRunner runner = new ServiceRunner()) {
      if (file.embeddedKafka().enabled()) {
        Path data = Path.of(file.embeddedKafka().dataDir());
        EmbeddedKafka kafka = runner.add(EmbeddedKafka.start(file.embeddedKafka().port(), data));
        System.out.println(
            "vigil standalone: embedded Kafka on "
                + kafka.bootstrapServers()
                + ", data in "
                + data);
      }
      // A registry each: every admin port serves its own service's metrics, as three processes
      // would (one shared, each port served all three, and Prometheus counted everything thrice).
      CollectorService collector =
          runner.add(CollectorService.start(file.collector(), new PrometheusRegistry()));
      ProcessorService processor =
          runner.add(ProcessorService.start(file.processor(), new PrometheusRegistry()));
      AlertingService alerting =
          runner.add(AlertingService.start(file.alerting(), new PrometheusRegistry()));
      System.out.printf(
          "vigil standalone: OTLP/gRPC on :%d, OTLP/HTTP on :%d; admin on :%d (collector),"
              + " :%d (processor), :%d (alerting)%n",
          collector.otlpGrpcPort(),
          collector.otlpHttpPort(),
          collector.adminPort(),
          processor.adminPort(),
          alerting.adminPort());
      runner.awaitShutdown();
    }
    return Vigil.EXIT_OK;
  }
}
