package io.vigil.local.demo;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The machine the demo runs on, reported as the OpenTelemetry Collector's {@code hostmetrics}
 * receiver reports a node: {@code system.cpu.utilization} (its idle share) and {@code
 * system.memory.utilization} (used and free), resource {@code host.name}, every 5 s over OTLP/HTTP.
 * The values are the machine's own — CPU load from the JVM's operating-system bean, memory in use
 * as 1 − MemAvailable / MemTotal from {@code /proc/meminfo} where there is one — so the processor's
 * saturation records show this machine as a node.
 */
final class DemoHost implements AutoCloseable {
  private static final AttributeKey<String> MODE = AttributeKey.stringKey("cpu.mode");
  private static final AttributeKey<String> STATE = AttributeKey.stringKey("system.memory.state");

  private final SdkMeterProvider meterProvider;
  private final String name;

  private DemoHost(SdkMeterProvider meterProvider, String name) {
    this.meterProvider = meterProvider;
    this.name = name;
  }

  /** Starts reporting to the collector's OTLP/HTTP metrics endpoint {@code otlpHttpUrl}. */
  static DemoHost start(String otlpHttpUrl) {
    String host = hostName();
    OtlpHttpMetricExporter exporter =
        OtlpHttpMetricExporter.builder()
            .setEndpoint(otlpHttpUrl)
            .setTimeout(Duration.ofSeconds(5))
            .build();
    SdkMeterProvider provider =
        SdkMeterProvider.builder()
            .setResource(
                Resource.create(
                    Attributes.builder()
                        .put("host.name", host)
                        .put("k8s.cluster.name", "demo")
                        .put("service.name", "hostmetrics")
                        .build()))
            .registerMetricReader(
                PeriodicMetricReader.builder(exporter).setInterval(Duration.ofSeconds(5)).build())
            .build();
    var meter = provider.get("io.vigil.demo.host");
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    meter
        .gaugeBuilder("system.cpu.utilization")
        .setUnit("1")
        .buildWithCallback(
            m -> {
              double load = os.getCpuLoad();
              if (load >= 0) { // negative: not available yet
                m.record(1 - load, Attributes.of(MODE, "idle"));
              }
            });
    meter
        .gaugeBuilder("system.memory.utilization")
        .setUnit("1")
        .buildWithCallback(
            m -> {
              double used = memoryInUse(os);
              m.record(used, Attributes.of(STATE, "used"));
              m.record(1 - used, Attributes.of(STATE, "free"));
            });
    return new DemoHost(provider, host);
  }

  /** The host name the readings carry. */
  String name() {
    return name;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  /** 1 − MemAvailable / MemTotal where the kernel tells it, else 1 − free / total. */
  private static double memoryInUse(com.sun.management.OperatingSystemMXBean os) {
    Path meminfo = Path.of("/proc/meminfo");
    if (Files.isReadable(meminfo)) {
      try {
        long total = 0;
        long available = -1;
        for (String line : Files.readAllLines(meminfo)) {
          String[] parts = line.split("\\s+");
          if (parts[0].equals("MemTotal:")) {
            total = Long.parseLong(parts[1]);
          } else if (parts[0].equals("MemAvailable:")) {
            available = Long.parseLong(parts[1]);
          }
        }
        if (total > 0 && available >= 0) {
          return 1 - available / (double) total;
        }
      } catch (IOException | RuntimeException e) {
        // fall back to what the JVM says
      }
    }
    return 1 - os.getFreeMemorySize() / (double) os.getTotalMemorySize();
  }

  @Override
  public void close() {
    meterProvider.forceFlush().join(5, TimeUnit.SECONDS);
    meterProvider.close();
  }
}
