package io.vigil.processor.signals;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.otlp.OtlpAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picks CPU and memory readings of nodes and pods out of an OTLP request, from the three places
 * they come from in a cluster — node-exporter and cAdvisor scrapes (as the collector's scraper or
 * the OpenTelemetry Collector's Prometheus receiver converts them) and the OpenTelemetry
 * Collector's {@code hostmetrics} and {@code kubeletstats} receivers — and turns them into {@link
 * SaturationPoint}s:
 *
 * <ul>
 *   <li>node CPU: non-idle share of {@code node_cpu_seconds_total} or {@code system.cpu.time}
 *       (counters, over all CPUs), or {@code system.cpu.utilization}; cAdvisor's root cgroup
 *       ({@code id="/"}) {@code container_cpu_usage_seconds_total} against {@code
 *       machine_cpu_cores};
 *   <li>node memory: 1 − {@code node_memory_MemAvailable_bytes} / {@code
 *       node_memory_MemTotal_bytes}; {@code system.memory.utilization{state="used"}} (else used /
 *       used + free + buffered + cached of {@code system.memory.usage}); cAdvisor's root cgroup
 *       working set against {@code machine_memory_bytes};
 *   <li>pod CPU and memory against the pod's limits: cAdvisor's pod cgroups ({@code pod} set,
 *       {@code container} and {@code name} empty) — CPU seconds against {@code
 *       container_spec_cpu_quota} / {@code container_spec_cpu_period}, working set against {@code
 *       container_spec_memory_limit_bytes} — and {@code k8s.pod.cpu_limit_utilization} / {@code
 *       k8s.pod.memory_limit_utilization}. A pod without a limit has no utilization to give.
 * </ul>
 *
 * The node is the resource's {@code k8s.node.name}, else {@code host.name}, else the scraped
 * target's host ({@code server.address}). A pod's service is the resource's {@code service.name}
 * for OpenTelemetry pod metrics, else its workload: the name of the Deployment, StatefulSet,
 * DaemonSet or Job that Kubernetes derived the pod name from (the fallback of the OpenTelemetry
 * semantic conventions' service-name inference). Pure: no Kafka, no clock.
 */
final class SaturationDecoder {
  /** cgroup v1 writes "no limit" as the largest page-aligned long; anything this big is none. */
  private static final double UNLIMITED = Math.pow(2, 60);

  /**
   * The random parts Kubernetes appends to pod names ({@code rand.String}'s alphabet: no vowels, no
   * 0, 1, 3): Deployment pods are {@code <name>-<template hash>-<5>}, DaemonSet and Job pods {@code
   * <name>-<5>}, StatefulSet pods {@code <name>-<ordinal>}.
   */
  private static final String RANDOM = "[bcdfghjklmnpqrstvwxz2456789]";

  private static final Pattern DEPLOYMENT_POD =
      Pattern.compile("^(.+)-" + RANDOM + "{6,10}-" + RANDOM + "{5}$");
  private static final Pattern GENERATED_POD = Pattern.compile("^(.+)-" + RANDOM + "{5}$");
  private static final Pattern STATEFUL_POD = Pattern.compile("^(.+)-[0-9]+$");

  /** Resource attributes that name a pod's workload, in order of preference. */
  private static final List<String> WORKLOAD_ATTRIBUTES =
      List.of(
          "k8s.deployment.name",
          "k8s.statefulset.name",
          "k8s.daemonset.name",
          "k8s.cronjob.name",
          "k8s.job.name");

  /** Every metric this decoder reads; a request without any of them costs one set lookup each. */
  static final Set<String> METRICS =
      Set.of(
          "node_cpu_seconds_total",
          "node_cpu_seconds",
          "node_memory_MemAvailable_bytes",
          "node_memory_MemTotal_bytes",
          "system.cpu.time",
          "system.cpu.utilization",
          "system.memory.utilization",
          "system.memory.usage",
          "container_cpu_usage_seconds_total",
          "container_cpu_usage_seconds",
          "container_spec_cpu_quota",
          "container_spec_cpu_period",
          "container_memory_working_set_bytes",
          "container_spec_memory_limit_bytes",
          "machine_cpu_cores",
          "machine_memory_bytes",
          "k8s.pod.cpu_limit_utilization",
          "k8s.pod.memory_limit_utilization");

  private SaturationDecoder() {}

  /** Reports every node and pod reading in {@code request} to {@code sink}. */
  static void decode(ExportMetricsServiceRequest request, PointSink<SaturationPoint> sink) {
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      Map<String, Metric> metrics = null;
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric metric : sm.getMetricsList()) {
          if (METRICS.contains(metric.getName())) {
            if (metrics == null) {
              metrics = new HashMap<>();
            }
            metrics.putIfAbsent(metric.getName(), metric);
          }
        }
      }
      if (metrics != null) {
        new ResourceReadings(rm.getResource(), metrics, sink).decode();
      }
    }
  }

  /**
   * The workload a pod belongs to, from its generated name: {@code checkout-7d9c5b6f4-x2x9q} →
   * {@code checkout}, {@code kafka-0} → {@code kafka}, {@code fluentbit-kb65b} → {@code fluentbit};
   * a name Kubernetes did not generate is its own workload.
   */
  static String workloadOf(String pod) {
    for (Pattern p : List.of(DEPLOYMENT_POD, STATEFUL_POD, GENERATED_POD)) {
      Matcher m = p.matcher(pod);
      if (m.matches()) {
        return m.group(1);
      }
    }
    return pod;
  }

  /** The readings of one resource (one scrape target, one host, one pod). */
  private static final class ResourceReadings {
    private final Map<String, Metric> metrics;
    private final PointSink<SaturationPoint> sink;
    private final List<KeyValue> attributes;
    private final String cluster;
    private final String node;
    private final String resourceId;
    private boolean noNodeCounted;

    ResourceReadings(
        Resource resource, Map<String, Metric> metrics, PointSink<SaturationPoint> sink) {
      this.metrics = metrics;
      this.sink = sink;
      this.attributes = resource.getAttributesList();
      this.cluster = OtlpAttributes.get(attributes, OtlpAttributes.K8S_CLUSTER);
      String n = OtlpAttributes.get(attributes, "k8s.node.name");
      n = n != null ? n : OtlpAttributes.get(attributes, "host.name");
      this.node = n != null ? n : OtlpAttributes.get(attributes, "server.address");
      this.resourceId = OtlpMetricsDecoder.canonical(attributes);
    }

    void decode() {
      nodeExporter();
      hostMetrics();
      cadvisor();
      kubeletStats();
    }

    private void nodeExporter() {
      Metric cpu = metric("node_cpu_seconds_total", "node_cpu_seconds");
      if (cpu != null && cpu.hasSum() && hasNode()) {
        busyShare(cpu.getSum().getDataPointsList(), "mode", "node_cpu");
      }
      Metric available = metrics.get("node_memory_MemAvailable_bytes");
      Metric total = metrics.get("node_memory_MemTotal_bytes");
      if (available != null && total != null && hasNode()) {
        NumberDataPoint a = first(available);
        NumberDataPoint t = first(total);
        if (a != null && t != null && value(t) > 0) {
          ratio(
              null,
              null,
              null,
              SaturationPoint.MEMORY,
              a.getTimeUnixNano(),
              1 - value(a) / value(t));
        }
      }
    }

    private void hostMetrics() {
      Metric cpuTime = metrics.get("system.cpu.time");
      Metric cpuUtil = metrics.get("system.cpu.utilization");
      if (cpuTime != null && cpuTime.hasSum() && hasNode()) {
        busyShare(cpuTime.getSum().getDataPointsList(), "cpu.mode", "system_cpu");
      } else if (cpuUtil != null && cpuUtil.hasGauge() && hasNode()) {
        List<NumberDataPoint> points = cpuUtil.getGauge().getDataPointsList();
        Set<String> cpus = new HashSet<>();
        double idle = 0;
        long time = 0;
        for (NumberDataPoint dp : points) {
          cpus.add(String.valueOf(OtlpAttributes.get(dp.getAttributesList(), "cpu")));
          if ("idle".equals(state(dp, "cpu.mode"))) {
            idle += value(dp);
          }
          time = Math.max(time, dp.getTimeUnixNano());
        }
        if (!points.isEmpty()) {
          ratio(null, null, null, SaturationPoint.CPU, time, 1 - idle / cpus.size());
        }
      }
      Metric memUtil = metrics.get("system.memory.utilization");
      Metric memUsage = metrics.get("system.memory.usage");
      if (memUtil != null && memUtil.hasGauge() && hasNode()) {
        for (NumberDataPoint dp : memUtil.getGauge().getDataPointsList()) {
          if ("used".equals(state(dp, "system.memory.state"))) {
            ratio(null, null, null, SaturationPoint.MEMORY, dp.getTimeUnixNano(), value(dp));
          }
        }
      } else if (memUsage != null && memUsage.hasSum() && hasNode()) {
        double used = 0;
        double all = 0;
        long time = 0;
        for (NumberDataPoint dp : memUsage.getSum().getDataPointsList()) {
          String state = state(dp, "system.memory.state");
          if (List.of("used", "free", "buffered", "cached").contains(state)) {
            all += value(dp);
            used += "used".equals(state) ? value(dp) : 0;
            time = Math.max(time, dp.getTimeUnixNano());
          }
        }
        if (all > 0) {
          ratio(null, null, null, SaturationPoint.MEMORY, time, used / all);
        }
      }
    }

    /** Busy CPU seconds (all modes but idle) against all, summed over the CPUs of one reading. */
    private void busyShare(List<NumberDataPoint> points, String modeAttribute, String source) {
      double busy = 0;
      double all = 0;
      long time = 0;
      for (NumberDataPoint dp : points) {
        double v = value(dp);
        if (!Double.isFinite(v) || v < 0) {
          sink.skipped("invalid_value");
          return;
        }
        all += v;
        if (!"idle".equals(state(dp, modeAttribute))) {
          busy += v;
        }
        time = Math.max(time, dp.getTimeUnixNano());
      }
      if (!points.isEmpty()) {
        sink.point(
            new SaturationPoint(
                cluster,
                null,
                null,
                node,
                null,
                SaturationPoint.CPU,
                resourceId + "|" + source,
                time,
                null,
                busy,
                all));
      }
    }

    private void cadvisor() {
      Metric cpu = metric("container_cpu_usage_seconds_total", "container_cpu_usage_seconds");
      Metric memory = metrics.get("container_memory_working_set_bytes");
      if (cpu == null && memory == null) {
        return;
      }
      Map<String, Double> quota = byCgroup("container_spec_cpu_quota");
      Map<String, Double> period = byCgroup("container_spec_cpu_period");
      Map<String, Double> memoryLimit = byCgroup("container_spec_memory_limit_bytes");
      NumberDataPoint cores = first(metrics.get("machine_cpu_cores"));
      NumberDataPoint machineMemory = first(metrics.get("machine_memory_bytes"));
      if (cpu != null && cpu.hasSum()) {
        for (NumberDataPoint dp : cpu.getSum().getDataPointsList()) {
          String id = OtlpAttributes.get(dp.getAttributesList(), "id");
          Double limitCores = null;
          if ("/".equals(id)) {
            limitCores = cores == null || !hasNode() ? null : value(cores);
          } else if (isPodCgroup(dp) && quota.containsKey(id) && period.get(id) != null) {
            limitCores = quota.get(id) > 0 ? quota.get(id) / period.get(id) : null;
          } else {
            continue;
          }
          double used = value(dp);
          if (limitCores == null || !(limitCores > 0) || !Double.isFinite(used) || used < 0) {
            continue;
          }
          // CPU seconds against cores × seconds: the increases divide to the share of the limit.
          double capacity = limitCores * dp.getTimeUnixNano() / 1e9;
          pointOf(dp, SaturationPoint.CPU, "|cadvisor_cpu|" + id, null, used, capacity);
        }
      }
      if (memory != null && memory.hasGauge()) {
        for (NumberDataPoint dp : memory.getGauge().getDataPointsList()) {
          String id = OtlpAttributes.get(dp.getAttributesList(), "id");
          Double limit;
          if ("/".equals(id)) {
            limit = machineMemory == null || !hasNode() ? null : value(machineMemory);
          } else if (isPodCgroup(dp)) {
            limit = memoryLimit.get(id);
          } else {
            continue;
          }
          if (limit != null && limit > 0 && limit < UNLIMITED) {
            pointOf(dp, SaturationPoint.MEMORY, null, value(dp) / limit, null, null);
          }
        }
      }
    }

    /** A reading of the cgroup {@code dp} names: the node's root, or a pod's. */
    private void pointOf(
        NumberDataPoint dp,
        String resource,
        String streamSuffix,
        Double ratio,
        Double used,
        Double capacity) {
      List<KeyValue> labels = dp.getAttributesList();
      boolean root = "/".equals(OtlpAttributes.get(labels, "id"));
      String pod = root ? null : OtlpAttributes.get(labels, "pod");
      String namespace = root ? null : OtlpAttributes.get(labels, "namespace");
      String service = root ? null : workloadOf(pod);
      if (ratio != null) {
        ratio(namespace, service, pod, resource, dp.getTimeUnixNano(), ratio);
      } else {
        sink.point(
            new SaturationPoint(
                cluster,
                namespace,
                service,
                node,
                pod,
                resource,
                resourceId + streamSuffix,
                dp.getTimeUnixNano(),
                null,
                used,
                capacity));
      }
    }

    /** A pod's own cgroup: {@code pod} set, no container, no container name (not the pause). */
    private static boolean isPodCgroup(NumberDataPoint dp) {
      List<KeyValue> labels = dp.getAttributesList();
      return !empty(OtlpAttributes.get(labels, "pod"))
          && !empty(OtlpAttributes.get(labels, "namespace"))
          && empty(OtlpAttributes.get(labels, "container"))
          && empty(OtlpAttributes.get(labels, "name"));
    }

    private void kubeletStats() {
      Metric cpu = metrics.get("k8s.pod.cpu_limit_utilization");
      Metric memory = metrics.get("k8s.pod.memory_limit_utilization");
      String pod = OtlpAttributes.get(attributes, "k8s.pod.name");
      String namespace = OtlpAttributes.get(attributes, OtlpAttributes.K8S_NAMESPACE);
      if ((cpu == null && memory == null) || pod == null || namespace == null) {
        return;
      }
      String service = OtlpAttributes.get(attributes, OtlpAttributes.SERVICE_NAME);
      for (String attribute : WORKLOAD_ATTRIBUTES) {
        service = service != null ? service : OtlpAttributes.get(attributes, attribute);
      }
      service = service != null ? service : workloadOf(pod);
      for (Metric m : new Metric[] {cpu, memory}) {
        if (m != null && m.hasGauge()) {
          String resource = m == cpu ? SaturationPoint.CPU : SaturationPoint.MEMORY;
          for (NumberDataPoint dp : m.getGauge().getDataPointsList()) {
            ratio(namespace, service, pod, resource, dp.getTimeUnixNano(), value(dp));
          }
        }
      }
    }

    private void ratio(
        String namespace,
        String service,
        String pod,
        String resource,
        long timeNanos,
        double ratio) {
      if (timeNanos <= 0) {
        sink.skipped("missing_time");
      } else if (!Double.isFinite(ratio) || ratio < 0) {
        sink.skipped("invalid_value");
      } else {
        sink.point(
            new SaturationPoint(
                cluster, namespace, service, node, pod, resource, null, timeNanos, ratio, null,
                null));
      }
    }

    /** Whether the resource names its node; a resource that does not is counted once. */
    private boolean hasNode() {
      if (node == null && !noNodeCounted) {
        noNodeCounted = true;
        sink.skipped("no_node");
      }
      return node != null;
    }

    private Metric metric(String name, String openMetricsName) {
      Metric m = metrics.get(name);
      return m != null ? m : metrics.get(openMetricsName);
    }

    /** The values of a per-cgroup gauge by its {@code id} label. */
    private Map<String, Double> byCgroup(String name) {
      Map<String, Double> out = new LinkedHashMap<>();
      Metric m = metrics.get(name);
      if (m != null && m.hasGauge()) {
        for (NumberDataPoint dp : m.getGauge().getDataPointsList()) {
          String id = OtlpAttributes.get(dp.getAttributesList(), "id");
          if (id != null) {
            out.put(id, value(dp));
          }
        }
      }
      return out;
    }

    private static NumberDataPoint first(Metric m) {
      if (m == null) {
        return null;
      }
      List<NumberDataPoint> points =
          m.hasGauge() ? m.getGauge().getDataPointsList() : new ArrayList<>();
      return points.isEmpty() ? null : points.get(0);
    }
  }

  /** A CPU or memory state attribute: the semantic conventions' name or the older {@code state}. */
  private static String state(NumberDataPoint dp, String attribute) {
    String s = OtlpAttributes.get(dp.getAttributesList(), attribute);
    return s != null ? s : OtlpAttributes.get(dp.getAttributesList(), "state");
  }

  private static double value(NumberDataPoint dp) {
    return dp.hasAsInt() ? dp.getAsInt() : dp.getAsDouble();
  }

  private static boolean empty(String s) {
    return s == null || s.isEmpty();
  }
}
