package io.vigil.collector;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Objects;

/** Small OTLP requests and fixtures for tests. */
public final class TestRequests {
  private TestRequests() {}

  /** A resource with {@code service.name} = {@code service}, or none when null. */
  public static Resource resource(String service) {
    Resource.Builder resource = Resource.newBuilder();
    if (service != null) {
      resource.addAttributes(
          KeyValue.newBuilder()
              .setKey("service.name")
              .setValue(AnyValue.newBuilder().setStringValue(service)));
    }
    return resource.build();
  }

  /** Resource metrics of {@code service} with one gauge holding {@code points} data points. */
  public static ResourceMetrics resourceMetrics(String service, int points) {
    Gauge.Builder gauge = Gauge.newBuilder();
    for (int i = 0; i < points; i++) {
      gauge.addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(1_000L + i).setAsDouble(i));
    }
    return ResourceMetrics.newBuilder()
        .setResource(resource(service))
        .addScopeMetrics(
            ScopeMetrics.newBuilder()
                .addMetrics(Metric.newBuilder().setName("queue.depth").setGauge(gauge)))
        .build();
  }

  /** A metrics request, one resource per service, each with {@code points} data points. */
  public static ExportMetricsServiceRequest metrics(int points, String... services) {
    ExportMetricsServiceRequest.Builder request = ExportMetricsServiceRequest.newBuilder();
    for (String service : services) {
      request.addResourceMetrics(resourceMetrics(service, points));
    }
    return request.build();
  }

  /** A logs request with one record for {@code service}. */
  public static ExportLogsServiceRequest logs(String service) {
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(
            ResourceLogs.newBuilder()
                .setResource(resource(service))
                .addScopeLogs(
                    ScopeLogs.newBuilder()
                        .addLogRecords(
                            LogRecord.newBuilder()
                                .setBody(AnyValue.newBuilder().setStringValue("hello")))))
        .build();
  }

  /** A traces request with one span for {@code service}. */
  public static ExportTraceServiceRequest traces(String service) {
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .setResource(resource(service))
                .addScopeSpans(
                    ScopeSpans.newBuilder()
                        .addSpans(
                            Span.newBuilder()
                                .setName("GET /")
                                .setTraceId(ByteString.copyFrom(new byte[16]))
                                .setSpanId(ByteString.copyFrom(new byte[8])))))
        .build();
  }

  /** A collector on {@code bootstrapServers} with every port free on 127.0.0.1, else defaults. */
  public static CollectorConfig localCollector(String bootstrapServers) {
    return CollectorConfig.load(
        """
        kafka: {bootstrap_servers: '%s'}
        otlp: {grpc: {host: 127.0.0.1, port: 0}, http: {host: 127.0.0.1, port: 0}}
        admin: {host: 127.0.0.1, port: 0}
        """
            .formatted(bootstrapServers),
        java.util.Map.of());
  }

  /**
   * The {@code kafka} section of a collector's settings for a broker {@link
   * EmbeddedKafka#startSecured started secured}: its client settings in {@code overrides}, {@code
   * user}'s password from the environment ({@code KAFKA_PASSWORD}), as an operator writes it.
   */
  public static String securedKafka(EmbeddedKafka kafka, String user) {
    java.util.Map<String, String> security = kafka.clientSecurity();
    return """
        kafka:
          bootstrap_servers: '%s'
          overrides:
            security.protocol: %s
            sasl.mechanism: %s
            ssl.truststore.type: %s
            ssl.truststore.location: '%s'
            sasl.jaas.config: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="%s" password="${KAFKA_PASSWORD}";'
        """
        .formatted(
            kafka.bootstrapServers(),
            security.get("security.protocol"),
            security.get("sasl.mechanism"),
            security.get("ssl.truststore.type"),
            security.get("ssl.truststore.location"),
            user);
  }

  /** What the admin port at {@code adminPort} shows on {@code /metrics}. */
  public static String adminMetrics(int adminPort) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The export request a sink record of an {@code otlp_*} topic holds. */
  public static Message parse(SinkRecord record) {
    try {
      return switch (record.topic()) {
        case Topics.OTLP_METRICS -> ExportMetricsServiceRequest.parseFrom(record.value());
        case Topics.OTLP_LOGS -> ExportLogsServiceRequest.parseFrom(record.value());
        case Topics.OTLP_SPANS -> ExportTraceServiceRequest.parseFrom(record.value());
        default -> throw new IllegalArgumentException("not an OTLP topic: " + record.topic());
      };
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] fixture(String path) {
    try (InputStream in =
        Objects.requireNonNull(
            TestRequests.class.getClassLoader().getResourceAsStream(path), path)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
