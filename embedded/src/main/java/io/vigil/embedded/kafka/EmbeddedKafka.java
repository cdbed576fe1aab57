package io.vigil.embedded.kafka;

import io.vigil.embedded.tls.TestCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process Kafka broker in KRaft combined mode (one node that is both broker and controller),
 * built on Kafka's own {@link KafkaClusterTestKit}. Used by {@code vigil standalone}, {@code vigil
 * demo} and integration tests.
 *
 * <p>Both listeners bind to {@code 127.0.0.1} only. The client listener is named {@code CLIENT} and
 * listens on the requested port (0 = random); the controller listener uses a free port of its own.
 * The test kit pre-binds wildcard sockets for the listener names it knows about; this class uses
 * different names so those are never used, and closes them right after start-up.
 *
 * <p>Started without a data directory, {@link #close()} deletes the broker's data: nothing survives
 * a restart, as tests want. Started with one ({@link #start(int, Path)}, what {@code vigil
 * standalone} does), the data stays there and the next start on that directory carries on from it:
 * topics, records, committed offsets and transactions.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final String HOST = "127.0.0.1";
  private static final String CLIENT_LISTENER = "CLIENT";
  private static final String CONTROLLER_LISTENER = "LOCALCONTROLLER";
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  /** Where a formatted data directory keeps its cluster id (the test kit's layout, one node). */
  private static final String META_PROPERTIES = "combined_0_0/meta.properties";

  private final KafkaClusterTestKit cluster;
  private final Path baseDirectory;
  private final String bootstrapServers;

  /** The client settings a secured broker asks for (SASL/TLS); empty for a plain one. */
  private final Map<String, String> clientSecurity;

  private boolean closed;

  private EmbeddedKafka(
      KafkaClusterTestKit cluster,
      Path baseDirectory,
      String bootstrapServers,
      Map<String, String> clientSecurity) {
    this.cluster = cluster;
    this.baseDirectory = baseDirectory;
    this.bootstrapServers = bootstrapServers;
    this.clientSecurity = clientSecurity;
  }

  /** Starts a broker on a random free port of 127.0.0.1. */
  public static EmbeddedKafka start() {
    return start(0);
  }

  /**
   * Starts a broker whose client listener is exactly {@code 127.0.0.1:port}.
   *
   * @param port the client port, or 0 for a random free port
   * @throws IllegalStateException if the broker cannot start (for example, the port is taken)
   */
  public static EmbeddedKafka start(int port) {
    return start(port, null);
  }

  /**
   * Starts a broker whose client listener is exactly {@code 127.0.0.1:port}, keeping its data in
   * {@code dataDirectory} (created if missing; a directory this class formatted before is started
   * as it was left). {@code null} keeps the data in a temporary directory deleted on close.
   *
   * @param port the client port, or 0 for a random free port
   * @param dataDirectory where the broker keeps its metadata and logs, or null
   * @throws IllegalStateException if the broker cannot start (for example, the port is taken)
   */
  public static EmbeddedKafka start(int port, Path dataDirectory) {
    return start(port, dataDirectory, Security.NONE);
  }

  /**
   * Starts a broker on a random port whose client listener asks for TLS and SASL ({@code SASL_SSL},
   * mechanism {@code PLAIN}), as a managed Kafka service does: {@code user} with {@code password}
   * may connect. Its certificate, {@code kafka.crt} (PEM, for 127.0.0.1) with {@code kafka.key}, is
   * made in {@code certificates}; {@link #clientSecurity()} are the settings a client needs besides
   * the user's credentials. For tests of the clients' security settings.
   */
  public static EmbeddedKafka startSecured(Path certificates, String user, String password) {
    try {
      TestCertificates.make(Files.createDirectories(certificates), "kafka");
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot make the broker's certificate in " + certificates, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while making the broker's certificate", e);
    }
    return start(0, null, new Security(certificates, user, password));
  }

  /** A client listener secured with SASL_SSL, or none ({@link #NONE}). */
  private record Security(Path certificates, String user, String password) {
    static final Security NONE = new Security(null, null, null);

    /** What the broker is to be told (in addition to the plain listeners' properties). */
    Map<String, String> brokerProperties() {
      if (certificates == null) {
        return Map.of();
      }
      String jaas =
          "org.apache.kafka.common.security.plain.PlainLoginModule required"
              + " username=\"broker\" password=\"broker-secret\" user_broker=\"broker-secret\""
              + " user_"
              + user
              + "=\""
              + password
              + "\";";
      String listener = "listener.name." + CLIENT_LISTENER.toLowerCase(java.util.Locale.ROOT) + ".";
      return Map.ofEntries(
          Map.entry(
              "listener.security.protocol.map",
              CLIENT_LISTENER + ":SASL_SSL," + CONTROLLER_LISTENER + ":PLAINTEXT"),
          Map.entry("sasl.enabled.mechanisms", "PLAIN"),
          Map.entry("sasl.mechanism.inter.broker.protocol", "PLAIN"),
          Map.entry(listener + "plain.sasl.jaas.config", jaas),
          Map.entry(listener + "ssl.keystore.type", "PKCS12"),
          Map.entry(
              listener + "ssl.keystore.location",
              certificates.resolve("kafka.p12").toAbsolutePath().toString()),
          Map.entry(listener + "ssl.keystore.password", TestCertificates.PASSWORD),
          Map.entry(listener + "ssl.truststore.type", "PEM"),
          Map.entry(
              listener + "ssl.truststore.location",
              certificates.resolve("kafka.crt").toAbsolutePath().toString()));
    }

    /** What every client needs besides its credentials ({@code sasl.jaas.config}). */
    Map<String, String> clientProperties() {
      if (certificates == null) {
        return Map.of();
      }
      return Map.of(
          "security.protocol", "SASL_SSL",
          "sasl.mechanism", "PLAIN",
          "ssl.truststore.type", "PEM",
          "ssl.truststore.location", certificates.resolve("kafka.crt").toAbsolutePath().toString());
    }
  }

  private static EmbeddedKafka start(int port, Path dataDirectory, Security security) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: must be 0..65535, was " + port);
    }
    // A random port (the controller's always, the client's when 0) is found free, then bound: in
    // between, another process's outgoing connection can take it as its local port. Then a new
    // pick is all it takes; a requested client port that is taken fails each attempt alike.
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce(port, dataDirectory, security);
      } catch (IllegalStateException e) {
        if (attempt >= 3 || !causedByBindFailure(e)) {
          throw e;
        }
        LOG.warn("a port was taken before Kafka bound it; trying again ({})", attempt);
      }
    }
  }

  private static boolean causedByBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException) {
        return true;
      }
    }
    return false;
  }

  private static EmbeddedKafka startOnce(int port, Path dataDirectory, Security security) {
    long started = System.nanoTime();
    boolean kept = dataDirectory != null;
    Path baseDirectory;
    Optional<String> clusterId;
    try {
      if (kept) {
        baseDirectory = Files.createDirectories(dataDirectory).toAbsolutePath();
        clusterId = formattedClusterId(baseDirectory);
      } else {
        baseDirectory = Files.createTempDirectory("vigil-kafka-");
        clusterId = Optional.empty();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use the Kafka data directory " + dataDirectory, e);
    }
    KafkaClusterTestKit cluster = null;
    try {
      int controllerPort = freePort();
      TestKitNodes nodes =
          new TestKitNodes.Builder()
              .setClusterId(clusterId.orElse(null))
              .setCombined(true)
              .setNumBrokerNodes(1)
              .setNumControllerNodes(1)
              .setBaseDirectory(baseDirectory)
              .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
              .setPerServerProperties(
                  Map.of(0, nodeProperties(port, controllerPort, security.brokerProperties())))
              .build();
      cluster = new KafkaClusterTestKit.Builder(nodes).setDeleteOnClose(!kept).build();
      if (clusterId.isEmpty()) {
        cluster.format();
      }
      cluster.startup();
      cluster.waitForReadyBrokers();
      StrayListeners.close(cluster);
      BrokerServer broker = cluster.brokers().values().iterator().next();
      int boundPort = broker.boundPort(ListenerName.normalised(CLIENT_LISTENER));
      EmbeddedKafka kafka =
          new EmbeddedKafka(
              cluster, baseDirectory, HOST + ":" + boundPort, security.clientProperties());
      LOG.info(
          "Kafka {} ready at {} in {} s",
          org.apache.kafka.common.utils.AppInfoParser.getVersion(),
          kafka.bootstrapServers,
          String.format("%.1f", (System.nanoTime() - started) / 1e9));
      return kafka;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      closeQuietly(cluster);
      if (!kept) {
        deleteRecursively(baseDirectory);
      }
      String where = port == 0 ? "a random port" : HOST + ":" + port;
      throw new IllegalStateException("cannot start the embedded Kafka broker on " + where, e);
    }
  }

  /** The cluster id of a data directory formatted by an earlier start, if it was. */
  private static Optional<String> formattedClusterId(Path baseDirectory) throws IOException {
    Path meta = baseDirectory.resolve(META_PROPERTIES);
    if (!Files.isRegularFile(meta)) {
      return Optional.empty();
    }
    Properties properties = new Properties();
    try (var in = Files.newInputStream(meta)) {
      properties.load(in);
    }
    String id = properties.getProperty("cluster.id");
    if (id == null || id.isBlank()) {
      throw new IOException(meta + " has no cluster.id: not a Kafka data directory Vigil wrote");
    }
    return Optional.of(id);
  }

  /**
   * Properties applied last, per node: the test kit lets per-server overrides win over everything
   * it computes, including the quorum voters.
   */
  private static Map<String, String> nodeProperties(
      int clientPort, int controllerPort, Map<String, String> security) {
    Map<String, String> properties = new HashMap<>(plainProperties(clientPort, controllerPort));
    properties.putAll(security);
    return properties;
  }

  private static Map<String, String> plainProperties(int clientPort, int controllerPort) {
    String controller = HOST + ":" + controllerPort;
    return Map.ofEntries(
        Map.entry(
            "listeners",
            CLIENT_LISTENER
                + "://"
                + HOST
                + ":"
                + clientPort
                + ","
                + CONTROLLER_LISTENER
                + "://"
                + controller),
        Map.entry("advertised.listeners", CLIENT_LISTENER + "://" + HOST + ":" + clientPort),
        Map.entry(
            "listener.security.protocol.map",
            CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT"),
        Map.entry("inter.broker.listener.name", CLIENT_LISTENER),
        Map.entry("controller.listener.names", CONTROLLER_LISTENER),
        Map.entry("controller.quorum.voters", "0@" + controller),
        // One broker: internal topics cannot have more than one replica.
        Map.entry("offsets.topic.replication.factor", "1"),
        Map.entry("offsets.topic.num.partitions", "1"),
        Map.entry("transaction.state.log.replication.factor", "1"),
        Map.entry("transaction.state.log.min.isr", "1"),
        Map.entry("share.coordinator.state.topic.replication.factor", "1"),
        Map.entry("share.coordinator.state.topic.min.isr", "1"),
        Map.entry("group.initial.rebalance.delay.ms", "0"),
        Map.entry("auto.create.topics.enable", "true"),
        // Behave like a released broker, not like Kafka's own unit tests.
        Map.entry("unstable.api.versions.enable", "false"),
        Map.entry("unstable.feature.versions.enable", "false"));
  }

  /** The client bootstrap address, {@code 127.0.0.1:<port>}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Client properties with {@code bootstrap.servers} set, a starting point for any client. */
  public Properties clientProperties() {
    Properties properties = new Properties();
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    properties.putAll(clientSecurity);
    return properties;
  }

  /**
   * The security settings a client of a {@link #startSecured secured} broker needs besides its
   * credentials ({@code security.protocol}, {@code sasl.mechanism}, the PEM truststore); empty for
   * a plain broker.
   */
  public Map<String, String> clientSecurity() {
    return clientSecurity;
  }

  /** {@link #clientProperties()} with the credentials of a secured broker's {@code user}. */
  public Properties clientProperties(String user, String password) {
    Properties properties = clientProperties();
    properties.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
            + user
            + "\" password=\""
            + password
            + "\";");
    return properties;
  }

  /**
   * Creates topics with the given partition count and replication factor 1. Topics that already
   * exist are left as they are.
   */
  public void createTopics(int partitions, String... topics) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions: must be >= 1, was " + partitions);
    }
    List<NewTopic> newTopics = new ArrayList<>();
    for (String topic : topics) {
      newTopics.add(new NewTopic(topic, partitions, (short) 1));
    }
    try (Admin admin = Admin.create(clientProperties())) {
      var results = admin.createTopics(newTopics).values();
      for (var entry : results.entrySet()) {
        try {
          entry.getValue().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + entry.getKey(), e.getCause());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating " + Arrays.toString(topics), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out creating " + Arrays.toString(topics), e);
    }
  }

  /** Stops the broker; deletes its data unless it was started with a data directory. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(cluster); // the kit deletes a temporary base directory (setDeleteOnClose)
    LOG.info("Kafka at {} stopped", bootstrapServers);
  }

  /** The directory holding the broker's metadata and logs; deleted by {@link #close()}. */
  Path dataDirectory() {
    return baseDirectory;
  }

  @Override
  public String toString() {
    return "EmbeddedKafka[" + bootstrapServers + "]";
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
      return socket.getLocalPort();
    }
  }

  private static void closeQuietly(KafkaClusterTestKit cluster) {
    if (cluster == null) {
      return;
    }
    try {
      cluster.close();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      LOG.warn("error while stopping the embedded Kafka broker", e);
    }
  }

  static void deleteRecursively(Path dir) {
    try {
      Utils.delete(dir == null ? null : dir.toFile());
    } catch (IOException e) {
      LOG.warn("cannot delete {}", dir, e);
    }
  }
}
