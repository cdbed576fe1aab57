package io.vigil.local.demo;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A synthetic "shop": services instrumented with the OpenTelemetry Java SDK exactly as a real
 * service would be, recording the semantic-convention histogram {@code
 * http.server.request.duration} and exporting it over OTLP/HTTP (protobuf, cumulative temporality,
 * the SDK's defaults) to the collector. The {@code checkout} service has an incident: between
 * {@code incidentStart} and {@code incidentEnd} a quarter of its requests fail and it slows down.
 */
final class ShopWorkload implements AutoCloseable {
  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
  private static final AttributeKey<Long> STATUS =
      AttributeKey.longKey("http.response.status_code");
  private static final List<Double> BUCKETS =
      List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);
  private static final long TICK_MILLIS = 20;

  private final List<Service> services = new ArrayList<>();
  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "demo-shop");
            t.setDaemon(true);
            return t;
          });
  private final long startNanos = System.nanoTime();
  private final Duration incidentStart;
  private final Duration incidentEnd;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();

  private ShopWorkload(Duration incidentStart, Duration incidentEnd) {
    this.incidentStart = incidentStart;
    this.incidentEnd = incidentEnd;
  }

  /**
   * Starts sending to the collector's OTLP/HTTP endpoint at {@code otlpHttpUrl}; each service also
   * writes its container log (CRI format, as the kubelet lays it out) under {@code logs}.
   */
  static ShopWorkload start(
      String otlpHttpUrl, Path logs, Duration incidentStart, Duration incidentEnd)
      throws IOException {
    ShopWorkload shop = new ShopWorkload(incidentStart, incidentEnd);
    shop.services.add(new Service("checkout", "POST", "/pay", 60, true, otlpHttpUrl, logs));
    shop.services.add(new Service("catalog", "GET", "/products", 40, false, otlpHttpUrl, logs));
    shop.ticker.scheduleAtFixedRate(shop::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    return shop;
  }

  /** Whether the checkout incident is under way now. */
  boolean incidentActive() {
    Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
    return elapsed.compareTo(incidentStart) >= 0 && elapsed.compareTo(incidentEnd) < 0;
  }

  /** Requests simulated so far, all services. */
  long requests() {
    return requests.get();
  }

  /** Failed (5xx) requests simulated so far, all services. */
  long failures() {
    return failures.get();
  }

  private void tick() {
    boolean incident = incidentActive();
    for (Service service : services) {
      service.tick(incident && service.hasIncident, this);
    }
  }

  @Override
  public synchronized void close() {
    if (ticker.isShutdown()) {
      return;
    }
    ticker.shutdownNow();
    for (Service service : services) {
      service.meterProvider.forceFlush().join(5, TimeUnit.SECONDS);
      service.meterProvider.close();
      try {
        service.log.close();
      } catch (IOException e) {
        // the demo is ending; its log file is only for the collector to read
      }
    }
  }

  /** One instrumented service with its own SDK pipeline and resource. */
  private static final class Service {
    final boolean hasIncident;
    final SdkMeterProvider meterProvider;
    final DoubleHistogram duration;
    final Attributes ok;
    final Attributes failed;
    final double requestsPerTick;
    final SplittableRandom random = new SplittableRandom(42);
    final Writer log;
    final String route;
    double carry;

    Service(
        String name,
        String method,
        String route,
        int requestsPerSecond,
        boolean hasIncident,
        String url,
        Path logs)
        throws IOException {
      this.hasIncident = hasIncident;
      this.route = route;
      // The container is named after the service, as the collector names a container's logs'
      // service after it: the service's error logs and its requests then share a name.
      Path dir = logs.resolve("pods/shop_" + name + "-6d4f9c_" + name + "-0001/" + name);
      Files.createDirectories(dir);
      this.log = Files.newBufferedWriter(dir.resolve("0.log"), StandardCharsets.UTF_8);
      this.requestsPerTick = requestsPerSecond * TICK_MILLIS / 1000.0;
      Resource resource =
          Resource.getDefault()
              .merge(
                  Resource.create(
                      Attributes.builder()
                          .put("service.name", name)
                          .put("k8s.namespace.name", "shop")
                          .put("k8s.cluster.name", "demo")
                          .build()));
      OtlpHttpMetricExporter exporter =
          OtlpHttpMetricExporter.builder()
              .setEndpoint(url)
              .setTimeout(Duration.ofSeconds(5))
              .build();
      this.meterProvider =
          SdkMeterProvider.builder()
              .setResource(resource)
              .registerMetricReader(
                  PeriodicMetricReader.builder(exporter).setInterval(Duration.ofSeconds(1)).build())
              .build();
      this.duration =
          meterProvider
              .get("io.vigil.demo.shop")
              .histogramBuilder("http.server.request.duration")
              .setUnit("s")
              .setDescription("Duration of HTTP server requests.")
              .setExplicitBucketBoundariesAdvice(BUCKETS)
              .build();
      this.ok = Attributes.of(METHOD, method, ROUTE, route, STATUS, 200L);
      this.failed = Attributes.of(METHOD, method, ROUTE, route, STATUS, 500L);
    }

    void tick(boolean incident, ShopWorkload shop) {
      carry += requestsPerTick;
      int n = (int) carry;
      carry -= n;
      double errorRate = incident ? 0.25 : 0.005;
      double medianSeconds = incident ? 0.180 : 0.035;
      for (int i = 0; i < n; i++) {
        // Log-normal latencies: a long right tail, as real services have.
        double latency = medianSeconds * Math.exp(0.5 * gaussian());
        boolean fails = random.nextDouble() < errorRate;
        duration.record(latency, fails ? failed : ok);
        shop.requests.incrementAndGet();
        if (fails) {
          shop.failures.incrementAndGet();
          logFailure();
        }
      }
      write("stdout", "INFO  served " + n + " requests on " + route);
      try {
        log.flush();
      } catch (IOException e) {
        // a log line the demo could not write is only a log line
      }
    }

    /** An error and its stack trace, one CRI line each, as a JVM service writes them. */
    private void logFailure() {
      write("stderr", "ERROR payment gateway refused the charge on " + route);
      write("stderr", "java.lang.IllegalStateException: gateway answered 503");
      write("stderr", "    at shop.PaymentClient.charge(PaymentClient.java:88)");
      write("stderr", "    at shop.Checkout.pay(Checkout.java:41)");
    }

    private void write(String stream, String text) {
      try {
        log.write(Instant.now() + " " + stream + " F " + text + "\n");
      } catch (IOException e) {
        // see tick
      }
    }

    private double gaussian() {
      double u1 = 1.0 - random.nextDouble();
      double u2 = random.nextDouble();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
  }
}
