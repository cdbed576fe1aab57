package io.vigil.collector.otlp;

import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.kafka.RecordSink;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OTLP/HTTP receiver: {@code POST /v1/metrics}, {@code /v1/logs}, {@code /v1/traces} with
 * protobuf or JSON bodies, optionally gzip-compressed. Each decoded request goes to an {@link
 * OtlpSink}; the sender gets 200 only once the sink has stored it.
 *
 * <p>Usable on its own: give it settings, any sink and a registry for its counters ({@code
 * vigil_collector_requests_total}, {@code vigil_collector_requests_rejected_total}, {@code
 * vigil_collector_received_data_points_total}).
 *
 * <p>Requests run on a fixed pool of {@value #THREADS} threads with a queue of {@value
 * #QUEUE_CAPACITY} connections; beyond that the accepting thread serves requests itself, so a flood
 * slows down accepting instead of growing memory.
 */
public final class OtlpHttpReceiver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OtlpHttpReceiver.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  /** Worker threads; requests block on Kafka acknowledgements, so more than the CPU count. */
  static final int THREADS = 16;

  /** Requests waiting for a worker before the accepting thread takes them itself. */
  static final int QUEUE_CAPACITY = 256;

  private final HttpServer server;
  private final ThreadPoolExecutor executor;
  private final OtlpHttpHandler handler;
  private final ReceiverMetrics metrics;
  private final Duration drainTimeout;
  private volatile boolean listening;

  private OtlpHttpReceiver(
      HttpServer server,
      ThreadPoolExecutor executor,
      OtlpHttpHandler handler,
      ReceiverMetrics metrics,
      Duration drainTimeout) {
    this.server = server;
    this.executor = executor;
    this.handler = handler;
    this.metrics = metrics;
    this.drainTimeout = drainTimeout;
  }

  /**
   * Binds {@code settings.host():settings.port()} and starts serving.
   *
   * @throws IOException when the address cannot be bound
   */
  public static OtlpHttpReceiver start(
      OtlpHttpSettings settings, OtlpSink sink, PrometheusRegistry registry) throws IOException {
    return start(settings, sink, null, registry);
  }

  /**
   * As {@link #start(OtlpHttpSettings, OtlpSink, PrometheusRegistry)}, also serving OpenLineage
   * events on {@code POST /api/v1/lineage} into {@code records} when it is not null.
   *
   * @throws IOException when the address cannot be bound
   */
  public static OtlpHttpReceiver start(
      OtlpHttpSettings settings, OtlpSink sink, RecordSink records, PrometheusRegistry registry)
      throws IOException {
    ReceiverMetrics metrics = new ReceiverMetrics(registry);
    OtlpHttpHandler handler = new OtlpHttpHandler(settings, sink, records, metrics);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 0);
    int instance = INSTANCES.incrementAndGet();
    AtomicInteger threads = new AtomicInteger();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE_CAPACITY),
            r -> {
              Thread t =
                  new Thread(r, "vigil-otlp-http-" + instance + "-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.CallerRunsPolicy());
    executor.allowCoreThreadTimeOut(true);
    server.setExecutor(executor);
    server.createContext("/", handler);
    server.start();
    // In-flight requests may wait for Kafka as long as the request timeout; give them that.
    OtlpHttpReceiver receiver =
        new OtlpHttpReceiver(
            server, executor, handler, metrics, settings.requestTimeout().plusSeconds(1));
    receiver.listening = true;
    LOG.info("OTLP/HTTP receiver listening on {}", server.getAddress());
    return receiver;
  }

  /** The port actually bound. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Whether the receiver accepts requests (true from start until close). */
  public boolean isListening() {
    return listening;
  }

  /** Data points, log records or spans of {@code signal} accepted so far. */
  public long accepted(OtlpSignal signal) {
    return metrics.acceptedItems(signal);
  }

  /** OpenLineage events accepted so far. */
  public long acceptedLineageEvents() {
    return metrics.acceptedLineageEvents();
  }

  /** Requests refused so far, for any reason. */
  public long rejected() {
    return metrics.rejectedRequests();
  }

  /**
   * Stops accepting (new requests get 503), waits for requests in flight to be answered, then
   * closes the socket.
   */
  @Override
  public void close() {
    if (!listening) {
      return;
    }
    listening = false;
    try {
      if (!handler.drain(drainTimeout)) {
        LOG.warn("OTLP/HTTP requests still in flight after {}; closing anyway", drainTimeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server.stop(0);
    executor.shutdownNow();
  }
}
