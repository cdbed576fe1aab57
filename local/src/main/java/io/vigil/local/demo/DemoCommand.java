package io.vigil.local.demo;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.alerting.AlertingService;
import io.vigil.cli.ServiceRunner;
import io.vigil.collector.CollectorService;
import io.vigil.embedded.elasticsearch.ElasticsearchLauncher;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.embedded.smtp.SmtpSink;
import io.vigil.model.config.ConfigLoader;
import io.vigil.model.config.Durations;
import io.vigil.processor.ProcessorService;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vigil demo}: the whole pipeline on one machine with no setup. Starts an embedded Kafka
 * broker, a local Elasticsearch, Slack and SMTP sinks and the three services; drives a synthetic
 * shop whose checkout service has an incident; shows live progress; ends with a summary read back
 * from Elasticsearch.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run everything on this machine with no setup: embedded Kafka, a local Elasticsearch,",
      "Slack and SMTP sinks, the three services and a synthetic shop with an incident."
    })
public final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--duration",
      defaultValue = "80s",
      description = "How long the shop sends traffic (default: ${DEFAULT-VALUE}; min 45s).")
  String duration;

  @Option(
      names = "--work-dir",
      defaultValue = ".vigil/demo",
      description =
          "Where the demo writes its configuration and state (default: ${DEFAULT-VALUE}).")
  Path workDir;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    Duration traffic = Durations.parse(duration);
    if (traffic.compareTo(Duration.ofSeconds(45)) < 0) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this),
          "--duration: must be at least 45s, was '" + duration + "'");
    }
    // The incident starts 20 s in and lasts 30 s, or until 15 s before the end.
    Duration incidentStart = Duration.ofSeconds(20);
    Duration incidentEnd = Duration.ofSeconds(Math.min(50, traffic.toSeconds() - 15));

    Path dir = workDir.toAbsolutePath().normalize();
    Utils.delete(dir.toFile());
    Files.createDirectories(dir);
    DemoLog.quietLogsInto(dir.resolve("vigil.log"));

    out.println("Vigil demo — a shop with an incident, watched end to end.");
    out.println("  work folder: " + dir);
    long t0 = System.nanoTime();
    try (ServiceRunner stack =
        new ServiceRunner(
            () -> out.println("Interrupted: stopping everything the demo started …"))) {

      out.println("Starting Elasticsearch in the background (takes a while on first run) …");
      CompletableFuture<EmbeddedElasticsearch> elasticsearch =
          CompletableFuture.supplyAsync(() -> ElasticsearchLauncher.start(System.getenv()));
      stack.add((AutoCloseable) () -> elasticsearch.thenAccept(EmbeddedElasticsearch::close));

      EmbeddedKafka kafka = stack.add(quietly(() -> EmbeddedKafka.start(preferredPort(9092))));
      String bootstrap = kafka.bootstrapServers();
      out.println("  Kafka (KRaft, in-process)     " + bootstrap);
      SlackSink slack = stack.add(SlackSink.start(0));
      out.println("  Slack webhook sink            " + slack.webhookUrl());
      SmtpSink smtp = stack.add(SmtpSink.start(0));
      out.println("  SMTP sink                     " + smtp.host() + ":" + smtp.port());

      // A registry per service: each admin port shows its own service's metrics (the demo's
      // collector scrapes the collector's and the processor's, as Prometheus would).
      Path logs = dir.resolve("logs");
      int processorAdmin = preferredPort(8889);
      String collectorYaml =
          DemoFiles.collector(
              bootstrap,
              preferredPort(4317),
              preferredPort(4318),
              preferredPort(8888),
              logs,
              processorAdmin);
      CollectorService collector =
          stack.add(
              CollectorService.start(
                  ConfigLoader.load(
                      collectorYaml.stripIndent(),
                      Map.of(),
                      io.vigil.collector.CollectorConfig.class),
                  new PrometheusRegistry()));
      out.println(
          "  collector                     OTLP/gRPC :"
              + collector.otlpGrpcPort()
              + ", OTLP/HTTP :"
              + collector.otlpHttpPort()
              + ", admin :"
              + collector.adminPort());
      Path catalog = DemoFiles.write(dir.resolve("catalog.yaml"), DemoFiles.CATALOG);
      String processorYaml =
          DemoFiles.processor(bootstrap, dir.resolve("processor-state"), catalog, processorAdmin);
      ProcessorService processor =
          stack.add(
              ProcessorService.start(
                  ConfigLoader.load(
                      processorYaml.stripIndent(),
                      Map.of(),
                      io.vigil.processor.ProcessorConfig.class),
                  new PrometheusRegistry()));
      out.println("  processor                     admin :" + processor.adminPort());

      Path rules = DemoFiles.write(dir.resolve("rules.yaml"), DemoFiles.RULES);
      Path alertmanager =
          DemoFiles.write(
              dir.resolve("alertmanager.yml"),
              DemoFiles.alertmanager(slack.webhookUrl(), smtp.host(), smtp.port()));

      String otlpUrl = "http://127.0.0.1:" + collector.otlpHttpPort() + "/v1/metrics";
      ShopWorkload shop = stack.add(ShopWorkload.start(otlpUrl, logs, incidentStart, incidentEnd));
      DemoHost host = stack.add(DemoHost.start(otlpUrl));
      out.printf(
          "Shop is up: services checkout and catalog export OTLP to %s every second,%n"
              + "  and write their container logs under %s (the collector tails them).%n"
              + "  checkout's incident: 25%% errors from %s to %s.%n"
              + "  The collector also scrapes its own and the processor's /metrics every 5 s,%n"
              + "  watches the consumer groups' lag (the data journey's streaming part),%n"
              + "  and this machine reports its CPU and memory as host %s (hostmetrics).%n",
          otlpUrl,
          logs.resolve("pods"),
          Durations.format(incidentStart),
          Durations.format(incidentEnd),
          host.name());

      String lineageUrl = "http://127.0.0.1:" + collector.otlpHttpPort() + "/api/v1/lineage";
      stack.add(DemoPipeline.start(lineageUrl, Duration.ofSeconds(3), Duration.ofSeconds(8), out));
      out.printf(
          "  pipeline %s/%s reports OpenLineage runs to %s every 8 s;%n"
              + "  run 3 fails its data-quality check, run 5 never finishes (overdue after 20 s,%n"
              + "  the longest run catalog.yaml expects).%n",
          DemoPipeline.NAMESPACE, DemoPipeline.JOB, lineageUrl);

      DemoProgress progress = new DemoProgress(out, collector, processor, slack, smtp, shop);
      int alertingPort = preferredPort(8890);
      // Alerting starts once Elasticsearch is up; it then reads vigil.signals from the start.
      Function<String, AlertingService> startAlerting =
          elasticsearchUrl -> {
            String alertingYaml =
                DemoFiles.alerting(
                    bootstrap,
                    rules,
                    alertmanager,
                    elasticsearchUrl,
                    dir.resolve("alerting-state"),
                    alertingPort);
            String reusable =
                DemoFiles.alerting(
                    bootstrap,
                    rules,
                    alertmanager,
                    "${ELASTICSEARCH_URL:-http://127.0.0.1:9200}",
                    dir.resolve("alerting-state"),
                    alertingPort);
            try {
              DemoFiles.write(
                  dir.resolve("vigil.yaml"),
                  DemoFiles.standalone(portOf(bootstrap), collectorYaml, processorYaml, reusable));
              AlertingService service =
                  stack.add(
                      AlertingService.start(
                          ConfigLoader.load(
                              alertingYaml.stripIndent(),
                              Map.of(),
                              io.vigil.alerting.AlertingConfig.class),
                          new PrometheusRegistry()));
              progress.alerting(service);
              DemoSilence.create(service.adminPort(), out);
              return service;
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          };
      long shopStart = System.nanoTime();
      AlertingService alerting = null;
      while (elapsed(shopStart).compareTo(traffic) < 0) {
        if (alerting == null && elasticsearch.isDone()) {
          EmbeddedElasticsearch es = elasticsearch.join();
          out.printf(
              "  Elasticsearch                 %s (ready %.0f s after start)%n",
              es.url(), seconds(t0));
          alerting = startAlerting.apply(es.url());
          out.println("  alerting                      API and admin :" + alerting.adminPort());
        }
        progress.tick(elapsed(shopStart));
        TimeUnit.MILLISECONDS.sleep(250); // pacing of the display, not synchronisation
      }
      out.println("Shop traffic stopped; waiting for the alerts to reach Slack and email …");
      shop.close();
      if (alerting == null) {
        out.println("  still waiting for Elasticsearch …");
        alerting = startAlerting.apply(elasticsearch.get(120, TimeUnit.SECONDS).url());
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!progress.sawFiringEverywhere() && System.nanoTime() < deadline) {
        progress.tick(elapsed(shopStart));
        TimeUnit.MILLISECONDS.sleep(250);
      }
      progress.tick(elapsed(shopStart));

      DemoSummary summary = new DemoSummary(out, elasticsearch.join().url(), host.name());
      summary.print(progress, dir, seconds(t0), alerting.adminPort());
      return progress.sawFiringEverywhere() ? 0 : 1;
    }
  }

  /**
   * Runs {@code start} with stdout silenced: Kafka's storage formatter prints a line there that
   * would break up the demo's display.
   */
  private static <T> T quietly(java.util.function.Supplier<T> start) {
    PrintStream original = System.out;
    System.setOut(new PrintStream(java.io.OutputStream.nullOutputStream()));
    try {
      return start.get();
    } finally {
      System.setOut(original);
    }
  }

  private static int portOf(String bootstrap) {
    return Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1).split(",")[0]);
  }

  private static Duration elapsed(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** {@code port} when it is free on 127.0.0.1, else 0 so that a free one is picked. */
  static int preferredPort(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return port;
    } catch (IOException busy) {
      return 0;
    }
  }
}
