package io.vigil.collector.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.vigil.model.Topics;

/**
 * The three OTLP signals: their OTLP/HTTP path, the label used in metrics, and how to decode and
 * count their export requests.
 */
public enum OtlpSignal {
  /** {@code POST /v1/metrics}, an {@code ExportMetricsServiceRequest}; counts data points. */
  METRICS(
      "metrics",
      "/v1/metrics",
      ExportMetricsServiceRequest.getDefaultInstance(),
      ExportMetricsServiceResponse.getDefaultInstance()) {
    @Override
    public long count(Message request) {
      long points = 0;
      for (ResourceMetrics rm : ((ExportMetricsServiceRequest) request).getResourceMetricsList()) {
        for (ScopeMetrics sm : rm.getScopeMetricsList()) {
          for (Metric m : sm.getMetricsList()) {
            points += dataPoints(m);
          }
        }
      }
      return points;
    }

    @Override
    public int resources(Message request) {
      return ((ExportMetricsServiceRequest) request).getResourceMetricsCount();
    }
  },

  /** {@code POST /v1/logs}, an {@code ExportLogsServiceRequest}; counts log records. */
  LOGS(
      "logs",
      "/v1/logs",
      ExportLogsServiceRequest.getDefaultInstance(),
      ExportLogsServiceResponse.getDefaultInstance()) {
    @Override
    public long count(Message request) {
      long records = 0;
      for (ResourceLogs rl : ((ExportLogsServiceRequest) request).getResourceLogsList()) {
        for (ScopeLogs sl : rl.getScopeLogsList()) {
          records += sl.getLogRecordsCount();
        }
      }
      return records;
    }

    @Override
    public int resources(Message request) {
      return ((ExportLogsServiceRequest) request).getResourceLogsCount();
    }
  },

  /** {@code POST /v1/traces}, an {@code ExportTraceServiceRequest}; counts spans. */
  TRACES(
      "traces",
      "/v1/traces",
      ExportTraceServiceRequest.getDefaultInstance(),
      ExportTraceServiceResponse.getDefaultInstance()) {
    @Override
    public long count(Message request) {
      long spans = 0;
      for (ResourceSpans rs : ((ExportTraceServiceRequest) request).getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          spans += ss.getSpansCount();
        }
      }
      return spans;
    }

    @Override
    public int resources(Message request) {
      return ((ExportTraceServiceRequest) request).getResourceSpansCount();
    }
  };

  private final String label;
  private final String path;
  private final Message emptyRequest;
  private final Message emptyResponse;

  OtlpSignal(String label, String path, Message emptyRequest, Message emptyResponse) {
    this.label = label;
    this.path = path;
    this.emptyRequest = emptyRequest;
    this.emptyResponse = emptyResponse;
  }

  /** The value of the {@code signal} label on the collector's metrics. */
  public String label() {
    return label;
  }

  /** The OTLP/HTTP path, e.g. {@code /v1/metrics}. */
  public String path() {
    return path;
  }

  /**
   * The OTLP/gRPC method path, e.g. {@code
   * /opentelemetry.proto.collector.metrics.v1.MetricsService/Export}.
   */
  public String grpcPath() {
    return "/"
        + emptyRequest.getDescriptorForType().getFile().getServices().get(0).getFullName()
        + "/Export";
  }

  /** The Kafka topic this signal's records go to. */
  public String topic() {
    return switch (this) {
      case METRICS -> Topics.OTLP_METRICS;
      case LOGS -> Topics.OTLP_LOGS;
      case TRACES -> Topics.OTLP_SPANS;
    };
  }

  /**
   * The export response: empty when everything was taken, else with {@code partial_success}: the
   * items left out ({@code rejected_data_points}, {@code rejected_log_records}, {@code
   * rejected_spans}) and why.
   */
  public Message response(long rejected, String message) {
    if (rejected == 0 && message == null) {
      return emptyResponse;
    }
    String why = message == null ? "" : message;
    return switch (this) {
      case METRICS ->
          ExportMetricsServiceResponse.newBuilder()
              .setPartialSuccess(
                  ExportMetricsPartialSuccess.newBuilder()
                      .setRejectedDataPoints(rejected)
                      .setErrorMessage(why))
              .build();
      case LOGS ->
          ExportLogsServiceResponse.newBuilder()
              .setPartialSuccess(
                  ExportLogsPartialSuccess.newBuilder()
                      .setRejectedLogRecords(rejected)
                      .setErrorMessage(why))
              .build();
      case TRACES ->
          ExportTraceServiceResponse.newBuilder()
              .setPartialSuccess(
                  ExportTracePartialSuccess.newBuilder()
                      .setRejectedSpans(rejected)
                      .setErrorMessage(why))
              .build();
    };
  }

  /** The protobuf message name of the request, e.g. {@code ExportMetricsServiceRequest}. */
  public String requestType() {
    return emptyRequest.getDescriptorForType().getName();
  }

  /** A builder for this signal's export request, e.g. to merge OTLP/JSON into. */
  public Message.Builder newRequestBuilder() {
    return emptyRequest.newBuilderForType();
  }

  /** Parses a protobuf-encoded export request; an empty body is a valid empty request. */
  public Message parseProtobuf(byte[] body) throws InvalidProtocolBufferException {
    return emptyRequest.getParserForType().parseFrom(body);
  }

  /** The empty {@code Export*ServiceResponse} a receiver sends on full success. */
  public Message emptyResponse() {
    return emptyResponse;
  }

  /** Data points (metrics), log records (logs) or spans (traces) in {@code request}. */
  public abstract long count(Message request);

  /** The number of {@code Resource*} entries in {@code request}. */
  public abstract int resources(Message request);

  private static int dataPoints(Metric metric) {
    return switch (metric.getDataCase()) {
      case GAUGE -> metric.getGauge().getDataPointsCount();
      case SUM -> metric.getSum().getDataPointsCount();
      case HISTOGRAM -> metric.getHistogram().getDataPointsCount();
      case EXPONENTIAL_HISTOGRAM -> metric.getExponentialHistogram().getDataPointsCount();
      case SUMMARY -> metric.getSummary().getDataPointsCount();
      case DATA_NOT_SET -> 0;
    };
  }
}
