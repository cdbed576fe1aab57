package io.vigil.systemtests;

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
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Vigil as an operator runs it, on this machine: a Kafka broker in its own JVM with its data on
 * disk, {@code vigil collector}, {@code vigil processor} and {@code vigil alerting} from the
 * services' jar, each with its own config file, plus a Slack-compatible sink and an SMTP sink in
 * the test's JVM, and Elasticsearch (the launcher's process, shared by the stacks of a test class)
 * behind a {@link TcpProxy} of the stack's own that can take it away. The processor and the alert
 * engine can run as several {@link Instance}s sharing their Kafka Streams application; a method
 * given a {@link Service} means its first instance. Every process is stopped by its PID when the
 * stack closes, also when a test fails or the test JVM exits.
 */
final class Stack implements AutoCloseable {
  /** The namespace every series of the load carries, so readers count only this stack's data. */
  static final String NAMESPACE = "system-test";

  static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  /** The three services, with the command that starts each and its Kafka Streams group. */
  enum Service {
    COLLECTOR("collector", null),
    PROCESSOR("processor", "vigil-processor"),
    ALERTING("alerting", "vigil-alerting");

    final String command;

    /** The application id (so consumer group) its instances share: the service's default. */
    final String streamsGroup;

    Service(String command, String streamsGroup) {
      this.command = command;
      this.streamsGroup = streamsGroup;
    }

    /** Its instance {@code number}, from 1. */
    Instance instance(int number) {
      return new Instance(this, number);
    }
  }

  /**
   * One process of a service. Instances of a service share its configuration but for what a second
   * process on the same machine needs of its own: an admin port, a state dir, a log file, and the
   * client id of its Kafka Streams clients (so the consumer group tells who owns what). Only the
   * processor and the alert engine have more than one: the collector's OTLP ports are the load's
   * address.
   *
   * @param number 1 for the first; it names the files: {@code processor.yaml}, {@code
   *     processor-2.yaml}
   */
  record Instance(Service service, int number) implements Comparable<Instance> {
    Instance {
      if (number < 1 || (service == Service.COLLECTOR && number > 1)) {
        throw new IllegalArgumentException("no instance " + number + " of " + service);
      }
    }

    /** {@code processor} for the first, {@code processor-2} for the second. */
    String name() {
      return number == 1 ? service.command : service.command + "-" + number;
    }

    @Override
    public int compareTo(Instance other) {
      int byService = service.compareTo(other.service);
      return byService != 0 ? byService : Integer.compare(number, other.number);
    }

    @Override
    public String toString() {
      return name();
    }
  }

  private final Path dir;

  /** The broker's client port: 0 until its first start picks one, then kept for restarts. */
  private volatile int kafkaPort;

  private final int otlpHttpPort;
  private final int otlpGrpcPort;
  private final Map<Instance, Integer> adminPorts = new ConcurrentHashMap<>();
  private final SortedMap<Instance, JavaProcess> services = new ConcurrentSkipListMap<>();
  private final List<JavaProcess> everyProcess = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private final Thread reaper = new Thread(this::killAll, "system-test-reaper");
  private final SlackSink slack;
  private SmtpSink smtp;
  private final int smtpPort;
  private final TcpProxy elasticsearchProxy;
  private final int elasticsearchPort;
  private JavaProcess broker;

  private Stack(Path dir, EmbeddedElasticsearch elasticsearch) throws IOException {
    this.dir = dir;
    this.otlpHttpPort = freePort();
    this.otlpGrpcPort = freePort();
    Runtime.getRuntime().addShutdownHook(reaper);
    this.slack = SlackSink.start(0);
    this.smtp = SmtpSink.start(0);
    this.smtpPort = smtp.port();
    this.elasticsearchProxy = TcpProxy.start(0, URI.create(elasticsearch.url()).getPort());
    this.elasticsearchPort = elasticsearchProxy.port();
    writeRulesAndRouting(Duration.ofSeconds(1));
  }

  /**
   * A stack whose files (configs, data, logs) live in {@code dir}, its alert engine indexing into
   * {@code elasticsearch} (which the stack does not stop); nothing is started yet.
   */
  static Stack in(Path dir, EmbeddedElasticsearch elasticsearch) {
    try {
      Files.createDirectories(dir);
      return new Stack(dir, elasticsearch);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts (or starts again, on the same data and port) the broker JVM and waits until it serves.
   * The first start binds a port of the broker's choosing (no port picked here and bound there, for
   * another process to take in between) and reads it from the broker's {@code kafka ready at} line.
   */
  Stack startBroker() {
    Path log = dir.resolve("kafka.log");
    broker =
        register(
            JavaProcess.start(
                "kafka",
                log,
                List.of(
                    "-cp",
                    brokerClasspath(),
                    "io.vigil.embedded.kafka.KafkaBrokerMain",
                    String.valueOf(kafkaPort),
                    dir.resolve("kafka-data").toString())));
    // The log is appended across restarts: wait for this start's line, not an earlier one's.
    String started = "==== start kafka";
    String ready = "kafka ready at 127.0.0.1:";
    await(
        "the broker to serve",
        () -> {
          String text = broker.log();
          return text.indexOf(ready, text.lastIndexOf(started)) >= 0;
        },
        broker);
    String text = broker.log();
    int at = text.indexOf(ready, text.lastIndexOf(started)) + ready.length();
    int end = at;
    while (end < text.length() && Character.isDigit(text.charAt(end))) {
      end++;
    }
    int port = Integer.parseInt(text.substring(at, end));
    if (kafkaPort != 0 && port != kafkaPort) {
      throw new AssertionError("the broker came back on port " + port + ", not " + kafkaPort);
    }
    kafkaPort = port;
    return this;
  }

  JavaProcess broker() {
    return broker;
  }

  /**
   * Sets the alert route's {@code group_wait} (1 s unless set), how long a new group waits for more
   * alerts before its first notification; for alert engines started after this.
   */
  Stack groupWait(Duration wait) throws IOException {
    writeRulesAndRouting(wait);
    return this;
  }

  /** Starts {@code service}'s first instance; see {@link #start(List)}. */
  Stack start(Service service) {
    return start(service.instance(1));
  }

  /** Starts {@code instance}; see {@link #start(List)}. */
  Stack start(Instance instance) {
    return start(List.of(instance));
  }

  /**
   * Starts {@code these} from the services' jar side by side (or again, on their files), then waits
   * until each one's readiness allows.
   */
  Stack start(List<Instance> these) {
    for (Instance instance : these) {
      launch(instance);
    }
    for (Instance instance : these) {
      awaitReady(instance);
    }
    return this;
  }

  private void launch(Instance instance) {
    Path config = dir.resolve(instance.name() + ".yaml");
    try {
      Files.writeString(config, config(instance));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    JavaProcess process =
        register(
            JavaProcess.start(
                instance.name(),
                dir.resolve(instance.name() + ".log"),
                List.of(
                    "-jar",
                    jar("vigil.services.jar"),
                    instance.service().command,
                    "--config",
                    config.toString())));
    services.put(instance, process);
  }

  private void awaitReady(Instance instance) {
    await(
        instance + " to be ready",
        () -> {
          String body = readyz(instance);
          return body != null && isReady(body.strip());
        },
        services.get(instance));
  }

  /**
   * SIGKILLs {@code instance} for good, as a node lost: it is not started again and no longer among
   * {@link #instances()} (nobody probes it or expects it ready).
   */
  void lose(Instance instance) {
    services.remove(instance).kill9(); // out of instances() first: the probe stops at once
  }

  /** The instances started and not {@link #lose lost}, in order: collector, processors, … */
  List<Instance> instances() {
    return List.copyOf(services.keySet());
  }

  /** Whether {@code body}, a service's {@code /readyz} answer, says it can do its job. */
  static boolean isReady(String body) {
    return body.equals("ready");
  }

  JavaProcess process(Service service) {
    return process(service.instance(1));
  }

  JavaProcess process(Instance instance) {
    return services.get(instance);
  }

  /** {@code /readyz}'s body of {@code service}'s first instance; see {@link #readyz(Instance)}. */
  String readyz(Service service) {
    return readyz(service.instance(1));
  }

  /** {@code /readyz}'s body, or null while nothing answers on the instance's admin port. */
  String readyz(Instance instance) {
    return get(instance, "/readyz");
  }

  /** The body of {@code GET path} on {@code instance}'s admin port, or null if nothing answers. */
  String get(Instance instance, String path) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort(instance) + path))
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

  /** The collector's OTLP/HTTP port (OTLP and OpenLineage's {@code /api/v1/lineage}). */
  URI otlpHttp() {
    return URI.create("http://127.0.0.1:" + otlpHttpPort);
  }

  /** The collector's OTLP/gRPC port, as an exporter's endpoint (cleartext HTTP/2). */
  URI otlpGrpc() {
    return URI.create("http://127.0.0.1:" + otlpGrpcPort);
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

  /** The rule file and the routing shared by every alert engine, with {@code groupWait}. */
  private void writeRulesAndRouting(Duration groupWait) throws IOException {
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
    Files.writeString(
        dir.resolve("alertmanager.yml"),
        """
        route:
          receiver: oncall
          group_by: [alertname, service]
          group_wait: %ds
          group_interval: 5s
          repeat_interval: 4h
        receivers:
        - name: oncall
          slack_configs: [{api_url: '%s', send_resolved: false}]
          email_configs:
          - {to: oncall@example.com, from: vigil@example.com, smarthost: '127.0.0.1:%d',
             require_tls: false, send_resolved: false}
        """
            .formatted(groupWait.toSeconds(), slack.webhookUrl(), smtpPort));
  }

  /** {@code instance}'s config file: what every instance of its service shares, and its own. */
  private String config(Instance instance) {
    String bootstrap = "bootstrap_servers: '" + bootstrapServers() + "'";
    String admin = "  admin: {host: 127.0.0.1, port: " + adminPort(instance) + "}\n";
    String stateDir = "  state_dir: '" + dir.resolve(instance.name() + "-state") + "'\n";
    // Each instance's Streams clients are named after it, so the group's members can be told apart.
    String streamsKafka =
        "  kafka: {" + bootstrap + ", streams: {client.id: " + instance.name() + "}}\n";
    return switch (instance.service()) {
      case COLLECTOR ->
          "collector:\n"
              + "  kafka: {"
              + bootstrap
              + "}\n"
              + admin
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
              + "    poll_interval: 200ms\n";
      case PROCESSOR -> "processor:\n" + streamsKafka + admin + stateDir;
      case ALERTING ->
          "alerting:\n"
              + streamsKafka
              + admin
              + stateDir
              + "  rule_files: ['"
              + dir.resolve("rules.yaml")
              + "']\n  alertmanager_config: '"
              + dir.resolve("alertmanager.yml")
              + "'\n  elasticsearch: {url: 'http://127.0.0.1:"
              + elasticsearchPort
              + "'}\n";
    };
  }

  private int adminPort(Instance instance) {
    return adminPorts.computeIfAbsent(
        instance,
        i -> {
          try {
            return freePort();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  /** The classpath the build wrote for the broker's JVM (Kafka's test kit, through embedded/). */
  private static String brokerClasspath() {
    String path = System.getProperty("vigil.broker.classpath");
    try {
      return Files.readString(Path.of(path)).strip();
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "vigil.broker.classpath must name the classpath file Maven's dependency plugin wrote"
              + " (run through Maven's verify), was "
              + path,
          e);
    }
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
      elasticsearchProxy.close();
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway
      }
    }
  }
}
