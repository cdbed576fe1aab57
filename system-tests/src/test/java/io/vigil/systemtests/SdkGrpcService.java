package io.vigil.systemtests;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.sdk.common.Clock;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One service of the load instrumented as an application is, sending over OTLP/gRPC: the
 * OpenTelemetry SDK's cumulative {@code http.server.request.duration} histogram, collected every
 * 250 ms by its {@code PeriodicMetricReader} and sent by its OTLP/gRPC exporter (OkHttp, HTTP/2
 * cleartext, the SDK's retries) to the collector's gRPC port. What the collector acknowledged is
 * the largest cumulative count of an export whose call returned OK (grpc-status 0), read from the
 * very data the exporter was given.
 */
final class SdkGrpcService implements AutoCloseable {
  private static final String METRIC = "http.server.request.duration";
  private static final List<Double> BOUNDS_S =
      List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5);
  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
  private static final AttributeKey<Long> STATUS =
      AttributeKey.longKey("http.response.status_code");

  private final SdkMeterProvider provider;
  private final DoubleHistogram duration;
  private final Attributes ok = Attributes.of(METHOD, "GET", ROUTE, "/orders", STATUS, 200L);
  private final Attributes failed = Attributes.of(METHOD, "GET", ROUTE, "/orders", STATUS, 500L);
  private final AtomicLong recorded = new AtomicLong();
  private final AtomicLong acknowledged = new AtomicLong();
  private final AtomicLong exports = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong slowestNanos = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();

  private SdkGrpcService(
      URI collector, OtlpLoad.Service service, Duration every, Duration timeout) {
    Resource resource =
        Resource.getDefault()
            .merge(
                Resource.create(
                    Attributes.builder()
                        .put("service.name", service.name())
                        .put("k8s.namespace.name", Stack.NAMESPACE)
                        .put("service.instance.id", service.name() + "-1")
                        .build()));
    MetricExporter exporter =
        new Counting(
            OtlpGrpcMetricExporter.builder()
                .setEndpoint(collector.toString())
                .setTimeout(timeout)
                .build());
    this.provider =
        SdkMeterProvider.builder()
            .setResource(resource)
            .setClock(new Skewed(service.clock()))
            .registerMetricReader(PeriodicMetricReader.builder(exporter).setInterval(every).build())
            .build();
    this.duration =
        provider
            .get("io.vigil.systemtests")
            .histogramBuilder(METRIC)
            .setUnit("s")
            .setExplicitBucketBoundariesAdvice(BOUNDS_S)
            .build();
  }

  /**
   * Starts exporting {@code service}'s histogram to the collector's gRPC endpoint every {@code
   * every}, each export waiting at most {@code timeout} for its answer.
   */
  static SdkGrpcService start(
      URI collector, OtlpLoad.Service service, Duration every, Duration timeout) {
    return new SdkGrpcService(collector, service, every, timeout);
  }

  /** Records requests served: {@code okCount} answered 200, {@code failedCount} 500. */
  void served(long okCount, long failedCount) {
    for (long i = 0; i < okCount; i++) {
      duration.record(0.015, ok); // every request in (10 ms, 25 ms], as the HTTP services'
    }
    for (long i = 0; i < failedCount; i++) {
      duration.record(0.015, failed);
    }
    recorded.addAndGet(okCount + failedCount);
  }

  /**
   * Exports the final totals (the SDK's {@code forceFlush}, as at an application's shutdown) until
   * an export carrying all of them is acknowledged; false if none was by {@code deadlineNanos}.
   */
  boolean flushUntilAcknowledged(long deadlineNanos, Duration retry) throws InterruptedException {
    while (acknowledged.get() < recorded.get()) {
      if (System.nanoTime() > deadlineNanos) {
        return false;
      }
      provider.forceFlush().join(15, TimeUnit.SECONDS);
      if (acknowledged.get() < recorded.get()) {
        TimeUnit.NANOSECONDS.sleep(retry.toNanos()); // an exporter's retry back-off
      }
    }
    return true;
  }

  /** The largest cumulative count an acknowledged export carried. */
  long acknowledged() {
    return acknowledged.get();
  }

  /** Exports sent (a retry inside the SDK's exporter is part of its export). */
  long exports() {
    return exports.get();
  }

  /** Exports whose call did not return OK. */
  long refused() {
    return refused.get();
  }

  /** The longest an acknowledged export waited for its answer. */
  Duration slowestAnswer() {
    return Duration.ofNanos(slowestNanos.get());
  }

  /**
   * Shuts the SDK down, once. Its figures stop here: its last exports carry the totals already
   * acknowledged, and the shutdown cancels those still in flight.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      provider.shutdown().join(15, TimeUnit.SECONDS);
    }
  }

  /** The SDK's exporter, watched: what each export carried and how its call ended. */
  private final class Counting implements MetricExporter {
    private final MetricExporter delegate;

    Counting(MetricExporter delegate) {
      this.delegate = delegate;
    }

    @Override
    public CompletableResultCode export(Collection<MetricData> metrics) {
      long carried = 0; // read now: with reusable data the points change after the export
      for (MetricData metric : metrics) {
        if (METRIC.equals(metric.getName()) && metric.getType() == MetricDataType.HISTOGRAM) {
          for (HistogramPointData point : metric.getHistogramData().getPoints()) {
            carried += point.getCount();
          }
        }
      }
      long total = carried;
      if (closed.get()) {
        return delegate.export(metrics); // the SDK's shutdown: not the load's any more
      }
      exports.incrementAndGet();
      long sent = System.nanoTime();
      CompletableResultCode result = delegate.export(metrics);
      result.whenComplete(
          () -> {
            if (closed.get()) {
              return; // cancelled by the shutdown, after the final totals were acknowledged
            }
            if (result.isSuccess()) {
              slowestNanos.accumulateAndGet(System.nanoTime() - sent, Math::max);
              acknowledged.accumulateAndGet(total, Math::max);
            } else {
              refused.incrementAndGet();
            }
          });
      return result;
    }

    @Override
    public CompletableResultCode flush() {
      return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return delegate.shutdown();
    }

    @Override
    public AggregationTemporality getAggregationTemporality(InstrumentType type) {
      return delegate.getAggregationTemporality(type);
    }

    @Override
    public Aggregation getDefaultAggregation(InstrumentType type) {
      return delegate.getDefaultAggregation(type);
    }

    @Override
    public MemoryMode getMemoryMode() {
      return delegate.getMemoryMode();
    }
  }

  /** The SDK's clock, off by {@code offset} (its points' times, start time included). */
  private record Skewed(Duration offset) implements Clock {
    @Override
    public long now() {
      return Clock.getDefault().now() + offset.toNanos();
    }

    @Override
    public long nanoTime() {
      return Clock.getDefault().nanoTime();
    }
  }
}
