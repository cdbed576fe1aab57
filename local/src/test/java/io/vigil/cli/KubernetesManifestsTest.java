package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vigil.collector.CollectorConfig;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.ConfigLoader;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What {@code kubectl apply -k} would send: every overlay and example under {@code k8s/} renders
 * with {@code kubectl kustomize}, every rendered object validates against the Kubernetes API
 * schemas ({@code k8s/validate/validate.mjs}, npm's kubernetes-models), and the manifests keep the
 * promises {@code k8s/README.md} makes. Skipped only where kubectl, node or npm is absent; no
 * cluster is involved.
 */
class KubernetesManifestsTest {
  private static final Path ROOT = Path.of("..");
  private static final Path K8S = ROOT.resolve("k8s");
  private static final Path VALIDATE = K8S.resolve("validate");
  private static final YAMLMapper YAML = new YAMLMapper();

  /** Every folder a user applies; {@link #everyOverlayAndExampleIsChecked} keeps it complete. */
  private static final List<String> FOLDERS =
      List.of(
          "overlays/dev",
          "overlays/prod",
          "overlays/staging",
          "overlays/remote-cluster",
          "examples/sidecar",
          "examples/collector-hostport");

  private static final List<String> FULL_INSTALLATIONS =
      List.of("overlays/dev", "overlays/prod", "overlays/staging");

  private static final Map<String, List<JsonNode>> RENDERED = new ConcurrentHashMap<>();
  private static final Map<String, String> RENDERED_TEXT = new ConcurrentHashMap<>();

  static Stream<String> folders() {
    return FOLDERS.stream();
  }

  static Stream<String> overlays() {
    return FOLDERS.stream().filter(f -> f.startsWith("overlays/"));
  }

  static Stream<String> fullInstallations() {
    return FULL_INSTALLATIONS.stream();
  }

  @Test
  void everyOverlayAndExampleIsChecked() throws IOException {
    List<String> found = new ArrayList<>();
    for (String parent : List.of("overlays", "examples")) {
      try (Stream<Path> dirs = Files.list(K8S.resolve(parent))) {
        dirs.filter(d -> Files.exists(d.resolve("kustomization.yaml")))
            .forEach(d -> found.add(parent + "/" + d.getFileName()));
      }
    }
    assertThat(FOLDERS).containsExactlyInAnyOrderElementsOf(found);
  }

  @ParameterizedTest
  @MethodSource("folders")
  void everyRenderedObjectMatchesTheKubernetesSchemas(String folder) throws Exception {
    String yaml = renderText(folder);
    Path input = Files.createTempFile("vigil-" + folder.replace('/', '-'), ".yaml");
    try {
      Files.writeString(input, yaml);
      Result result = validate(input, folder);
      assertThat(result.exit()).as(result.output()).isZero();
      assertThat(result.output()).contains(objects(folder).size() + " objects valid");
    } finally {
      Files.deleteIfExists(input);
    }
  }

  @Test
  void validatorRejectsInvalidAndUnknownObjects() throws Exception {
    Path input = Files.createTempFile("vigil-invalid", ".yaml");
    try {
      Files.writeString(
          input,
          """
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: broken}
          spec:
            selector: {matchLabels: {app: x}}
            template:
              metadata: {labels: {app: x}}
              spec:
                containers:
                  - name: x
                    image: x
                    resources: {limits: {memory: lots}}
          ---
          apiVersion: argoproj.io/v1alpha1
          kind: Application
          metadata: {name: vigil}
          spec: {}
          ---
          apiVersion: v1
          kind: Service
          metadata: {name: fine}
          spec: {ports: [{port: 80}]}
          """);
      Result result = validate(input, "fixture");
      assertThat(result.exit()).as(result.output()).isEqualTo(1);
      assertThat(result.output())
          .contains("Deployment broken")
          .contains("limits/memory")
          .contains("Application vigil")
          .contains("unknown apiVersion/kind argoproj.io/v1alpha1/Application")
          .contains("2 of 3 objects invalid")
          .doesNotContain("Service fine");
    } finally {
      Files.deleteIfExists(input);
    }
  }

  @ParameterizedTest
  @MethodSource("folders")
  void everyContainerIsLockedDownAndLimited(String folder) throws Exception {
    for (JsonNode workload : workloads(folder)) {
      JsonNode pod = workload.at("/spec/template/spec");
      assertThat(pod.at("/securityContext/seccompProfile/type").asText())
          .as(name(workload))
          .isEqualTo("RuntimeDefault");
      for (JsonNode container : containers(pod)) {
        String what = name(workload) + " container " + container.path("name").asText();
        JsonNode security = container.path("securityContext");
        assertThat(security.path("readOnlyRootFilesystem").asBoolean()).as(what).isTrue();
        assertThat(security.path("allowPrivilegeEscalation").asText()).as(what).isEqualTo("false");
        assertThat(security.at("/capabilities/drop").toString()).as(what).contains("\"ALL\"");
        assertThat(security.has("privileged") && security.path("privileged").asBoolean())
            .as(what)
            .isFalse();
        assertThat(container.at("/resources/limits/memory").asText()).as(what).isNotEmpty();
        assertThat(container.at("/resources/limits/cpu").asText()).as(what).isNotEmpty();
        assertThat(container.at("/resources/requests/memory").asText()).as(what).isNotEmpty();
        if (isNodeCollector(workload)) {
          // The one exception (k8s/README.md): the kubelet's log files are root's, mode 0640.
          assertThat(security.path("runAsUser").asInt(-1)).as(what).isZero();
          assertThat(mount(container, "/var/log/pods").path("readOnly").asBoolean())
              .as(what)
              .isTrue();
        } else {
          boolean nonRoot =
              security.has("runAsNonRoot")
                  ? security.path("runAsNonRoot").asBoolean()
                  : pod.at("/securityContext/runAsNonRoot").asBoolean();
          assertThat(nonRoot).as(what + " runAsNonRoot").isTrue();
          assertThat(security.path("runAsUser").asInt(10001)).as(what).isNotZero();
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void collectorRunsOnEveryNodeAndKeepsItsSpoolOnTheNode(String folder) throws Exception {
    JsonNode daemonSet = only(folder, "DaemonSet", "vigil-collector");
    JsonNode pod = daemonSet.at("/spec/template/spec");
    // Tolerates every taint: one toleration with operator Exists and neither key nor effect.
    assertThat(pod.path("tolerations"))
        .anySatisfy(
            t -> {
              assertThat(t.path("operator").asText()).isEqualTo("Exists");
              assertThat(t.has("key")).isFalse();
              assertThat(t.has("effect")).isFalse();
            });
    JsonNode container = containers(pod).get(0);
    assertThat(env(container, "NODE_NAME").at("/valueFrom/fieldRef/fieldPath").asText())
        .isEqualTo("spec.nodeName");
    // The kubelet-cadvisor scrape job's target: this node's kubelet.
    assertThat(env(container, "NODE_IP").at("/valueFrom/fieldRef/fieldPath").asText())
        .isEqualTo("status.hostIP");
    assertThat(env(container, "POD_NAMESPACE").at("/valueFrom/fieldRef/fieldPath").asText())
        .isEqualTo("metadata.namespace");
    JsonNode spool = mount(container, "/var/lib/vigil/spool");
    assertThat(spool.path("subPathExpr").asText()).isEqualTo("$(POD_NAMESPACE)");
    JsonNode volume = volume(pod, spool.path("name").asText());
    assertThat(volume.at("/hostPath/path").asText()).isEqualTo("/var/lib/vigil/spool");
    assertThat(volume.at("/hostPath/type").asText()).isEqualTo("DirectoryOrCreate");

    JsonNode role = only(folder, "ClusterRole", "vigil-collector");
    assertThat(role.path("rules"))
        .anySatisfy(
            rule -> {
              assertThat(rule.path("resources").toString()).contains("\"namespaces\"");
              assertThat(rule.path("verbs").toString()).contains("\"list\"", "\"watch\"");
            })
        .anySatisfy(
            rule -> {
              // The kubelet authorizes /metrics/cadvisor as "get nodes/metrics".
              assertThat(rule.path("resources").toString()).isEqualTo("[\"nodes/metrics\"]");
              assertThat(rule.path("verbs").toString()).isEqualTo("[\"get\"]");
            })
        .allSatisfy(rule -> assertThat(rule.path("verbs").toString()).doesNotContain("create"));
    // What each kubernetes_sd_configs role lists and watches (a job with a role the collector
    // may not read fails at start naming it).
    for (String[] read :
        new String[][] {
          {"", "pods"},
          {"", "services"},
          {"", "nodes"},
          {"", "endpoints"},
          {"discovery.k8s.io", "endpointslices"},
          {"networking.k8s.io", "ingresses"}
        }) {
      assertThat(role.path("rules"))
          .as("list and watch %s in API group '%s'", read[1], read[0])
          .anySatisfy(
              rule -> {
                assertThat(rule.path("apiGroups").toString()).contains("\"" + read[0] + "\"");
                assertThat(rule.path("resources").toString()).contains("\"" + read[1] + "\"");
                assertThat(rule.path("verbs").toString()).contains("\"list\"", "\"watch\"");
              });
    }
  }

  @ParameterizedTest
  @MethodSource("fullInstallations")
  void processorIsScaledByItsAutoscalerAndEverythingHasProbesAndABudget(String folder)
      throws Exception {
    JsonNode processor = only(folder, "Deployment", "vigil-processor");
    // The HPA owns the replica count: a replicas field would be reset on every apply.
    assertThat(processor.at("/spec/replicas").isMissingNode()).isTrue();
    JsonNode hpa = only(folder, "HorizontalPodAutoscaler", "vigil-processor");
    assertThat(hpa.path("apiVersion").asText()).isEqualTo("autoscaling/v2");
    assertThat(hpa.at("/spec/scaleTargetRef/name").asText()).isEqualTo("vigil-processor");
    assertThat(hpa.at("/spec/maxReplicas").asInt())
        .isGreaterThanOrEqualTo(hpa.at("/spec/minReplicas").asInt(1));
    assertThat(only(folder, "Deployment", "vigil-alerting").at("/spec/replicas").asInt())
        .isGreaterThanOrEqualTo(folder.endsWith("dev") ? 1 : 2);
    for (String name : List.of("vigil-processor", "vigil-alerting")) {
      assertThat(only(folder, "PodDisruptionBudget", name).at("/spec/maxUnavailable").asInt())
          .isEqualTo(1);
    }
    for (JsonNode workload : workloads(folder)) {
      JsonNode annotations = workload.at("/spec/template/metadata/annotations");
      assertThat(annotations.path("prometheus.io/scrape").asText()).isEqualTo("true");
      JsonNode container = containers(workload.at("/spec/template/spec")).get(0);
      String port = annotations.path("prometheus.io/port").asText();
      assertThat(container.path("ports"))
          .as(name(workload) + " scrape port")
          .anySatisfy(p -> assertThat(p.path("containerPort").asText()).isEqualTo(port));
      assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
      assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
    }
  }

  @ParameterizedTest
  @MethodSource("fullInstallations")
  void networkPoliciesOpenOnlyWhatEachPartNeeds(String folder) throws Exception {
    for (String name : List.of("vigil-collector", "vigil-processor", "vigil-alerting")) {
      JsonNode policy = only(folder, "NetworkPolicy", name);
      assertThat(policy.at("/spec/podSelector/matchLabels/app.kubernetes.io~1name").asText())
          .isEqualTo(name);
      assertThat(policy.at("/spec/policyTypes").toString()).contains("Ingress", "Egress");
      assertThat(policy.at("/spec/egress").toString()).as(name + " DNS").contains("\"port\":53");
      assertThat(policy.at("/spec/egress").toString()).as(name + " Kafka").contains("9092");
    }
    JsonNode collector = only(folder, "NetworkPolicy", "vigil-collector").at("/spec/ingress");
    JsonNode otlp = ruleFor(collector, 4317);
    assertThat(otlp.path("from").toString()).isEqualTo("[{\"namespaceSelector\":{}}]");
    assertThat(ruleFor(collector, 4318)).isEqualTo(otlp);
    assertThat(ruleFor(collector, 8888).path("from").toString())
        .contains("\"kubernetes.io/metadata.name\":\"monitoring\"");
    JsonNode processor = only(folder, "NetworkPolicy", "vigil-processor").at("/spec/ingress");
    assertThat(ruleFor(processor, 8889).path("from").toString())
        .isEqualTo(
            "[{\"namespaceSelector\":{\"matchLabels\":"
                + "{\"kubernetes.io/metadata.name\":\"monitoring\"}}}]");
  }

  @Test
  void remoteClusterRunsCollectorsOnlyWithKafkaCredentials() throws Exception {
    String folder = "overlays/remote-cluster";
    Set<String> kinds = new TreeSet<>();
    for (JsonNode object : objects(folder)) {
      kinds.add(object.path("kind").asText());
      assertThat(object.at("/metadata/name").asText())
          .doesNotContain("processor")
          .doesNotContain("alerting");
    }
    assertThat(kinds)
        .doesNotContain("Deployment", "StatefulSet", "HorizontalPodAutoscaler")
        .contains("DaemonSet");
    assertThat(renderText(folder)).doesNotContain("vigil-alerting-secrets");

    JsonNode container =
        containers(only(folder, "DaemonSet", "vigil-collector").at("/spec/template/spec")).get(0);
    assertThat(env(container, "KAFKA_SASL_JAAS_CONFIG").at("/valueFrom/secretKeyRef/name").asText())
        .isEqualTo("vigil-kafka-client");
    assertThat(mount(container, "/run/secrets/kafka").path("readOnly").asBoolean()).isTrue();
    JsonNode env = generated(folder, "vigil-env").path("data");
    assertThat(env.path("CLUSTER_NAME").asText()).isNotBlank().isNotEqualTo("default");
    assertThat(env.path("KAFKA_BOOTSTRAP_SERVERS").asText()).isNotBlank();
  }

  @Test
  void hostPortComponentOpensOtlpHttpOnEachNode() throws Exception {
    JsonNode pod =
        only("examples/collector-hostport", "DaemonSet", "vigil-collector")
            .at("/spec/template/spec");
    assertThat(containers(pod).get(0).path("ports"))
        .filteredOn(p -> p.has("hostPort"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.path("name").asText()).isEqualTo("otlp-http");
              assertThat(p.path("hostPort").asInt()).isEqualTo(4318);
            });
  }

  /** Rendering needs no kubectl: the configuration files themselves, as the services load them. */
  @Test
  void remoteClusterCollectorConfigIsTheBaseOneWithKafkaSecurity() {
    String jaas =
        "org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"edge-1\" password=\"p=a;s#s:w\";";
    Map<String, String> env =
        Map.of(
            "KAFKA_BOOTSTRAP_SERVERS", "kafka.example.com:9093",
            "CLUSTER_NAME", "edge-1",
            "NODE_NAME", "node-a",
            "NODE_IP", "10.0.0.5",
            "KAFKA_SASL_JAAS_CONFIG", jaas);
    CollectorConfig base = collectorConfig(K8S.resolve("base/config/collector.yaml"), env);
    CollectorConfig remote =
        collectorConfig(K8S.resolve("overlays/remote-cluster/collector.yaml"), env);

    assertThat(remote).usingRecursiveComparison().ignoringFields("kafka").isEqualTo(base);
    assertThat(remote.kafka().topics().create()).isFalse();
    assertThat(remote.kafka().overrides())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.jaas.config", jaas)
        .containsEntry("ssl.truststore.location", "/run/secrets/kafka/ca.crt");
    assertThat(remote.logs().checkpointId()).isEqualTo("edge-1.node-a");
    assertThat(remote.resource())
        .containsEntry("k8s.cluster.name", "edge-1")
        .containsEntry("k8s.node.name", "node-a");

    Map<String, String> unnamed = new HashMap<>(env);
    unnamed.remove("CLUSTER_NAME");
    assertThatThrownBy(
            () -> collectorConfig(K8S.resolve("overlays/remote-cluster/collector.yaml"), unnamed))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CLUSTER_NAME");
  }

  @Test
  void sidecarCollectorTailsTheApplicationsLogVolume() throws Exception {
    CollectorConfig config =
        collectorConfig(
            K8S.resolve("examples/sidecar/collector.yaml"),
            Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "kafka:9092",
                "CLUSTER_NAME", "prod",
                "POD_NAMESPACE", "shop",
                "POD_NAME", "checkout-1",
                "NODE_NAME", "node-a",
                "SERVICE_NAME", "checkout"));
    assertThat(config.logs().enabled()).isTrue();
    assertThat(config.logs().checkpointId()).isEqualTo("prod.shop.checkout-1");

    JsonNode pod = only("examples/sidecar", "Deployment", "checkout").at("/spec/template/spec");
    JsonNode sidecar = pod.path("initContainers").get(0);
    assertThat(sidecar.path("restartPolicy").asText()).isEqualTo("Always");
    JsonNode app = pod.path("containers").get(0);
    JsonNode appLogs = mount(app, "/var/log/app");
    JsonNode tailed = mount(sidecar, "/var/log/app");
    assertThat(tailed.path("name").asText()).isEqualTo(appLogs.path("name").asText());
    assertThat(tailed.path("readOnly").asBoolean()).isTrue();
    assertThat(volume(pod, appLogs.path("name").asText()).has("emptyDir")).isTrue();
    assertThat(config.logs().include()).allMatch(glob -> glob.startsWith("/var/log/app/"));
    assertThat(env(app, "OTEL_EXPORTER_OTLP_ENDPOINT").path("value").asText())
        .isEqualTo("http://localhost:" + config.otlp().http().port());
  }

  /** A Secret a workload needs is generated by the overlay or documented for the user to create. */
  @ParameterizedTest
  @MethodSource("overlays")
  void everyRequiredSecretIsGeneratedOrDocumented(String folder) throws Exception {
    String readme = Files.readString(K8S.resolve("README.md"));
    Set<String> generated = new TreeSet<>();
    for (JsonNode object : objects(folder)) {
      if (object.path("kind").asText().equals("Secret")) {
        generated.add(object.at("/metadata/name").asText());
      }
    }
    for (JsonNode workload : workloads(folder)) {
      JsonNode pod = workload.at("/spec/template/spec");
      for (JsonNode volume : pod.path("volumes")) {
        if (volume.has("secret") && !volume.at("/secret/optional").asBoolean()) {
          requireSecret(volume.at("/secret/secretName").asText(), generated, readme, folder);
        }
      }
      for (JsonNode container : containers(pod)) {
        for (JsonNode variable : container.path("env")) {
          JsonNode ref = variable.at("/valueFrom/secretKeyRef");
          if (!ref.isMissingNode() && !ref.path("optional").asBoolean()) {
            requireSecret(ref.path("name").asText(), generated, readme, folder);
          }
        }
      }
    }
  }

  @Test
  void argoCdApplicationsPointAtFoldersThatRender() throws Exception {
    List<JsonNode> apps = new ArrayList<>();
    try (Stream<Path> files = Files.list(K8S.resolve("argocd"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
        apps.addAll(documents(Files.readString(file)));
      }
    }
    assertThat(apps).extracting(a -> a.path("kind").asText()).contains("Application");
    for (JsonNode app : apps) {
      JsonNode spec =
          app.path("kind").asText().equals("ApplicationSet")
              ? app.at("/spec/template/spec")
              : app.path("spec");
      String path = spec.at("/source/path").asText();
      assertThat(path).as(name(app)).startsWith("k8s/");
      String folder = path.substring("k8s/".length());
      assertThat(FOLDERS).as(name(app)).contains(folder);
      assertThat(spec.at("/destination/namespace").asText())
          .as(name(app) + " destination namespace")
          .isEqualTo(objectsOfKind(folder, "Namespace").get(0).at("/metadata/name").asText());
    }
  }

  // ---- rendering and validation

  private record Result(int exit, String output) {}

  private static List<JsonNode> objects(String folder) throws Exception {
    List<JsonNode> objects = RENDERED.get(folder);
    if (objects == null) {
      objects = documents(renderText(folder));
      RENDERED.put(folder, objects);
    }
    return objects;
  }

  private static String renderText(String folder) throws Exception {
    String text = RENDERED_TEXT.get(folder);
    if (text == null) {
      checkKubectl();
      Result result =
          run(List.of("kubectl", "kustomize", K8S.resolve(folder).toString()), null, 120);
      assertThat(result.exit())
          .as("kubectl kustomize k8s/%s:%n%s", folder, result.output())
          .isZero();
      text = result.output();
      RENDERED_TEXT.put(folder, text);
    }
    return text;
  }

  private static void checkKubectl() throws Exception {
    assumeTrue(
        Tools.onPath("kubectl"),
        "kubectl is not installed: the Kubernetes manifests are not checked");
    Result version = run(List.of("kubectl", "version", "--client"), null, 60);
    Matcher m = Pattern.compile("Kustomize Version: v(\\d+)").matcher(version.output());
    if (!m.find() || Integer.parseInt(m.group(1)) < 5) {
      fail(
          "kubectl's Kustomize is too old for k8s/ (needs v5, kubectl 1.27 or newer); it says:\n"
              + version.output());
    }
  }

  private static synchronized Result validate(Path input, String source) throws Exception {
    assumeTrue(Tools.onPath("node"), "node is not installed: the schema check of k8s/ is skipped");
    assumeTrue(Tools.onPath("npm"), "npm is not installed: the schema check of k8s/ is skipped");
    if (!Files.isDirectory(VALIDATE.resolve("node_modules/kubernetes-models"))) {
      Result install =
          run(
              List.of("npm", "ci", "--no-audit", "--no-fund", "--prefix", VALIDATE.toString()),
              null,
              600);
      assertThat(install.exit()).as("npm ci in k8s/validate:%n%s", install.output()).isZero();
    }
    return run(
        List.of("node", VALIDATE.resolve("validate.mjs").toString(), "--source", source),
        input,
        120);
  }

  private static Result run(List<String> command, Path stdin, int timeoutSeconds) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.redirectInput(
        stdin == null
            ? ProcessBuilder.Redirect.from(new File("/dev/null"))
            : ProcessBuilder.Redirect.from(stdin.toFile()));
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s:\n" + output);
    }
    return new Result(process.exitValue(), output);
  }

  // ---- reading the rendered objects

  private static List<JsonNode> documents(String yaml) throws IOException {
    List<JsonNode> documents = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNext()) {
        JsonNode node = it.next();
        if (node != null && !node.isNull() && !node.isMissingNode()) {
          documents.add(node);
        }
      }
    }
    return documents;
  }

  private static List<JsonNode> objectsOfKind(String folder, String kind) throws Exception {
    return objects(folder).stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
  }

  private static JsonNode only(String folder, String kind, String name) throws Exception {
    List<JsonNode> found =
        objectsOfKind(folder, kind).stream()
            .filter(o -> o.at("/metadata/name").asText().equals(name))
            .toList();
    assertThat(found).as("%s %s in k8s/%s", kind, name, folder).hasSize(1);
    return found.get(0);
  }

  /** A generated ConfigMap or Secret, whose name carries a hash suffix. */
  private static JsonNode generated(String folder, String name) throws Exception {
    List<JsonNode> found =
        objects(folder).stream()
            .filter(
                o -> o.at("/metadata/name").asText().matches(Pattern.quote(name) + "-[a-z0-9]{10}"))
            .toList();
    assertThat(found).as("generated %s in k8s/%s", name, folder).hasSize(1);
    return found.get(0);
  }

  private static List<JsonNode> workloads(String folder) throws Exception {
    List<JsonNode> workloads =
        objects(folder).stream()
            .filter(
                o ->
                    Set.of("Deployment", "DaemonSet", "StatefulSet")
                        .contains(o.path("kind").asText()))
            .toList();
    assertThat(workloads).as("workloads in k8s/%s", folder).isNotEmpty();
    return workloads;
  }

  private static List<JsonNode> containers(JsonNode podSpec) {
    List<JsonNode> containers = new ArrayList<>();
    podSpec.path("initContainers").forEach(containers::add);
    podSpec.path("containers").forEach(containers::add);
    return containers;
  }

  private static boolean isNodeCollector(JsonNode workload) {
    return workload.path("kind").asText().equals("DaemonSet")
        && workload.at("/metadata/name").asText().equals("vigil-collector");
  }

  private static JsonNode mount(JsonNode container, String path) {
    for (JsonNode mount : container.path("volumeMounts")) {
      if (mount.path("mountPath").asText().equals(path)) {
        return mount;
      }
    }
    return fail(container.path("name").asText() + " mounts nothing at " + path);
  }

  private static JsonNode volume(JsonNode podSpec, String name) {
    for (JsonNode volume : podSpec.path("volumes")) {
      if (volume.path("name").asText().equals(name)) {
        return volume;
      }
    }
    return fail("no volume " + name);
  }

  private static JsonNode env(JsonNode container, String name) {
    for (JsonNode variable : container.path("env")) {
      if (variable.path("name").asText().equals(name)) {
        return variable;
      }
    }
    return fail(container.path("name").asText() + " has no environment variable " + name);
  }

  /** The one ingress rule that opens {@code port}. */
  private static JsonNode ruleFor(JsonNode ingress, int port) {
    List<JsonNode> rules = new ArrayList<>();
    for (JsonNode rule : ingress) {
      for (JsonNode p : rule.path("ports")) {
        if (p.path("port").asInt() == port) {
          rules.add(rule);
        }
      }
    }
    assertThat(rules).as("ingress rules for port %d", port).hasSize(1);
    return rules.get(0);
  }

  private static void requireSecret(
      String name, Set<String> generated, String readme, String folder) {
    boolean isGenerated =
        generated.stream().anyMatch(g -> g.equals(name) || g.startsWith(name + "-"));
    assertThat(
            isGenerated
                || readme.contains("`" + name + "`")
                || readme.contains("**`" + name + "`**"))
        .as(
            "Secret %s, needed in k8s/%s, is neither generated there nor named in k8s/README.md",
            name, folder)
        .isTrue();
  }

  private static String name(JsonNode object) {
    return object.path("kind").asText() + " " + object.at("/metadata/name").asText();
  }

  private static CollectorConfig collectorConfig(Path file, Map<String, String> env) {
    return ConfigLoader.load(file, env, ConfigFiles.CollectorFile.class).collector();
  }
}
