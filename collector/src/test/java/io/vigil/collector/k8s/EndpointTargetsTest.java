package io.vigil.collector.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.vigil.collector.scrape.Scraper.TargetSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EndpointTargetsTest {
  private static Service service(String name, Map<String, String> annotations) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("monitoring")
        .withAnnotations(annotations)
        .endMetadata()
        .build();
  }

  /** kube-state-metrics' slice: ports 8080 (http) and 8081 (telemetry), two nodes. */
  private static EndpointSlice slice(String service) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName(service + "-x")
        .withNamespace("monitoring")
        .addToLabels("kubernetes.io/service-name", service)
        .endMetadata()
        .addNewEndpoint()
        .withAddresses("10.0.0.5")
        .withNodeName("node-a")
        .withNewTargetRef()
        .withKind("Pod")
        .withName(service + "-0")
        .endTargetRef()
        .endEndpoint()
        .addNewEndpoint()
        .withAddresses("10.0.1.7")
        .withNodeName("node-b")
        .endEndpoint()
        .addNewEndpoint()
        .withAddresses("10.0.0.9")
        .withNodeName("node-a")
        .withNewConditions()
        .withReady(false)
        .endConditions()
        .endEndpoint()
        .addNewPort()
        .withPort(8080)
        .withProtocol("TCP")
        .endPort()
        .addNewPort()
        .withPort(8081)
        .endPort()
        .addNewPort()
        .withPort(53)
        .withProtocol("UDP")
        .endPort()
        .build();
  }

  @Test
  void aDaemonSetsCollectorTakesTheReadyEndpointsOfItsNodeOnEveryTcpPort() {
    List<TargetSpec> targets =
        EndpointTargets.of(
            List.of(service("kube-state-metrics", Map.of("prometheus.io/scrape", "true"))),
            List.of(slice("kube-state-metrics")),
            "node-a",
            null,
            "kubernetes-service-endpoints");

    assertThat(targets)
        .extracting(TargetSpec::address)
        .containsExactlyInAnyOrder("10.0.0.5:8080", "10.0.0.5:8081");
    assertThat(targets.get(0).labels())
        .containsEntry("k8s.service.name", "kube-state-metrics")
        .containsEntry("k8s.pod.name", "kube-state-metrics-0")
        .containsEntry("k8s.namespace.name", "monitoring")
        .containsEntry("k8s.node.name", "node-a");
    assertThat(targets.get(0).path()).isEqualTo("/metrics");
  }

  @Test
  void theAnnotationsChoosePortPathAndSchemeAndUnannotatedServicesAreLeftAlone() {
    List<TargetSpec> targets =
        EndpointTargets.of(
            List.of(
                service(
                    "kube-state-metrics",
                    Map.of(
                        "prometheus.io/scrape", "true",
                        "prometheus.io/port", "8080",
                        "prometheus.io/path", "federate",
                        "prometheus.io/scheme", "https")),
                service("other", Map.of())),
            List.of(slice("kube-state-metrics"), slice("other")),
            null,
            null,
            "job");

    assertThat(targets)
        .extracting(TargetSpec::address)
        .containsExactlyInAnyOrder("10.0.0.5:8080", "10.0.1.7:8080");
    assertThat(targets)
        .allSatisfy(
            t -> {
              assertThat(t.path()).isEqualTo("/federate");
              assertThat(t.scheme()).isEqualTo("https");
              assertThat(t.job()).isEqualTo("job");
            });
  }
}
