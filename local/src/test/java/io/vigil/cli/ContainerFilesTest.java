package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.vigil.collector.CollectorConfig;
import io.vigil.collector.lag.LagSettings;
import io.vigil.collector.lineage.LineageEvents;
import io.vigil.collector.scrape.ScrapeSettings;
import io.vigil.model.config.ConfigLoader;
import io.vigil.model.otlp.OtlpJson;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The container files — {@code Dockerfile}, {@code .dockerignore}, {@code docker-compose.yml} and
 * what they use under {@code deploy/} — keep the promises {@code deploy/README.md} makes. No Docker
 * engine runs here, so this checks what can be checked without one: {@code docker-compose config}
 * (Debian's docker-compose 1.29) renders the stack, dclint checks it against the Compose
 * Specification, dockerfile-utils lints the Dockerfile, the Dockerfile's stages are read and
 * checked, and the health-check, workload and Kibana import scripts are run for real against local
 * HTTP servers, their requests decoded with the collector's own decoders (and, for Kibana, as
 * Kibana's import API reads them). Skipped only where a tool is absent.
 */
class ContainerFilesTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path COMPOSE_FILE = ROOT.resolve("docker-compose.yml");
  private static final Path DOCKERFILE = ROOT.resolve("Dockerfile");
  private static final Path LINT = ROOT.resolve("deploy/lint");
  private static final Path WORKLOAD = ROOT.resolve("deploy/compose/workload");
  private static final Path KIBANA_IMPORT = ROOT.resolve("deploy/compose/kibana/import.sh");
  private static final Path SAVED_OBJECTS = ROOT.resolve("dashboards/kibana");
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Map<String, Integer> VIGIL_SERVICES =
      Map.of("collector", 8888, "processor", 8889, "alerting", 8890);
  private static final Set<String> ONE_SHOT = Set.of("slack-webhook", "kibana-import");
  private static final String SLACK_URL = "https://hooks.example.org/services/T0/B0/compose-test";

  // ---- docker-compose.yml

  @Test
  void composeRendersTheWholeStack() throws Exception {
    JsonNode services = renderCompose().path("services");
    List<String> names = new ArrayList<>();
    services.fieldNames().forEachRemaining(names::add);
    assertThat(names)
        .contains(
            "kafka",
            "elasticsearch",
            "kibana",
            "kibana-import",
            "prometheus",
            "grafana",
            "mailpit",
            "node-exporter",
            "collector",
            "processor",
            "alerting",
            "workload-traces",
            "workload-logs",
            "workload-metrics",
            "workload-requests",
            "workload-lineage");

    JsonNode kafka = services.path("kafka");
    assertThat(kafka.path("image").asText()).startsWith("apache/kafka:");
    assertThat(kafka.at("/environment/KAFKA_PROCESS_ROLES").asText())
        .as("one KRaft node: broker and controller")
        .isEqualTo("broker,controller");

    JsonNode mailpit = services.path("mailpit");
    assertThat(publishedPorts(mailpit)).contains("127.0.0.1:8025:8025");
  }

  @Test
  void vigilServicesAreBuiltHereAndCheckedForReadiness() throws Exception {
    JsonNode services = renderCompose().path("services");
    for (Map.Entry<String, Integer> service : VIGIL_SERVICES.entrySet()) {
      JsonNode node = services.path(service.getKey());
      assertThat(Path.of(node.at("/build/context").asText()).normalize())
          .as("%s is built from the repository's Dockerfile", service.getKey())
          .isEqualTo(ROOT);
      assertThat(node.path("command").get(0).asText()).isEqualTo(service.getKey());
      assertThat(texts(node.at("/healthcheck/test")))
          .as("%s's health check", service.getKey())
          .containsExactly(
              "CMD", "vigil-healthcheck", "http://127.0.0.1:" + service.getValue() + "/readyz");
      assertThat(publishedPorts(node))
          .contains("127.0.0.1:" + service.getValue() + ":" + service.getValue());
      String config = hostPathMountedAt(node, "/etc/vigil/" + service.getKey() + ".yaml");
      assertThat(Path.of(config))
          .isEqualTo(ROOT.resolve("deploy/compose/" + service.getKey() + ".yaml"));
    }
    assertThat(publishedPorts(services.path("collector")))
        .contains("127.0.0.1:4317:4317", "127.0.0.1:4318:4318");
  }

  @Test
  void everyLongRunningServiceHasAHealthCheck() throws Exception {
    JsonNode services = renderCompose().path("services");
    services
        .fields()
        .forEachRemaining(
            e -> {
              boolean oneShot = ONE_SHOT.contains(e.getKey());
              boolean workload = e.getKey().startsWith("workload-");
              if (!oneShot && !workload) {
                assertThat(e.getValue().path("healthcheck").path("test").isMissingNode())
                    .as("%s has no healthcheck", e.getKey())
                    .isFalse();
              }
            });
  }

  @Test
  void hostPortsAreBoundToLoopbackOnly() throws Exception {
    JsonNode services = renderCompose().path("services");
    services
        .fields()
        .forEachRemaining(
            e -> {
              for (String port : publishedPorts(e.getValue())) {
                assertThat(port).as("a port of %s", e.getKey()).startsWith("127.0.0.1:");
              }
            });
  }

  @Test
  void imagesArePinned() throws Exception {
    JsonNode services = renderCompose().path("services");
    services
        .fields()
        .forEachRemaining(
            e -> {
              String image = e.getValue().path("image").asText();
              assertThat(image).as("image of %s", e.getKey()).isNotEmpty();
              String tag = image.substring(image.lastIndexOf('/') + 1);
              assertThat(tag).as("image of %s", e.getKey()).contains(":").doesNotEndWith(":latest");
            });
  }

  @Test
  void nodeExporterIsScrapedByPrometheusAndByTheCollector() throws Exception {
    JsonNode services = renderCompose().path("services");
    assertThat(services.at("/node-exporter/image").asText()).startsWith("prom/node-exporter:v");

    Path prometheusFile =
        Path.of(hostPathMountedAt(services.path("prometheus"), "/etc/prometheus/prometheus.yml"));
    List<String> prometheusTargets = new ArrayList<>();
    for (JsonNode job : YAML.readTree(prometheusFile.toFile()).path("scrape_configs")) {
      for (JsonNode config : job.path("static_configs")) {
        prometheusTargets.addAll(texts(config.path("targets")));
      }
    }
    assertThat(prometheusTargets)
        .contains("node-exporter:9100", "collector:8888", "processor:8889", "alerting:8890");

    // The collector's own loader: the scrape job is valid and on.
    ScrapeSettings scrape = composeCollector(services).scrape();
    assertThat(scrape.enabled()).isTrue();
    assertThat(scrape.jobs())
        .anySatisfy(
            job -> {
              assertThat(job.job()).isEqualTo("node");
              assertThat(job.targets()).containsExactly("node-exporter:9100");
            });
  }

  /** The consumer-lag panels of the Grafana dashboards read what this watcher reports. */
  @Test
  void collectorWatchesTheConsumerGroupsOfTheStacksKafka() throws Exception {
    LagSettings lag = composeCollector(renderCompose().path("services")).lag();
    assertThat(lag.enabled()).isTrue();
    assertThat(lag.clusters())
        .singleElement()
        .satisfies(
            cluster -> {
              assertThat(cluster.bootstrapServers()).isEqualTo("kafka:9092");
              assertThat(cluster.groups()).as("every group, Vigil's own among them").isEmpty();
            });
  }

  @Test
  void grafanaIsProvisionedWithTheDashboards() throws Exception {
    JsonNode grafana = renderCompose().path("services").path("grafana");
    assertThat(Path.of(hostPathMountedAt(grafana, "/etc/grafana/provisioning")))
        .isEqualTo(ROOT.resolve("dashboards/grafana/provisioning"));
    Path dashboards = Path.of(hostPathMountedAt(grafana, "/var/lib/grafana/dashboards"));
    assertThat(dashboards).isEqualTo(ROOT.resolve("dashboards/grafana/dashboards"));
    try (Stream<Path> files = Files.list(dashboards)) {
      assertThat(files.filter(f -> f.toString().endsWith(".json")).count()).isPositive();
    }
  }

  @Test
  void kibanaSavedObjectsAreImportedOnceKibanaIsHealthy() throws Exception {
    JsonNode services = renderCompose().path("services");
    JsonNode kibana = services.path("kibana");
    assertThat(publishedPorts(kibana)).contains("127.0.0.1:5601:5601");
    assertThat(texts(kibana.at("/healthcheck/test"))).anyMatch(t -> t.contains("/api/status"));

    JsonNode importer = services.path("kibana-import");
    assertThat(importer.at("/depends_on/kibana/condition").asText()).isEqualTo("service_healthy");
    assertThat(importer.path("restart").asText()).as("a one-shot").isEqualTo("no");
    assertThat(importer.at("/environment/KIBANA_URL").asText()).isEqualTo("http://kibana:5601");
    List<String> entrypoint = texts(importer.path("entrypoint"));
    assertThat(entrypoint).hasSize(2);
    String script = entrypoint.get(1);
    String folder = script.substring(0, script.lastIndexOf('/'));
    assertThat(Path.of(hostPathMountedAt(importer, folder), script.substring(folder.length() + 1)))
        .isEqualTo(KIBANA_IMPORT);
    String savedObjects = importer.at("/environment/KIBANA_SAVED_OBJECTS").asText();
    assertThat(Path.of(hostPathMountedAt(importer, savedObjects))).isEqualTo(SAVED_OBJECTS);
  }

  @Test
  void slackWebhookReachesTheFileAlertmanagerYmlReads() throws Exception {
    JsonNode services = renderCompose().path("services");
    JsonNode writer = services.path("slack-webhook");
    assertThat(writer.at("/environment/SLACK_WEBHOOK_URL").asText())
        .as("the environment variable, interpolated")
        .isEqualTo(SLACK_URL);
    assertThat(String.join("\n", texts(writer.path("command"))))
        .contains("/secrets/slack-webhook-url");
    String volume = volumeMountedAt(writer, "/secrets");
    assertThat(volumeMountedAt(services.path("alerting"), "/run/secrets/vigil")).isEqualTo(volume);
    assertThat(services.at("/alerting/depends_on/slack-webhook/condition").asText())
        .isEqualTo("service_completed_successfully");
    JsonNode routing = YAML.readTree(ROOT.resolve("deploy/compose/alertmanager.yml").toFile());
    assertThat(routing.at("/global/slack_api_url_file").asText())
        .isEqualTo("/run/secrets/vigil/slack-webhook-url");
  }

  @Test
  void workloadSendsToTheCollectorOnlyInItsProfile() throws Exception {
    JsonNode services = renderCompose().path("services");
    int workloads = 0;
    for (Map.Entry<String, JsonNode> e : iterable(services)) {
      if (!e.getKey().startsWith("workload-")) {
        assertThat(e.getValue().path("profiles").isMissingNode())
            .as("%s starts by default", e.getKey())
            .isTrue();
        continue;
      }
      workloads++;
      JsonNode workload = e.getValue();
      assertThat(texts(workload.path("profiles"))).containsExactly("workload");
      assertThat(workload.at("/depends_on/collector/condition").asText())
          .isEqualTo("service_healthy");
      String image = workload.path("image").asText();
      if (image.contains("/telemetrygen:")) {
        assertThat(texts(workload.path("command")))
            .contains("--otlp-endpoint=collector:4317", "--otlp-insecure");
      } else {
        String script = texts(workload.path("entrypoint")).get(1);
        assertThat(hostPathMountedAt(workload, "/workload")).isEqualTo(WORKLOAD.toString());
        assertThat(WORKLOAD.resolve(script.substring("/workload/".length()))).isRegularFile();
        String url =
            workload.path("environment").has("OTLP_METRICS_URL")
                ? workload.at("/environment/OTLP_METRICS_URL").asText()
                : workload.at("/environment/LINEAGE_URL").asText();
        assertThat(url).startsWith("http://collector:4318/");
      }
    }
    assertThat(workloads).isEqualTo(5);
  }

  /** The check above can fail: the same tool refuses a broken copy, and accepts an intact one. */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "'    healthcheck:'|'    healthchek:'|healthchek",
        "'alerting-secrets:/run/secrets/vigil:ro'|'alerting-secret:/run/secrets/vigil:ro'|alerting-secret",
        "'retries: 12'|'retries: twelve'|retries"
      })
  void composeConfigRefusesABrokenFile(String from, String to, String named, @TempDir Path dir)
      throws Exception {
    assumeTrue(Tools.onPath("docker-compose"), "docker-compose is not installed");
    String original = Files.readString(COMPOSE_FILE);
    assertThat(original).contains(from);
    Path intact = dir.resolve("intact/docker-compose.yml");
    Files.createDirectories(intact.getParent());
    Files.writeString(intact, original);
    assertThat(compose(intact).exit()).as("the intact copy").isZero();

    Path broken = dir.resolve("broken/docker-compose.yml");
    Files.createDirectories(broken.getParent());
    Files.writeString(broken, original.replace(from, to));
    Result result = compose(broken);
    assertThat(result.exit()).as(result.output()).isNotZero();
    assertThat(result.output()).contains(named);
  }

  @Test
  void composeFileFollowsTheComposeSpecification(@TempDir Path dir) throws Exception {
    Result result = lint("dclint", "--color=false", "-q", COMPOSE_FILE.toString());
    assertThat(result.exit()).as(result.output()).isZero();

    Path broken = dir.resolve("docker-compose.yml");
    Files.writeString(
        broken, Files.readString(COMPOSE_FILE).replace("    ulimits:", "    ulimitz:"));
    Result refused = lint("dclint", "--color=false", "-q", broken.toString());
    assertThat(refused.exit()).as(refused.output()).isNotZero();
    assertThat(refused.output()).contains("invalid-schema");
  }

  // ---- Dockerfile and .dockerignore

  @Test
  void dockerfileLintsClean(@TempDir Path dir) throws Exception {
    Result result = lint("dockerfile-utils", "lint", DOCKERFILE.toString());
    assertThat(result.exit()).as(result.output()).isZero();

    Path broken = dir.resolve("Dockerfile");
    Files.writeString(
        broken,
        Files.readString(DOCKERFILE).replace("--interval=30s --timeout=10s", "--interval=30"));
    Result refused = lint("dockerfile-utils", "lint", broken.toString());
    assertThat(refused.exit()).as(refused.output()).isNotZero();
    assertThat(refused.output()).contains("missing unit in duration");
  }

  @Test
  void imageIsMultiStageNonRootAndHealthChecked() throws IOException {
    Dockerfile file = Dockerfile.read(DOCKERFILE);
    assertThat(file.stages()).extracting(Stage::name).contains("build", "prebuilt", "jar");

    Stage build = file.stage("build");
    // Compiled on the oldest Java it runs on; run on 25, where the ENTRYPOINT's flag exists.
    assertThat(file.resolve(build.from())).startsWith("eclipse-temurin:17-jdk");
    Instruction maven = build.only("RUN");
    assertThat(maven.arguments())
        .contains("--mount=type=cache,target=/root/.m2")
        .contains("mvnw")
        .contains("-pl cli -am package")
        .contains("-Dmaven.test.skip=true")
        .contains("cp cli/target/vigil.jar /out/vigil.jar");
    assertThat(file.stage("prebuilt").only("COPY").arguments())
        .isEqualTo("cli/target/vigil.jar /out/vigil.jar");
    assertThat(file.resolve(file.stage("jar").from())).isEqualTo("build");

    Stage runtime = file.stages().get(file.stages().size() - 1);
    assertThat(file.resolve(runtime.from())).startsWith("eclipse-temurin:25-jre");
    String user = file.resolve(runtime.only("USER").arguments(), runtime);
    assertThat(user).as("numeric, non-root").matches("[1-9][0-9]*:[0-9]+").startsWith("10001:");
    assertThat(runtime.all("COPY"))
        .extracting(Instruction::arguments)
        .contains("--from=jar /out/vigil.jar /opt/vigil/vigil.jar");
    assertThat(runtime.only("HEALTHCHECK").arguments())
        .contains("CMD [\"/usr/local/bin/vigil-healthcheck\"]");
    assertThat(runtime.all("COPY"))
        .extracting(Instruction::arguments)
        .anyMatch(
            a -> a.endsWith("deploy/docker/vigil-healthcheck /usr/local/bin/vigil-healthcheck"));
    List<String> command = entrypoint(runtime);
    assertThat(command.get(0)).isEqualTo("java");
    assertThat(command)
        .contains(
            "-XX:+UseCompactObjectHeaders",
            "--sun-misc-unsafe-memory-access=allow",
            "--enable-native-access=ALL-UNNAMED");
    assertThat(command.subList(command.size() - 2, command.size()))
        .containsExactly("-jar", "/opt/vigil/vigil.jar");
  }

  /**
   * The image's JVM options (the ENTRYPOINT's, up to {@code -jar}) start Java 25, which the image
   * runs, and keep its warnings about protobuf's and Netty's ways off stderr: without them the same
   * program prints both. Skipped where no JDK 25 is installed ({@code VIGIL_JDK25}, else Temurin's
   * Debian path).
   */
  @Test
  void entrypointOptionsRunJava25WithoutLibraryWarnings() throws Exception {
    Path java =
        Path.of(
            System.getenv().getOrDefault("VIGIL_JDK25", "/usr/lib/jvm/temurin-25-jdk-amd64"),
            "bin",
            "java");
    assumeTrue(Files.isExecutable(java), "no JDK 25 at " + java + " (set VIGIL_JDK25)");
    Dockerfile file = Dockerfile.read(DOCKERFILE);
    Stage runtime = file.stages().get(file.stages().size() - 1);
    List<String> command = entrypoint(runtime);
    List<String> options = command.subList(1, command.indexOf("-jar"));

    Result bare = run(program(java, List.of()), Map.of(), 60);
    assertThat(bare.exit()).as(bare.output()).isZero();
    assertThat(bare.output())
        .as("the warnings the options are for")
        .contains("sun.misc.Unsafe::arrayBaseOffset has been called by com.google.protobuf")
        .contains("System::loadLibrary has been called by io.netty");

    Result image = run(program(java, options), Map.of(), 60);
    assertThat(image.exit()).as(image.output()).isZero();
    assertThat(image.output()).contains("epoll ").doesNotContain("WARNING");
  }

  /**
   * {@code ./vigil} on Java 25 or newer runs the services with the image's JVM options, all but
   * those that only a container needs (heap from its memory limit, exit to be restarted, where to
   * write): an option added to one of the two files and not the other fails here.
   */
  @Test
  void vigilScriptRunsJava25WithTheImageOptions() throws IOException {
    Dockerfile file = Dockerfile.read(DOCKERFILE);
    List<String> command = entrypoint(file.stages().get(file.stages().size() - 1));
    Set<String> containerOnly =
        Set.of(
            "-XX:MaxRAMPercentage=75",
            "-XX:InitialRAMPercentage=25",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.io.tmpdir=/tmp");
    List<String> image =
        command.subList(1, command.indexOf("-jar")).stream()
            .filter(o -> !containerOnly.contains(o))
            .toList();

    Matcher options =
        Pattern.compile("(?m)^\\s*\\*\\) RUNTIME_OPTS=\"([^\"]*)\" ;;$")
            .matcher(Files.readString(ROOT.resolve("vigil")));
    assertThat(options.find()).as("./vigil sets RUNTIME_OPTS for Java 25 or newer").isTrue();
    assertThat(List.of(options.group(1).split(" "))).isEqualTo(image);
  }

  /** The exec-form ENTRYPOINT of {@code stage}, word by word. */
  private static List<String> entrypoint(Stage stage) throws IOException {
    return texts(JSON.readTree(stage.only("ENTRYPOINT").arguments()));
  }

  /** {@code java}, {@code options} and {@link LibraryWarnings} on this test's class path. */
  private static List<String> program(Path java, List<String> options) {
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(options);
    command.addAll(
        List.of("-cp", System.getProperty("java.class.path"), LibraryWarnings.class.getName()));
    return command;
  }

  @Test
  void baseImagesAreTaggedNeverLatest() throws IOException {
    Dockerfile file = Dockerfile.read(DOCKERFILE);
    for (Stage stage : file.stages()) {
      String image = file.resolve(stage.from());
      if (image.equals("scratch") || file.stageNames().contains(image)) {
        continue;
      }
      String tag = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
      tag = tag.substring(tag.lastIndexOf('/') + 1);
      assertThat(tag).as("FROM %s", image).contains(":").doesNotEndWith(":latest");
      assertThat(tag.substring(tag.indexOf(':') + 1))
          .as("FROM %s names a Java major line, 17 or 25", image)
          .matches("(17|25)-.*");
    }
  }

  /** Maven reads the pom.xml of every module the root pom lists, built or not. */
  @Test
  void buildStageHasEveryModulePom() throws IOException {
    String rootPom = Files.readString(ROOT.resolve("pom.xml"));
    Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(rootPom);
    List<String> copied =
        Dockerfile.read(DOCKERFILE).stage("build").all("COPY").stream()
            .map(Instruction::arguments)
            .toList();
    int modules = 0;
    while (m.find()) {
      modules++;
      assertThat(copied)
          .as("module %s's pom.xml in the image build", m.group(1))
          .contains(m.group(1) + "/pom.xml " + m.group(1) + "/");
    }
    assertThat(modules).isPositive();
  }

  /** The jar the image copies is the one cli's shade plugin writes. */
  @Test
  void imageCopiesTheJarTheBuildWrites() throws IOException {
    String cliPom = Files.readString(ROOT.resolve("cli/pom.xml"));
    assertThat(cliPom).contains("<outputFile>${project.build.directory}/vigil.jar</outputFile>");
    assertThat(Files.readString(DOCKERFILE)).contains("cli/target/vigil.jar");
  }

  @Test
  void dockerignoreAdmitsWhatTheDockerfileCopiesAndNothingElse() throws IOException {
    DockerIgnore ignore = DockerIgnore.read(ROOT.resolve(".dockerignore"));
    for (Stage stage : Dockerfile.read(DOCKERFILE).stages()) {
      for (Instruction copy : stage.all("COPY")) {
        List<String> words =
            Stream.of(copy.arguments().split("\\s+")).filter(w -> !w.startsWith("--")).toList();
        if (copy.arguments().contains("--from=")) {
          continue;
        }
        for (String source : words.subList(0, words.size() - 1)) {
          assertThat(ignore.admits(source)).as("%s reaches the image build", source).isTrue();
          if (!source.equals("cli/target/vigil.jar")) {
            assertThat(ROOT.resolve(source)).as("%s exists", source).exists();
          }
        }
      }
    }
    for (String kept :
        List.of(
            ".git/HEAD",
            "local/src/test/java/io/vigil/cli/ContainerFilesTest.java",
            "cli/target/classes/vigil-version.properties",
            ".vigil/elasticsearch/bin/elasticsearch",
            "deploy/lint/node_modules/dclint/package.json",
            "README.md")) {
      assertThat(ignore.admits(kept)).as("%s stays out of the build context", kept).isFalse();
    }
  }

  // ---- the scripts, run for real

  @Test
  void healthCheckFollowsTheAdminEndpoint() throws Exception {
    assumeTrue(Tools.onPath("sh") && Tools.onPath("curl"), "sh or curl is not installed");
    AtomicInteger status = new AtomicInteger(200);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          exchange.sendResponseHeaders(status.get(), -1);
          exchange.close();
        });
    server.start();
    try {
      int port = server.getAddress().getPort();
      String nobody = String.valueOf(freePort());
      Path script = ROOT.resolve("deploy/docker/vigil-healthcheck");
      Map<String, String> ports = Map.of("VIGIL_ADMIN_PORTS", nobody + " " + port);

      assertThat(run(List.of("sh", script.toString()), ports, 30).exit()).isZero();
      assertThat(
              run(
                      List.of("sh", script.toString(), "http://127.0.0.1:" + port + "/readyz"),
                      Map.of(),
                      30)
                  .exit())
          .isZero();

      status.set(503);
      Result unhealthy = run(List.of("sh", script.toString()), ports, 30);
      assertThat(unhealthy.exit()).isNotZero();
      assertThat(unhealthy.output()).contains("/healthz answered 503");
      assertThat(
              run(
                      List.of("sh", script.toString(), "http://127.0.0.1:" + port + "/readyz"),
                      Map.of(),
                      30)
                  .exit())
          .isNotZero();

      Result nothing =
          run(List.of("sh", script.toString()), Map.of("VIGIL_ADMIN_PORTS", nobody), 30);
      assertThat(nothing.exit()).isNotZero();
      assertThat(nothing.output()).contains("no Vigil admin endpoint answers");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void requestsWorkloadSendsHistogramsTheProcessorReads() throws Exception {
    assumeTrue(
        Tools.onPath("sh") && Tools.onPath("curl") && Tools.onPath("awk"),
        "sh, curl or awk is missing");
    List<Received> received =
        receive(
            "/v1/metrics",
            url ->
                run(
                    List.of("sh", WORKLOAD.resolve("requests.sh").toString()),
                    Map.of(
                        "OTLP_METRICS_URL", url,
                        "WORKLOAD_ITERATIONS", "1",
                        "REQUESTS_INTERVAL_SECONDS", "10",
                        "INCIDENT_EVERY_SECONDS", "1",
                        "INCIDENT_SECONDS", "1"),
                    60));
    Map<String, double[]> requestsAndErrors = new HashMap<>();
    for (Received r : received) {
      assertThat(r.path()).isEqualTo("/v1/metrics");
      ExportMetricsServiceRequest.Builder request = ExportMetricsServiceRequest.newBuilder();
      OtlpJson.merge(r.body(), request);
      for (ResourceMetrics rm : request.getResourceMetricsList()) {
        String service = attribute(rm.getResource().getAttributesList(), "service.name");
        Metric metric = rm.getScopeMetrics(0).getMetrics(0);
        assertThat(metric.getName()).isEqualTo("http.server.request.duration");
        assertThat(metric.getUnit()).isEqualTo("s");
        assertThat(metric.getHistogram().getAggregationTemporality())
            .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA);
        double[] totals = requestsAndErrors.computeIfAbsent(service, s -> new double[3]);
        for (HistogramDataPoint point : metric.getHistogram().getDataPointsList()) {
          assertThat(point.getBucketCountsList().stream().mapToLong(Long::longValue).sum())
              .isEqualTo(point.getCount());
          assertThat(point.getBucketCountsCount()).isEqualTo(point.getExplicitBoundsCount() + 1);
          long seconds =
              TimeUnit.NANOSECONDS.toSeconds(
                  point.getTimeUnixNano() - point.getStartTimeUnixNano());
          assertThat(seconds).as("one interval, give or take the clock's tick").isBetween(10L, 12L);
          totals[2] = seconds;
          long status =
              point.getAttributesList().stream()
                  .filter(kv -> kv.getKey().equals("http.response.status_code"))
                  .findFirst()
                  .orElseThrow()
                  .getValue()
                  .getIntValue();
          totals[0] += point.getCount();
          if (status >= 500) {
            totals[1] += point.getCount();
          }
        }
      }
    }
    assertThat(requestsAndErrors).containsOnlyKeys("checkout", "payments", "catalog");
    // REQUESTS_PER_SECOND (40) over the interval the export covers.
    assertThat(requestsAndErrors.get("checkout")[0])
        .isEqualTo(40 * requestsAndErrors.get("checkout")[2]);
    // HighErrorRatio (config/rules/golden-signals.yaml) fires above 5 %: only during an incident.
    assertThat(requestsAndErrors.get("payments")[1] / requestsAndErrors.get("payments")[0])
        .isGreaterThan(0.05);
    assertThat(requestsAndErrors.get("checkout")[1] / requestsAndErrors.get("checkout")[0])
        .isLessThan(0.05);
  }

  @Test
  void lineageWorkloadSendsRunEventsTheCollectorAccepts() throws Exception {
    assumeTrue(
        Tools.onPath("sh") && Tools.onPath("curl") && Tools.onPath("sed"),
        "sh, curl or sed is missing");
    List<Received> received =
        receive(
            "/api/v1/lineage",
            url ->
                run(
                    List.of("sh", WORKLOAD.resolve("lineage.sh").toString()),
                    Map.of(
                        "LINEAGE_URL", url,
                        "WORKLOAD_ITERATIONS", "1",
                        "LINEAGE_RUN_SECONDS", "0",
                        "LINEAGE_FAIL_EVERY", "1"),
                    60));
    List<String> seen = new ArrayList<>();
    Map<String, String> runs = new LinkedHashMap<>();
    for (Received r : received) {
      String key = new String(LineageEvents.key(r.body()), StandardCharsets.UTF_8);
      JsonNode event = JSON.readTree(r.body());
      assertThat(event.toString()).doesNotContain("@");
      String runId = event.at("/run/runId").asText();
      assertThat(runId).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
      String previous = runs.putIfAbsent(key, runId);
      assertThat(previous == null || previous.equals(runId)).as("one run per job").isTrue();
      seen.add(event.path("eventType").asText() + " " + key);
    }
    assertThat(seen)
        .containsExactly(
            "START airflow/orders_daily",
            "START airflow/customers_hourly",
            "FAIL airflow/orders_daily",
            "COMPLETE airflow/customers_hourly");
  }

  @Test
  void lineageWorkloadRefusesJobNamesThatWouldBreakItsEvents() throws Exception {
    assumeTrue(Tools.onPath("sh"), "sh is not installed");
    Result result =
        run(
            List.of("sh", WORKLOAD.resolve("lineage.sh").toString()),
            Map.of("LINEAGE_JOBS", "orders\"daily", "WORKLOAD_ITERATIONS", "1"),
            30);
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.output()).contains("may hold only letters");
  }

  @Test
  void kibanaImportWaitsForKibanaThenPostsEverySavedObjectsFile() throws Exception {
    assumeTrue(Tools.onPath("sh") && Tools.onPath("curl"), "sh or curl is not installed");
    List<Path> files;
    try (Stream<Path> list = Files.list(SAVED_OBJECTS)) {
      files = list.filter(f -> f.toString().endsWith(".ndjson")).sorted().toList();
    }
    assertThat(files).isNotEmpty();
    long objects = Files.readAllLines(files.get(0)).stream().filter(l -> !l.isBlank()).count();
    try (FakeKibana kibana =
        new FakeKibana(
            1, "{\"successCount\":" + objects + ",\"success\":true,\"successResults\":[]}")) {
      Result result = runKibanaImport(kibana, Map.of());
      assertThat(result.exit()).as(result.output()).isZero();
      assertThat(result.output())
          .contains(files.get(0).getFileName() + ": " + objects + " saved objects imported");

      List<KibanaRequest> requests = kibana.requests();
      assertThat(requests)
          .as("asks until Kibana is up, then imports")
          .extracting(KibanaRequest::method, KibanaRequest::path)
          .startsWith(
              tuple("GET", "/api/status"),
              tuple("GET", "/api/status"),
              tuple("POST", "/api/saved_objects/_import"));
      List<KibanaRequest> imports =
          requests.stream().filter(r -> r.method().equals("POST")).toList();
      assertThat(imports).hasSameSizeAs(files);
      for (int i = 0; i < files.size(); i++) {
        KibanaRequest post = imports.get(i);
        assertThat(post.path()).isEqualTo("/api/saved_objects/_import");
        assertThat(post.query()).isEqualTo("overwrite=true");
        assertThat(post.kbnXsrf()).isEqualTo("true");
        assertThat(post.contentType()).startsWith("multipart/form-data; boundary=");
        Path file = files.get(i);
        assertThat(multipart(post.contentType(), post.body()))
            .singleElement()
            .satisfies(
                part -> {
                  assertThat(part.name()).isEqualTo("file");
                  // Kibana refuses a file whose name does not end in .ndjson.
                  assertThat(part.filename()).isEqualTo(file.getFileName().toString());
                  assertThat(part.content()).isEqualTo(Files.readString(file));
                });
      }
    }
  }

  @Test
  void kibanaImportFailsWhenKibanaRefusesAnObject() throws Exception {
    assumeTrue(Tools.onPath("sh") && Tools.onPath("curl"), "sh or curl is not installed");
    String refused =
        "{\"successCount\":8,\"success\":false,\"errors\":[{\"id\":\"vigil-overview\","
            + "\"type\":\"dashboard\",\"error\":{\"type\":\"missing_references\"}}]}";
    try (FakeKibana kibana = new FakeKibana(0, refused)) {
      Result result = runKibanaImport(kibana, Map.of());
      assertThat(result.exit()).isEqualTo(1);
      assertThat(result.output())
          .contains("vigil.ndjson was not imported (HTTP 200)")
          .contains("vigil-overview")
          .contains("missing_references");
    }
  }

  @Test
  void kibanaImportGivesUpWhenKibanaNeverComesUp() throws Exception {
    assumeTrue(Tools.onPath("sh") && Tools.onPath("curl"), "sh or curl is not installed");
    try (FakeKibana kibana = new FakeKibana(Integer.MAX_VALUE, "{}")) {
      Result result =
          runKibanaImport(kibana, Map.of("KIBANA_WAIT_SECONDS", "1", "KIBANA_POLL_SECONDS", "1"));
      assertThat(result.exit()).isEqualTo(1);
      assertThat(result.output()).contains("/api/status did not answer 200 within 1 s (last: 503)");
      assertThat(kibana.requests()).extracting(KibanaRequest::method).containsOnly("GET");
    }
  }

  // ---- helpers

  private static CollectorConfig composeCollector(JsonNode services) throws Exception {
    JsonNode service = services.path("collector");
    Map<String, String> env = new HashMap<>();
    service
        .path("environment")
        .fields()
        .forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    Path file = Path.of(hostPathMountedAt(service, "/etc/vigil/collector.yaml"));
    return ConfigLoader.load(file, env, ConfigFiles.CollectorFile.class).collector();
  }

  private static Result runKibanaImport(FakeKibana kibana, Map<String, String> settings)
      throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("KIBANA_URL", kibana.url());
    env.put("KIBANA_SAVED_OBJECTS", SAVED_OBJECTS.toString());
    env.put("KIBANA_POLL_SECONDS", "0");
    env.put("KIBANA_WAIT_SECONDS", "30");
    env.putAll(settings);
    return run(List.of("sh", KIBANA_IMPORT.toString()), env, 60);
  }

  /** One request Kibana received: what its import API looks at. */
  private record KibanaRequest(
      String method, String path, String query, String kbnXsrf, String contentType, byte[] body) {}

  /**
   * A stand-in for Kibana: {@code GET /api/status} answers 503 ("Kibana server is not ready yet")
   * the first {@code notReady} times, then 200; {@code POST /api/saved_objects/_import} answers
   * {@code importAnswer}.
   */
  private static final class FakeKibana implements AutoCloseable {
    private final List<KibanaRequest> requests = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    FakeKibana(int notReady, String importAnswer) throws IOException {
      AtomicInteger statusAsked = new AtomicInteger();
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext(
          "/",
          exchange -> {
            requests.add(
                new KibanaRequest(
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getPath(),
                    exchange.getRequestURI().getRawQuery(),
                    exchange.getRequestHeaders().getFirst("kbn-xsrf"),
                    exchange.getRequestHeaders().getFirst("Content-Type"),
                    exchange.getRequestBody().readAllBytes()));
            int status = 404;
            String answer = "{\"statusCode\":404}";
            if (exchange.getRequestURI().getPath().equals("/api/status")) {
              boolean up = statusAsked.incrementAndGet() > notReady;
              status = up ? 200 : 503;
              answer =
                  up
                      ? "{\"status\":{\"overall\":{\"level\":\"available\"}}}"
                      : "Kibana server is not ready yet";
            } else if (exchange.getRequestURI().getPath().equals("/api/saved_objects/_import")) {
              status = 200;
              answer = importAnswer;
            }
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(bytes);
            }
          });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<KibanaRequest> requests() {
      return requests;
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private record Part(String name, String filename, String content) {}

  /** The parts of a multipart/form-data body, as a server reads them (RFC 7578). */
  private static List<Part> multipart(String contentType, byte[] body) {
    Matcher boundary = Pattern.compile("boundary=\"?([^\";]+)\"?").matcher(contentType);
    assertThat(boundary.find()).as(contentType).isTrue();
    String text = new String(body, StandardCharsets.UTF_8);
    String delimiter = "\r\n--" + boundary.group(1);
    String[] chunks = ("\r\n" + text).split(Pattern.quote(delimiter), -1);
    assertThat(chunks[chunks.length - 1]).as("the closing delimiter").startsWith("--");
    Pattern disposition =
        Pattern.compile(
            "(?im)^Content-Disposition: *form-data; *name=\"([^\"]*)\"(?:; *filename=\"([^\"]*)\")?");
    List<Part> parts = new ArrayList<>();
    for (int i = 1; i < chunks.length - 1; i++) {
      String chunk = chunks[i];
      int end = chunk.indexOf("\r\n\r\n");
      assertThat(end).as("part %d has headers", i).isPositive();
      Matcher d = disposition.matcher(chunk.substring(0, end));
      assertThat(d.find()).as("part %d has a form-data Content-Disposition", i).isTrue();
      parts.add(new Part(d.group(1), d.group(2), chunk.substring(end + 4)));
    }
    return parts;
  }

  private static JsonNode rendered;

  private static synchronized JsonNode renderCompose() throws Exception {
    if (rendered == null) {
      assumeTrue(Tools.onPath("docker-compose"), "docker-compose is not installed");
      Result result = compose(COMPOSE_FILE);
      assertThat(result.exit()).as("docker-compose config:%n%s", result.output()).isZero();
      rendered = YAML.readTree(result.output());
    }
    return rendered;
  }

  private static Result compose(Path file) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("SLACK_WEBHOOK_URL", SLACK_URL);
    return run(
        List.of(
            "docker-compose",
            "--project-directory",
            file.getParent().toString(),
            "-f",
            file.toString(),
            "--profile",
            "workload",
            "config"),
        env,
        120);
  }

  private static Result lint(String tool, String... args) throws Exception {
    assumeTrue(Tools.onPath("node"), "node is not installed: the container linters are skipped");
    assumeTrue(Tools.onPath("npm"), "npm is not installed: the container linters are skipped");
    synchronized (ContainerFilesTest.class) {
      if (!Files.isDirectory(LINT.resolve("node_modules/dclint"))
          || !Files.isDirectory(LINT.resolve("node_modules/dockerfile-utils"))) {
        Result install =
            run(
                List.of("npm", "ci", "--no-audit", "--no-fund", "--prefix", LINT.toString()),
                Map.of(),
                600);
        assertThat(install.exit()).as("npm ci in deploy/lint:%n%s", install.output()).isZero();
      }
    }
    List<String> command = new ArrayList<>();
    command.add(LINT.resolve("node_modules/.bin/" + tool).toString());
    command.addAll(List.of(args));
    return run(command, Map.of(), 120);
  }

  private record Received(String path, byte[] body) {}

  private interface Sender {
    Result send(String url) throws Exception;
  }

  /** Runs {@code sender} against a local server on {@code path}; what it received, in order. */
  private static List<Received> receive(String path, Sender sender) throws Exception {
    List<Received> received = new CopyOnWriteArrayList<>();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          received.add(
              new Received(
                  exchange.getRequestURI().getPath(), exchange.getRequestBody().readAllBytes()));
          byte[] answer = "{}".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, answer.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
          }
        });
    server.start();
    try {
      Result result = sender.send("http://127.0.0.1:" + server.getAddress().getPort() + path);
      assertThat(result.exit()).as(result.output()).isZero();
      assertThat(result.output()).doesNotContain("failed").doesNotContain("not accepted");
    } finally {
      server.stop(0);
    }
    assertThat(received).isNotEmpty();
    return received;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static String attribute(List<KeyValue> attributes, String key) {
    return attributes.stream()
        .filter(kv -> kv.getKey().equals(key))
        .findFirst()
        .map(kv -> kv.getValue().getStringValue())
        .orElse(null);
  }

  /** Published ports as host_ip:published:target, from the short (v1) or long (v2) syntax. */
  private static List<String> publishedPorts(JsonNode service) {
    List<String> ports = new ArrayList<>();
    for (JsonNode port : service.path("ports")) {
      if (port.isTextual()) {
        ports.add(port.asText().replaceAll("/tcp$", ""));
      } else {
        ports.add(
            port.path("host_ip").asText("0.0.0.0")
                + ":"
                + port.path("published").asText()
                + ":"
                + port.path("target").asText());
      }
    }
    return ports;
  }

  /** The host path bound at {@code target}, from the short (v1) or long (v2) volume syntax. */
  private static String hostPathMountedAt(JsonNode service, String target) {
    for (JsonNode volume : service.path("volumes")) {
      if (volume.isTextual()) {
        String[] parts = volume.asText().split(":");
        if (parts.length >= 2 && parts[1].equals(target) && parts[0].startsWith("/")) {
          return parts[0];
        }
      } else if (volume.path("target").asText().equals(target)
          && volume.path("type").asText().equals("bind")) {
        return volume.path("source").asText();
      }
    }
    return fail("nothing from the host is mounted at " + target + " in " + service);
  }

  private static String volumeMountedAt(JsonNode service, String target) {
    for (JsonNode volume : service.path("volumes")) {
      if (volume.isTextual()) {
        String[] parts = volume.asText().split(":");
        if (parts.length >= 2 && parts[1].equals(target) && !parts[0].startsWith("/")) {
          return parts[0];
        }
      } else if (volume.path("target").asText().equals(target)
          && volume.path("type").asText().equals("volume")) {
        return volume.path("source").asText();
      }
    }
    return fail("no named volume is mounted at " + target + " in " + service);
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    if (array.isTextual()) {
      texts.add(array.asText());
    }
    array.forEach(n -> texts.add(n.asText()));
    return texts;
  }

  private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode object) {
    return object::fields;
  }

  private record Result(int exit, String output) {}

  private static Result run(List<String> command, Map<String, String> env, int timeoutSeconds)
      throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.directory(ROOT.toFile());
    builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().keySet().removeIf(k -> k.startsWith("COMPOSE_"));
    builder.environment().putAll(env);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s:\n" + output);
    }
    return new Result(process.exitValue(), output);
  }

  // ---- reading a Dockerfile (instructions, stages, ARG defaults)

  private record Instruction(String keyword, String arguments) {}

  private record Stage(String from, String name, List<Instruction> instructions) {
    List<Instruction> all(String keyword) {
      return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    Instruction only(String keyword) {
      List<Instruction> found = all(keyword);
      assertThat(found).as("%s in stage %s", keyword, name).hasSize(1);
      return found.get(0);
    }
  }

  private record Dockerfile(Map<String, String> globalArgs, List<Stage> stages) {
    static Dockerfile read(Path file) throws IOException {
      List<Instruction> instructions = new ArrayList<>();
      StringBuilder current = new StringBuilder();
      for (String line : Files.readAllLines(file)) {
        String trimmed = line.strip();
        if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
          continue;
        }
        if (trimmed.endsWith("\\")) {
          current.append(trimmed, 0, trimmed.length() - 1).append(' ');
          continue;
        }
        current.append(trimmed);
        String text = current.toString().strip().replaceAll("\\s+", " ");
        current.setLength(0);
        if (text.isEmpty()) {
          continue;
        }
        int space = text.indexOf(' ');
        instructions.add(
            new Instruction(
                text.substring(0, space).toUpperCase(java.util.Locale.ROOT),
                text.substring(space + 1).strip()));
      }
      Map<String, String> globalArgs = new LinkedHashMap<>();
      List<Stage> stages = new ArrayList<>();
      List<Instruction> body = null;
      for (Instruction instruction : instructions) {
        if (instruction.keyword().equals("FROM")) {
          String[] words = instruction.arguments().split(" ");
          String name = words.length == 3 && words[1].equalsIgnoreCase("AS") ? words[2] : null;
          body = new ArrayList<>();
          stages.add(new Stage(words[0], name, body));
        } else if (body == null) {
          assertThat(instruction.keyword()).as("before the first FROM").isEqualTo("ARG");
          String[] arg = instruction.arguments().split("=", 2);
          globalArgs.put(arg[0], arg.length == 2 ? arg[1] : "");
        } else {
          body.add(instruction);
        }
      }
      return new Dockerfile(globalArgs, stages);
    }

    Stage stage(String name) {
      return stages.stream()
          .filter(s -> name.equals(s.name()))
          .findFirst()
          .orElseGet(() -> fail("no stage " + name));
    }

    List<String> stageNames() {
      return stages.stream().map(Stage::name).filter(n -> n != null).toList();
    }

    String resolve(String text) {
      return substitute(text, globalArgs);
    }

    String resolve(String text, Stage stage) {
      Map<String, String> args = new HashMap<>(globalArgs);
      for (Instruction arg : stage.all("ARG")) {
        String[] kv = arg.arguments().split("=", 2);
        args.put(kv[0], kv.length == 2 ? kv[1] : args.getOrDefault(kv[0], ""));
      }
      return substitute(text, args);
    }

    private static String substitute(String text, Map<String, String> args) {
      Matcher m = Pattern.compile("\\$\\{(\\w+)}|\\$(\\w+)").matcher(text);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        String name = m.group(1) != null ? m.group(1) : m.group(2);
        String value = args.get(name);
        assertThat(value).as("ARG %s has a default", name).isNotNull();
        m.appendReplacement(out, Matcher.quoteReplacement(value));
      }
      m.appendTail(out);
      return out.toString();
    }
  }

  /**
   * {@code .dockerignore} as Docker reads it: patterns matched with Go's filepath.Match against the
   * path or any of its parents, the last matching pattern deciding, {@code !} re-including.
   */
  private record DockerIgnore(List<String> patterns) {
    static DockerIgnore read(Path file) throws IOException {
      List<String> patterns =
          Files.readAllLines(file).stream()
              .map(String::strip)
              .filter(l -> !l.isEmpty() && !l.startsWith("#"))
              .toList();
      return new DockerIgnore(patterns);
    }

    boolean admits(String path) {
      String clean = path.replaceAll("/+$", "");
      boolean excluded = false;
      for (String pattern : patterns) {
        boolean negate = pattern.startsWith("!");
        String glob = (negate ? pattern.substring(1) : pattern).replaceAll("/+$", "");
        var matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        Path candidate = Path.of(clean);
        boolean matches = false;
        for (Path p = candidate; p != null; p = p.getParent()) {
          if (matcher.matches(p)) {
            matches = true;
            break;
          }
        }
        if (matches) {
          excluded = !negate;
        }
      }
      return !excluded;
    }
  }
}
