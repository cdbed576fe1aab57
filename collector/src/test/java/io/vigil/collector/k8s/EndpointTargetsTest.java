package io.vigil.collector.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.vigil.collector.scrape.DiscoveredTarget;
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
        .withName("http")
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
    List<DiscoveredTarget> targets =
        EndpointTargets.annotated(
            List.of(service("kube-state-metrics", Map.of("prometheus.io/scrape", "true"))),
            List.of(slice("kube-state-metrics")),
            "node-a",
            null);

    assertThat(targets)
        .extracting(t -> t.labels().get(DiscoveredTarget.ADDRESS))
        .containsExactlyInAnyOrder("10.0.0.5:8080", "10.0.0.5:8081");
    assertThat(targets.get(0).resource())
        .containsEntry("k8s.service.name", "kube-state-metrics")
        .containsEntry("k8s.pod.name", "kube-state-metrics-0")
        .containsEntry("k8s.namespace.name", "monitoring")
        .containsEntry("k8s.node.name", "node-a");
    assertThat(targets.get(0).labels())
        .as("no annotated path: the job's")
        .doesNotContainKey(DiscoveredTarget.METRICS_PATH);
  }

  @Test
  void theAnnotationsChoosePortPathAndSchemeAndUnannotatedServicesAreLeftAlone() {
    List<DiscoveredTarget> targets =
        EndpointTargets.annotated(
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
            null);

    assertThat(targets)
        .extracting(t -> t.labels().get(DiscoveredTarget.ADDRESS))
        .containsExactlyInAnyOrder("10.0.0.5:8080", "10.0.1.7:8080");
    assertThat(targets)
        .allSatisfy(
            t ->
                assertThat(t.labels())
                    .containsEntry(DiscoveredTarget.METRICS_PATH, "federate")
                    .containsEntry(DiscoveredTarget.SCHEME, "https"));
  }

  @Test
  void everyAddressAndPortOfTheNodeIsATargetWithPrometheusLabels() {
    Service service =
        new ServiceBuilder()
            .withNewMetadata()
            .withName("kube-state-metrics")
            .withNamespace("monitoring")
            .addToLabels("app.kubernetes.io/name", "ksm")
            .addToAnnotations("prometheus.io/scrape", "true")
            .endMetadata()
            .build();

    List<DiscoveredTarget> targets =
        EndpointTargets.all(List.of(service), List.of(slice("kube-state-metrics")), "node-a", null);

    assertThat(targets)
        .as("not ready and non-TCP too: the rules decide")
        .extracting(t -> t.labels().get(DiscoveredTarget.ADDRESS))
        .containsExactlyInAnyOrder(
            "10.0.0.5:8080",
            "10.0.0.5:8081",
            "10.0.0.5:53",
            "10.0.0.9:8080",
            "10.0.0.9:8081",
            "10.0.0.9:53");
    String meta = "__meta_kubernetes_";
    assertThat(targets.get(0).labels())
        .containsAllEntriesOf(
            Map.ofEntries(
                Map.entry(meta + "namespace", "monitoring"),
                Map.entry(meta + "service_name", "kube-state-metrics"),
                Map.entry(meta + "service_label_app_kubernetes_io_name", "ksm"),
                Map.entry(meta + "service_labelpresent_app_kubernetes_io_name", "true"),
                Map.entry(meta + "service_annotation_prometheus_io_scrape", "true"),
                Map.entry(meta + "endpointslice_name", "kube-state-metrics-x"),
                Map.entry(
                    meta + "endpointslice_label_kubernetes_io_service_name", "kube-state-metrics"),
                Map.entry(meta + "endpointslice_port", "8080"),
                Map.entry(meta + "endpointslice_port_name", "http"),
                Map.entry(meta + "endpointslice_port_protocol", "TCP"),
                Map.entry(meta + "endpointslice_endpoint_node_name", "node-a"),
                Map.entry(meta + "endpointslice_address_target_kind", "Pod"),
                Map.entry(meta + "endpointslice_address_target_name", "kube-state-metrics-0")));
    assertThat(targets)
        .filteredOn(t -> t.labels().get(DiscoveredTarget.ADDRESS).startsWith("10.0.0.9"))
        .allSatisfy(
            t ->
                assertThat(t.labels())
                    .containsEntry(meta + "endpointslice_endpoint_conditions_ready", "false"));
  }
}
