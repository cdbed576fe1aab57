package io.vigil.systemtests;

import io.vigil.embedded.elasticsearch.ElasticsearchLauncher;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.embedded.smtp.SmtpSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * Vigil as an operator runs it, on this machine: a Kafka broker in its own JVM with its data on
 * disk, {@code vigil collector}, {@code vigil processor} and {@code vigil alerting} from the
 * services' jar, each with its own config file, plus a Slack-compatible sink and an SMTP sink in
 * the test's JVM, and where a scenario asks for it Elasticsearch (the launcher's process) behind a
 * {@link TcpProxy} that can take it away. Every process is stopped by its PID when the stack
 * closes, also when a test fails or the test JVM exits.
 */
final class Stack implements AutoCloseable {
  /** The namespace every series of the load carries, so readers count only this stack's data. */
  static final String NAMESPACE = "system-test";

  static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  /** The three services, with the command that starts each. */
  enum Service {
    COLLECTOR("collector"),
    PROCESSOR("processor"),
    ALERTING("alerting");

    final String command;

    Service(String command) {
      this.command = command;
    }
  }

  private final Path dir;
  private final int kafkaPort;
  private final int otlpHttpPort;
  private final int otlpGrpcPort;
  private final Map<Service, Integer> adminPorts = new EnumMap<>(Service.class);
  private final Map<Service, JavaProcess> services = new EnumMap<>(Service.class);
  private final List<JavaProcess> everyProcess = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private final Thread reaper = new Thread(this::killAll, "system-test-reaper");
  private final SlackSink slack;
  private SmtpSink smtp;
  private final int smtpPort;
  private final EmbeddedElasticsearch elasticsearch;
  private final TcpProxy elasticsearchProxy;
  private JavaProcess broker;

  private Stack(Path dir, boolean withElasticsearch) throws IOException {
    this.dir = dir;
    this.kafkaPort = freePort();
    this.otlpHttpPort = freePort();
    this.otlpGrpcPort = freePort();
    for (Service service : Service.values()) {
      adminPorts.put(service, freePort());
    }
    Runtime.getRuntime().addShutdownHook(reaper);
    this.slack = SlackSink.start(0);
    this.smtp = SmtpSink.start(0);
    this.smtpPort = smtp.port();
    if (withElasticsearch) {
      this.elasticsearch = ElasticsearchLauncher.start(System.getenv());
      this.elasticsearchProxy = TcpProxy.start(0, URI.create(elasticsearch.url()).getPort());
    } else {
      this.elasticsearch = null;
      this.elasticsearchProxy = null;
    }
    writeConfigs();
  }

  /**
   * A stack whose files (configs, data, logs) live in {@code dir}, without Elasticsearch (the alert
   * engine's indexer has nowhere to write); nothing is started yet.
   */
  static Stack in(Path dir) {
    return in(dir, false);
  }

  /** As {@link #in(Path)}; with {@code withElasticsearch}, Elasticsearch runs (started now). */
  static Stack in(Path dir, boolean withElasticsearch) {
    try {
      Files.createDirectories(dir);
      return new Stack(dir, withElasticsearch);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts (or starts again, on the same data) the broker JVM and waits until it serves. */
  Stack startBroker() {
    Path log = dir.resolve("kafka.log");
    broker =
        register(
            JavaProcess.start(
                "kafka",
                log,
                List.of(
                    "-cp",
                    jar("vigil.local.jar"),
                    "io.vigil.embedded.kafka.KafkaBrokerMain",
                    String.valueOf(kafkaPort),
                    dir.resolve("kafka-data").toString())));
    // The log is appended across restarts: wait for this start's line, not an earlier one's.
    String started = "==== start kafka";
    await(
        "the broker to serve",
        () -> {
          String text = broker.log();
          return text.indexOf("kafka ready at", text.lastIndexOf(started)) >= 0;
        },
        broker);
    return this;
  }

  JavaProcess broker() {
    return broker;
  }

  /** Starts {@code service} from the services' jar and waits until its readiness allows. */
  Stack start(Service service) {
    return start(List.of(service));
  }

  /** Starts {@code these} services side by side, then waits until each one's readiness allows. */
  Stack start(List<Service> these) {
    for (Service service : these) {
      launch(service);
    }
    for (Service service : these) {
      awaitReady(service);
    }
    return this;
  }

  private void launch(Service service) {
    JavaProcess process =
        register(
            JavaProcess.start(
                service.command,
                dir.resolve(service.command + ".log"),
                List.of(
                    "-jar",
                    jar("vigil.services.jar"),
                    service.command,
                    "--config",
                    dir.resolve(service.command + ".yaml").toString())));
    services.put(service, process);
  }

  private void awaitReady(Service service) {
    JavaProcess process = services.get(service);
    await(
        service.command + " to be ready",
        () -> {
          String body = readyz(service);
          return body != null && isReady(service, body.strip());
        },
        process);
  }

  /**
   * Whether {@code body}, {@code service}'s {@code /readyz} answer, says it can do its job. The
   * alert engine's Elasticsearch is deliberately absent: ready but for its two checks.
   */
  static boolean isReady(Service service, String body) {
    if (body.equals("ready")) {
      return true;
    }
    return service == Service.ALERTING
        && body.startsWith("not ready: ")
        && Set.of("indexer", "elasticsearch").containsAll(List.of(body.substring(11).split(", ")));
  }

  JavaProcess process(Service service) {
    return services.get(service);
  }

  /** {@code /readyz}'s body, or null while nothing answers on the admin port. */
  String readyz(Service service) {
    try {
      return http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + adminPorts.get(service) + "/readyz"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  String bootstrapServers() {
    return "127.0.0.1:" + kafkaPort;
  }

  URI otlpHttp() {
    return URI.create("http://127.0.0.1:" + otlpHttpPort);
  }

  /** Where the collector tails container logs: {@code <dir>/pods/<ns>_<pod>_<uid>/<c>/N.log}. */
  Path podLogs() {
    return dir.resolve("pods");
  }

  SlackSink slack() {
    return slack;
  }

  /** Elasticsearch as the alert engine sees it: through the proxy that can take it away. */
  TcpProxy elasticsearchLink() {
    return elasticsearchProxy;
  }

  /** Elasticsearch's own address, for reading what was indexed (not through the proxy). */
  URI elasticsearch() {
    return URI.create(elasticsearch.url());
  }

  SmtpSink smtp() {
    return smtp;
  }

  /** Stops the SMTP server: connections are refused until {@link #startSmtp()}. */
  void stopSmtp() {
    smtp.close();
  }

  /** Starts the SMTP server again on its port (a fresh mailbox). */
  void startSmtp() {
    smtp = SmtpSink.start(smtpPort);
  }

  Path dir() {
    return dir;
  }

  /** Polls {@code condition} every 100 ms; fails with {@code process}'s log tail after a while. */
  static void await(
      String what, java.util.function.BooleanSupplier condition, JavaProcess process) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      if (process != null && !process.isAlive()) {
        throw new AssertionError(
            process + " exited while waiting for " + what + ":\n" + process.logTail(40));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "waited "
                + START_TIMEOUT
                + " for "
                + what
                + (process == null ? "" : ":\n" + process.logTail(40)));
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }

  private JavaProcess register(JavaProcess process) {
    synchronized (everyProcess) {
      everyProcess.add(process);
    }
    return process;
  }

  private void writeConfigs() throws IOException {
    String kafka = "  kafka: {bootstrap_servers: '" + bootstrapServers() + "'}\n";
    Files.writeString(
        dir.resolve("collector.yaml"),
        "collector:\n"
            + kafka
            + admin(Service.COLLECTOR)
            + "  otlp:\n"
            + "    grpc: {host: 127.0.0.1, port: "
            + otlpGrpcPort
            + "}\n"
            + "    http: {host: 127.0.0.1, port: "
            + otlpHttpPort
            + "}\n"
            + "  spool: {dir: '"
            + dir.resolve("spool")
            + "'}\n"
            + "  logs:\n"
            + "    enabled: true\n"
            + "    include: ['"
            + podLogs()
            + "/*/*/*.log']\n"
            + "    checkpoint_id: system-test-node\n"
            + "    poll_interval: 200ms\n");
    Files.writeString(
        dir.resolve("processor.yaml"),
        "processor:\n"
            + kafka
            + admin(Service.PROCESSOR)
            + "  state_dir: '"
            + dir.resolve("processor-state")
            + "'\n");
    Path rules =
        Files.writeString(
            dir.resolve("rules.yaml"),
            """
            groups:
            - name: golden-signals
              rules:
              - alert: HighErrorRatio
                expr: errors.ratio > 0.2
                labels: {severity: page}
                annotations: {summary: '{{ $labels.service }} fails {{ $value }} of its requests'}
            """);
    Path routing =
        Files.writeString(
            dir.resolve("alertmanager.yml"),
            """
            route:
              receiver: oncall
              group_by: [alertname, service]
              group_wait: 1s
              group_interval: 5s
              repeat_interval: 4h
            receivers:
            - name: oncall
              slack_configs: [{api_url: '%s', send_resolved: false}]
              email_configs:
              - {to: oncall@example.com, from: vigil@example.com, smarthost: '127.0.0.1:%d',
                 require_tls: false, send_resolved: false}
            """
                .formatted(slack.webhookUrl(), smtpPort));
    Files.writeString(
        dir.resolve("alerting.yaml"),
        "alerting:\n"
            + kafka
            + admin(Service.ALERTING)
            + "  state_dir: '"
            + dir.resolve("alerting-state")
            + "'\n  rule_files: ['"
            + rules
            + "']\n  alertmanager_config: '"
            + routing
            + "'\n  elasticsearch: {url: 'http://127.0.0.1:"
            + (elasticsearchProxy == null ? freePort() : elasticsearchProxy.port())
            + "'}\n");
  }

  private String admin(Service service) {
    return "  admin: {host: 127.0.0.1, port: " + adminPorts.get(service) + "}\n";
  }

  private static String jar(String property) {
    String path = System.getProperty(property);
    if (path == null || !Files.isRegularFile(Path.of(path))) {
      throw new IllegalStateException(
          property + " must name a built jar (run through Maven's verify), was " + path);
    }
    return path;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      return socket.getLocalPort();
    }
  }

  /** Every process the stack started, killed by PID (SIGKILL) if still running. */
  private void killAll() {
    synchronized (everyProcess) {
      everyProcess.forEach(JavaProcess::close);
    }
  }

  /**
   * Stops every process (the services at once — none needs another to shut down, only Kafka — then
   * the broker) and the sinks.
   */
  @Override
  public void close() {
    try {
      List<JavaProcess> running = services.values().stream().filter(JavaProcess::isAlive).toList();
      running.forEach(JavaProcess::terminate);
      for (JavaProcess process : running) {
        process.awaitStopped(STOP_TIMEOUT);
      }
      if (broker != null && broker.isAlive()) {
        broker.sigterm(STOP_TIMEOUT);
      }
    } finally {
      killAll();
      slack.close();
      smtp.close();
      if (elasticsearchProxy != null) {
        elasticsearchProxy.close();
      }
      if (elasticsearch != null) {
        elasticsearch.close();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway
      }
    }
  }
}
