package io.vigil.systemtests;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.otlp.OtlpAttributes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

/**
 * A load generator that behaves like the OpenTelemetry SDK's exporter: every 250 ms each service
 * sends its cumulative {@code http.server.request.duration} histogram (one point for status 200,
 * one for 500) to the collector, over OTLP/HTTP (protobuf, built here) or, for a service {@link
 * Transport#GRPC}, through the SDK itself and its OTLP/gRPC exporter ({@link SdkGrpcService}). A
 * request that is not acknowledged is not lost for the count: the next one carries the same
 * cumulative totals and more. What each service's collector acknowledged is its last acknowledged
 * cumulative count (HTTP 200; a gRPC call that returned OK); {@link #finish} keeps sending the
 * final totals until they are acknowledged, so at the end acknowledged = sent.
 */
final class OtlpLoad implements AutoCloseable {
  private static final Duration TICK = Duration.ofMillis(250);
  private static final double[] BOUNDS_S = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

  /** How a service's exports reach the collector. */
  enum Transport {
    /** OTLP/HTTP protobuf to {@code /v1/metrics}. */
    HTTP,
    /** OTLP/gRPC, by the OpenTelemetry SDK's exporter, to the collector's gRPC port. */
    GRPC
  }

  /**
   * One service of the load: its name, the share of its requests that fail, how far its clock is
   * off (its points' times, start time included, are that far from the true time), and how it
   * sends.
   */
  record Service(String name, double errorShare, Duration clock, Transport transport) {
    Service(String name, double errorShare) {
      this(name, errorShare, Duration.ZERO, Transport.HTTP);
    }

    Service(String name, double errorShare, Duration clock) {
      this(name, errorShare, clock, Transport.HTTP);
    }

    /** A service sending over OTLP/gRPC. */
    static Service grpc(String name, double errorShare) {
      return new Service(name, errorShare, Duration.ZERO, Transport.GRPC);
    }
  }

  private final URI endpoint;
  private final List<Service> services;
  private final Instant start = Instant.now();
  private final long[] ok;
  private final long[] failed;
  private final long[] acknowledged;
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong slowestNanos = new AtomicLong();
  private final CountDownLatch stop = new CountDownLatch(1);
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** By service index: the SDK sending it over gRPC, or null for an OTLP/HTTP service. */
  private final SdkGrpcService[] grpc;

  private final Thread thread;

  private OtlpLoad(URI collector, URI grpcCollector, List<Service> services, Duration timeout) {
    this.endpoint = collector.resolve("/v1/metrics");
    this.services = List.copyOf(services);
    this.ok = new long[services.size()];
    this.failed = new long[services.size()];
    this.acknowledged = new long[services.size()];
    this.grpc = new SdkGrpcService[services.size()];
    for (int s = 0; s < services.size(); s++) {
      if (services.get(s).transport() == Transport.GRPC) {
        if (grpcCollector == null) {
          throw new IllegalArgumentException(services.get(s) + " needs the gRPC endpoint");
        }
        grpc[s] = SdkGrpcService.start(grpcCollector, services.get(s), TICK, timeout);
      }
    }
    this.thread = new Thread(this::run, "otlp-load");
  }

  /** Starts sending for {@code services} (OTLP/HTTP only) to the collector at {@code collector}. */
  static OtlpLoad start(URI collector, List<Service> services) {
    return start(collector, null, services);
  }

  /** Starts sending for {@code services} to the collector of {@code stack}, HTTP and gRPC. */
  static OtlpLoad start(Stack stack, List<Service> services) {
    return start(stack.otlpHttp(), stack.otlpGrpc(), services);
  }

  private static OtlpLoad start(URI collector, URI grpcCollector, List<Service> services) {
    // The OpenTelemetry SDK's default export timeout, as the HTTP services' is nearly.
    OtlpLoad load = new OtlpLoad(collector, grpcCollector, services, Duration.ofSeconds(10));
    load.thread.start();
    return load;
  }

  private void run() {
    try {
      while (!stop.await(TICK.toMillis(), TimeUnit.MILLISECONDS)) { // the exporters' pace
        for (int s = 0; s < services.size(); s++) {
          int errors = (int) Math.round(10 * services.get(s).errorShare());
          synchronized (this) {
            ok[s] += 10 - errors;
            failed[s] += errors;
          }
          if (grpc[s] != null) {
            grpc[s].served(10 - errors, errors); // its SDK exports on its own 250 ms schedule
          } else {
            send(s);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sends service {@code s}'s current totals; returns whether the collector acknowledged them. */
  private boolean send(int s) {
    long okNow;
    long failedNow;
    synchronized (this) {
      okNow = ok[s];
      failedNow = failed[s];
    }
    requests.incrementAndGet();
    long sent = System.nanoTime();
    try {
      HttpResponse<Void> response =
          http.send(
              HttpRequest.newBuilder(endpoint)
                  .header("Content-Type", "application/x-protobuf")
                  .timeout(Duration.ofSeconds(15))
                  .POST(
                      HttpRequest.BodyPublishers.ofByteArray(
                          request(services.get(s), okNow, failedNow).toByteArray()))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      slowestNanos.accumulateAndGet(System.nanoTime() - sent, Math::max);
      if (response.statusCode() == 200) {
        synchronized (this) {
          acknowledged[s] = Math.max(acknowledged[s], okNow + failedNow);
        }
        return true;
      }
    } catch (IOException e) {
      // refused, reset or timed out: like a 503, the next export carries these totals again
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    refused.incrementAndGet();
    return false;
  }

  /**
   * Stops generating, then sends every service's final totals until the collector acknowledged them
   * (as an SDK's exporter does at shutdown, with retries).
   */
  void finish(Duration limit) throws InterruptedException {
    stop.countDown();
    thread.join();
    long deadline = System.nanoTime() + limit.toNanos();
    for (int s = 0; s < services.size(); s++) {
      if (grpc[s] != null) {
        if (!grpc[s].flushUntilAcknowledged(deadline, TICK)) {
          throw new AssertionError("final totals of " + services.get(s) + " not acknowledged");
        }
        continue;
      }
      while (!send(s)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("final totals of " + services.get(s) + " not acknowledged");
        }
        TimeUnit.MILLISECONDS.sleep(TICK.toMillis()); // an exporter's retry back-off
      }
    }
    closeSdks(); // the applications stop: nothing more to send
  }

  /** Requests each service's collector acknowledged, by service. */
  synchronized Map<String, Long> acknowledged() {
    Map<String, Long> byService = new TreeMap<>();
    for (int s = 0; s < services.size(); s++) {
      byService.put(
          services.get(s).name(), grpc[s] != null ? grpc[s].acknowledged() : acknowledged[s]);
    }
    return byService;
  }

  /**
   * Export requests not acknowledged (non-200 answers, refused or timed-out connections; gRPC
   * exports whose call did not return OK).
   */
  long refused() {
    return refused.get() + grpcSum(SdkGrpcService::refused);
  }

  /** Export requests sent, HTTP and gRPC. */
  long requests() {
    return requests.get() + grpcSum(SdkGrpcService::exports);
  }

  /** Export requests sent over gRPC. */
  long grpcRequests() {
    return grpcSum(SdkGrpcService::exports);
  }

  /** The longest any export request waited for its answer (of those answered). */
  Duration slowestAnswer() {
    Duration slowest = Duration.ofNanos(slowestNanos.get());
    for (SdkGrpcService g : grpc) {
      if (g != null && g.slowestAnswer().compareTo(slowest) > 0) {
        slowest = g.slowestAnswer();
      }
    }
    return slowest;
  }

  private long grpcSum(ToLongFunction<SdkGrpcService> figure) {
    long sum = 0;
    for (SdkGrpcService g : grpc) {
      sum += g == null ? 0 : figure.applyAsLong(g);
    }
    return sum;
  }

  private ExportMetricsServiceRequest request(Service of, long okCount, long failedCount) {
    String service = of.name();
    long now = nanos(Instant.now().plus(of.clock()));
    long startNanos = nanos(start.plus(of.clock()));
    Histogram.Builder histogram =
        Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(point(startNanos, now, 200, okCount))
            .addDataPoints(point(startNanos, now, 500, failedCount));
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .setResource(
                    Resource.newBuilder()
                        .addAttributes(OtlpAttributes.string("service.name", service))
                        .addAttributes(OtlpAttributes.string("k8s.namespace.name", Stack.NAMESPACE))
                        .addAttributes(
                            OtlpAttributes.string("service.instance.id", service + "-1")))
                .addScopeMetrics(
                    ScopeMetrics.newBuilder()
                        .addMetrics(
                            Metric.newBuilder()
                                .setName("http.server.request.duration")
                                .setUnit("s")
                                .setHistogram(histogram))))
        .build();
  }

  private static HistogramDataPoint point(long startNanos, long nowNanos, int status, long count) {
    HistogramDataPoint.Builder point =
        HistogramDataPoint.newBuilder()
            .setStartTimeUnixNano(startNanos)
            .setTimeUnixNano(nowNanos)
            .addAttributes(OtlpAttributes.string("http.request.method", "GET"))
            .addAttributes(OtlpAttributes.string("http.route", "/orders"))
            .addAttributes(OtlpAttributes.integer("http.response.status_code", status))
            .setCount(count);
    for (double bound : BOUNDS_S) {
      point.addExplicitBounds(bound);
    }
    for (int b = 0; b <= BOUNDS_S.length; b++) {
      point.addBucketCounts(b == 2 ? count : 0); // every request in (10 ms, 25 ms]
    }
    return point.build();
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  @Override
  public void close() throws InterruptedException {
    stop.countDown();
    thread.join();
    closeSdks();
  }

  private void closeSdks() {
    for (SdkGrpcService g : grpc) {
      if (g != null) {
        g.close();
      }
    }
  }
}
