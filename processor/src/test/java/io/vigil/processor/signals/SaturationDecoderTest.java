package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.processor.PromText;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SaturationDecoderTest {
  private static final long T = 1_782_468_880_000_000_000L;
  private static final String NODE_EXPORTER =
      PromText.resource("/fixtures/prometheus/node-exporter.txt");
  private static final String CADVISOR =
      PromText.resource("/fixtures/prometheus/kubelet-metrics-cadvisor-k8s1.35.excerpt.txt");

  private final List<SaturationPoint> points = new ArrayList<>();
  private final List<String> skipped = new ArrayList<>();

  private void decode(Resource resource, List<Metric> metrics) {
    ExportMetricsServiceRequest request =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                ResourceMetrics.newBuilder()
                    .setResource(resource)
                    .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(metrics)))
            .build();
    SaturationDecoder.decode(request, PointSink.into(points, skipped::add));
  }

  private static Resource resource(String... keyValues) {
    Resource.Builder r = Resource.newBuilder();
    for (int i = 0; i < keyValues.length; i += 2) {
      r.addAttributes(attr(keyValues[i], keyValues[i + 1]));
    }
    return r.build();
  }

  private static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  private static Metric gauge(String name, NumberDataPoint... points) {
    return Metric.newBuilder()
        .setName(name)
        .setGauge(Gauge.newBuilder().addAllDataPoints(List.of(points)))
        .build();
  }

  private static NumberDataPoint value(double v, String... attributes) {
    NumberDataPoint.Builder dp = NumberDataPoint.newBuilder().setTimeUnixNano(T).setAsDouble(v);
    for (int i = 0; i < attributes.length; i += 2) {
      dp.addAttributes(attr(attributes[i], attributes[i + 1]));
    }
    return dp.build();
  }

  private SaturationPoint only(String resource) {
    List<SaturationPoint> of = points.stream().filter(p -> p.resource().equals(resource)).toList();
    assertThat(of).hasSize(1);
    return of.get(0);
  }

  @Test
  void nodeExporterGivesTheNodesBusyCpuSecondsAndMemoryInUse() {
    // As the collector's scraper sends a static target: the node is the target's host.
    decode(
        resource("service.name", "node", "server.address", "10.0.0.5", "k8s.cluster.name", "c1"),
        PromText.metrics(NODE_EXPORTER, T - 1, T, (n, l, v) -> v));

    SaturationPoint cpu = only(SaturationPoint.CPU);
    assertThat(cpu.node()).isEqualTo("10.0.0.5");
    assertThat(cpu.cluster()).isEqualTo("c1");
    assertThat(cpu.service()).isNull();
    assertThat(cpu.pod()).isNull();
    // The fixture's 16 node_cpu_seconds_total samples (2 CPUs × 8 modes) sum to 4083.57 s,
    // 2823.11 s of them idle.
    assertThat(cpu.capacity()).isCloseTo(4083.57, within(1e-6));
    assertThat(cpu.used()).isCloseTo(4083.57 - 2823.11, within(1e-6));
    assertThat(cpu.ratio()).isNull();

    // MemAvailable 2.4844877824e10 of MemTotal 2.5276063744e10.
    SaturationPoint memory = only(SaturationPoint.MEMORY);
    assertThat(memory.ratio()).isCloseTo(1 - 2.4844877824e10 / 2.5276063744e10, within(1e-12));
    assertThat(memory.seriesKey()).isEqualTo("c1////10.0.0.5/");
    assertThat(skipped).isEmpty();
  }

  @Test
  void aNodeReadingWithoutAnyNodeOrHostNameIsSkippedAndCounted() {
    decode(
        resource("service.name", "node"),
        PromText.metrics(NODE_EXPORTER, T - 1, T, (n, l, v) -> v));

    assertThat(points).isEmpty();
    assertThat(skipped).contains("no_node");
  }

  @Test
  void cadvisorsRootCgroupIsTheNodeAndPodsWithoutLimitsGiveNoUtilization() {
    decode(
        resource("service.name", "kubelet", "k8s.node.name", "minikube"),
        PromText.metrics(CADVISOR, T - 1, T, (n, l, v) -> v));

    // Every pod in the excerpt is best-effort (no limits): only the node is measured.
    assertThat(points)
        .extracting(SaturationPoint::node, SaturationPoint::pod, SaturationPoint::resource)
        .containsExactlyInAnyOrder(
            tuple("minikube", null, SaturationPoint.CPU),
            tuple("minikube", null, SaturationPoint.MEMORY));
    SaturationPoint cpu = only(SaturationPoint.CPU);
    // 62.148052 CPU seconds, measured at the sample's own timestamp, against 14 cores × time.
    assertThat(cpu.used()).isEqualTo(62.148052);
    assertThat(cpu.timeNanos()).isEqualTo(1782468875486L * 1_000_000L);
    assertThat(cpu.capacity()).isCloseTo(14 * 1782468875.486, within(1e-3));
    // Working set 9.17110784e8 of machine_memory_bytes 8.216887296e9.
    assertThat(only(SaturationPoint.MEMORY).ratio())
        .isCloseTo(9.17110784e8 / 8.216887296e9, within(1e-12));
  }

  @Test
  void aPodWithLimitsIsMeasuredAgainstThemAndNamedAfterItsWorkload() {
    String pod =
        "container=\"\",id=\"/kubepods/besteffort/pod559f50c7-6133-4901-a283-262ff4358722\","
            + "image=\"\",name=\"\",namespace=\"scraper\",pod=\"e2e-scraper-5f97dc94d8-vkcjl\"";
    String page =
        CADVISOR.replace(
                "container_spec_memory_limit_bytes{" + pod + "} 0",
                "container_spec_memory_limit_bytes{" + pod + "} 4.194304e+06")
            + "container_spec_cpu_quota{"
            + pod
            + "} 50000\n";
    decode(
        resource("service.name", "kubelet", "k8s.node.name", "minikube"),
        PromText.metrics(page, T - 1, T, (n, l, v) -> v));

    List<SaturationPoint> ofPod =
        points.stream().filter(p -> "e2e-scraper-5f97dc94d8-vkcjl".equals(p.pod())).toList();
    assertThat(ofPod)
        .extracting(SaturationPoint::resource)
        .containsExactlyInAnyOrder(SaturationPoint.CPU, SaturationPoint.MEMORY);
    for (SaturationPoint p : ofPod) {
      assertThat(p.service()).isEqualTo("e2e-scraper");
      assertThat(p.namespace()).isEqualTo("scraper");
      assertThat(p.node()).isEqualTo("minikube");
      assertThat(p.seriesKey())
          .isEqualTo("/scraper/e2e-scraper//minikube/e2e-scraper-5f97dc94d8-vkcjl");
      if (p.resource().equals(SaturationPoint.CPU)) {
        // 0.299412 CPU seconds against a quota of 50000 µs per 100000 µs period: half a core.
        assertThat(p.used()).isEqualTo(0.299412);
        assertThat(p.capacity()).isCloseTo(0.5 * 1782468872.078, within(1e-3));
      } else {
        // Working set 1.708032e6 of the 4 MiB limit.
        assertThat(p.ratio()).isCloseTo(1.708032e6 / 4.194304e6, within(1e-12));
      }
    }
    // The pause container (its own cgroup, with a name) is never taken for the pod.
    assertThat(points).hasSize(4);
  }

  @Test
  void hostmetricsUtilizationGaugesGiveTheNonIdleShareAndUsedMemory() {
    decode(
        resource("host.name", "worker-1"),
        List.of(
            gauge(
                "system.cpu.utilization",
                value(0.7, "cpu", "cpu0", "state", "idle"),
                value(0.3, "cpu", "cpu0", "state", "user"),
                value(0.1, "cpu", "cpu1", "state", "idle"),
                value(0.9, "cpu", "cpu1", "state", "user")),
            gauge(
                "system.memory.utilization",
                value(0.62, "state", "used"),
                value(0.38, "state", "free"))));

    assertThat(only(SaturationPoint.CPU).ratio()).isCloseTo(1 - (0.7 + 0.1) / 2, within(1e-12));
    assertThat(only(SaturationPoint.MEMORY).ratio()).isEqualTo(0.62);
    assertThat(only(SaturationPoint.CPU).node()).isEqualTo("worker-1");
  }

  @Test
  void kubeletstatsPodUtilizationBelongsToTheResourcesService() {
    decode(
        resource(
            "k8s.pod.name", "checkout-7d9c5b6f4-x2x9q",
            "k8s.namespace.name", "shop",
            "k8s.deployment.name", "checkout",
            "k8s.node.name", "worker-2"),
        List.of(
            gauge("k8s.pod.cpu_limit_utilization", value(0.85)),
            gauge("k8s.pod.memory_limit_utilization", value(0.4))));

    assertThat(points)
        .extracting(
            SaturationPoint::service,
            SaturationPoint::pod,
            SaturationPoint::resource,
            SaturationPoint::ratio)
        .containsExactlyInAnyOrder(
            tuple("checkout", "checkout-7d9c5b6f4-x2x9q", SaturationPoint.CPU, 0.85),
            tuple("checkout", "checkout-7d9c5b6f4-x2x9q", SaturationPoint.MEMORY, 0.4));
  }

  @Test
  void aRequestWithoutNodeOrPodMetricsGivesNothing() {
    decode(
        resource("service.name", "checkout"),
        List.of(gauge("jvm.memory.used", value(1e6)), gauge("queue_depth", value(3))));

    assertThat(points).isEmpty();
    assertThat(skipped).isEmpty();
  }

  @Test
  void workloadsAreReadFromTheNamesKubernetesGeneratesForTheirPods() {
    assertThat(SaturationDecoder.workloadOf("checkout-7d9c5b6f4-x2x9q")).isEqualTo("checkout");
    assertThat(SaturationDecoder.workloadOf("e2e-kube-state-metrics-75b885dc9-97mtr"))
        .isEqualTo("e2e-kube-state-metrics");
    assertThat(SaturationDecoder.workloadOf("e2e-statefulset-1")).isEqualTo("e2e-statefulset");
    assertThat(SaturationDecoder.workloadOf("e2e-daemonset-kb65b")).isEqualTo("e2e-daemonset");
    assertThat(SaturationDecoder.workloadOf("storage-provisioner"))
        .isEqualTo("storage-provisioner");
    // "writer" has vowels: not a generated suffix.
    assertThat(SaturationDecoder.workloadOf("log-writer")).isEqualTo("log-writer");
  }
}
