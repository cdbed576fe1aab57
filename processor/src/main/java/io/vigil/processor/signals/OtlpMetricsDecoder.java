package io.vigil.processor.signals;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.model.otlp.OtlpAttributes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Picks the server-duration histograms out of an OTLP request — {@code
 * http.server.request.duration} and {@code rpc.server.call.duration}, and their older names {@code
 * http.server.duration} and {@code rpc.server.duration} — checks them and converts them to {@link
 * MetricPoint}s. Explicit and exponential histograms both; an older name is skipped ({@code
 * superseded_metric}) where the same resource also sends its successor (an SDK emitting both during
 * a semconv migration), so nothing is counted twice. Prometheus-style request metrics of the same
 * request go to {@link PrometheusRequestDecoder}. Pure: no Kafka, no clock.
 */
final class OtlpMetricsDecoder {
  /** The OpenTelemetry semantic-convention server duration histogram. */
  static final String METRIC = "http.server.request.duration";

  /** Current semantic conventions' status code attribute. */
  static final String STATUS_CODE = "http.response.status_code";

  /** Status code attribute of the semantic conventions before 1.20. */
  static final String OLD_STATUS_CODE = "http.status_code";

  /** gRPC status code attribute of RPC server durations. */
  static final String GRPC_STATUS_CODE = "rpc.grpc.status_code";

  /** Semantic conventions' error class attribute: present on a failed call. */
  static final String ERROR_TYPE = "error.type";

  /** The route template of an HTTP server span or metric, e.g. {@code /users/:id}. */
  static final String HTTP_ROUTE = "http.route";

  /** The request method, current semantic conventions (and before 1.20: {@code http.method}). */
  static final String HTTP_METHOD = "http.request.method";

  static final String OLD_HTTP_METHOD = "http.method";

  /** The RPC's service and method. */
  static final String RPC_SERVICE = "rpc.service";

  static final String RPC_METHOD = "rpc.method";

  /**
   * gRPC codes that count as server errors (the OpenTelemetry semantic conventions' list): UNKNOWN,
   * DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS.
   */
  static final Set<Long> GRPC_SERVER_ERRORS = Set.of(2L, 4L, 12L, 13L, 14L, 15L);

  /** The histograms that carry a server's requests. */
  enum Source implements RequestLabels {
    HTTP("http.server.request.duration", null, false),
    HTTP_OLD("http.server.duration", "http.server.request.duration", false),
    RPC("rpc.server.call.duration", null, true),
    RPC_OLD("rpc.server.duration", "rpc.server.call.duration", true);

    final String metric;
    final String supersededBy;
    final boolean rpc;

    Source(String metric, String supersededBy, boolean rpc) {
      this.metric = metric;
      this.supersededBy = supersededBy;
      this.rpc = rpc;
    }

    static Source of(String metric) {
      for (Source s : values()) {
        if (s.metric.equals(metric)) {
          return s;
        }
      }
      return null;
    }

    @Override
    public boolean isError(List<KeyValue> attributes) {
      return OtlpMetricsDecoder.isError(this, attributes);
    }

    @Override
    public String operation(List<KeyValue> attributes) {
      return OtlpMetricsDecoder.operation(this, attributes);
    }
  }

  private OtlpMetricsDecoder() {}

  /**
   * Reports every point of the {@link Source} metrics in {@code request} to {@code sink}, and those
   * of the Prometheus-style request metrics ({@link PrometheusRequestDecoder}).
   */
  static void decode(ExportMetricsServiceRequest request, PointSink<MetricPoint> sink) {
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      Set<String> names = new HashSet<>();
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric metric : sm.getMetricsList()) {
          names.add(metric.getName());
        }
      }
      decode(rm, Origin.of(rm.getResource()), names, sink);
    }
  }

  /**
   * Reports the points of the {@link Source} metrics of one resource, and of its Prometheus-style
   * request metrics; {@code names} are all its metrics' names.
   */
  static void decode(
      ResourceMetrics rm, Origin origin, Set<String> names, PointSink<MetricPoint> sink) {
    for (ScopeMetrics sm : rm.getScopeMetricsList()) {
      for (Metric metric : sm.getMetricsList()) {
        Source source = Source.of(metric.getName());
        if (source == null) {
          continue;
        }
        if (source.supersededBy != null && names.contains(source.supersededBy)) {
          sink.skipped("superseded_metric");
          continue;
        }
        if (!metric.hasHistogram() && !metric.hasExponentialHistogram()) {
          sink.skipped("not_histogram");
          continue;
        }
        decodeHistogram(
            metric,
            Stream.of(origin, sm, metric, source, millisPerUnit(metric.getUnit()), false),
            sink);
      }
    }
    PrometheusRequestDecoder.decode(rm, origin, names, sink);
  }

  /** Whether {@code names} hold an OpenTelemetry server duration of RPCs ({@code rpc}) or HTTP. */
  static boolean sendsSource(Set<String> names, boolean rpc) {
    for (Source source : Source.values()) {
      if (source.rpc == rpc && names.contains(source.metric)) {
        return true;
      }
    }
    return false;
  }

  /** Reports the points of histogram {@code metric} (explicit or exponential) of {@code stream}. */
  static void decodeHistogram(Metric metric, Stream stream, PointSink<MetricPoint> sink) {
    if (metric.hasHistogram()) {
      AggregationTemporality temporality = metric.getHistogram().getAggregationTemporality();
      BoundsInMillis inMillis = stream.boundsInMillis();
      for (HistogramDataPoint dp : metric.getHistogram().getDataPointsList()) {
        explicitPoint(stream, temporality, HistogramPoints.Point.of(dp, stream), inMillis, sink);
      }
    } else {
      AggregationTemporality temporality =
          metric.getExponentialHistogram().getAggregationTemporality();
      for (ExponentialHistogramDataPoint dp :
          metric.getExponentialHistogram().getDataPointsList()) {
        String problem = stream.problem(temporality);
        problem = problem != null ? problem : ExponentialBuckets.check(dp);
        if (problem != null) {
          sink.skipped(problem);
        } else {
          sink.point(toPoint(dp, stream, cumulative(temporality)));
        }
      }
    }
  }

  /**
   * The series one resource's points belong to, and its identity (its attributes, canonical).
   *
   * @param id the resource's attributes, canonical: part of every stream's identity
   * @param key a short hash of {@code id}: the sender's name within its series ({@link
   *     MetricPoint#origin()}). Two senders whose keys collide share a state entry, nothing more:
   *     their streams stay apart, as {@code id} is part of their names
   */
  record Origin(String id, String cluster, String namespace, String service, String key) {
    /** Hex digits of {@link #key}: 64 bits. */
    private static final int KEY_DIGITS = 16;

    static Origin of(Resource resource) {
      String id = canonical(resource.getAttributesList());
      return new Origin(
          id,
          OtlpAttributes.get(resource.getAttributesList(), OtlpAttributes.K8S_CLUSTER),
          OtlpAttributes.namespace(resource),
          OtlpAttributes.serviceName(resource),
          hash(id).substring(0, KEY_DIGITS));
    }
  }

  /**
   * What the points of one metric share.
   *
   * @param prefix the stream identity's part before the point attributes
   * @param labels what the point attributes say about the requests
   * @param toMillis milliseconds per unit of the metric's values, null for a unit we do not know
   * @param latencyOnly whether the points only give latency ({@link MetricPoint#latencyOnly()})
   */
  record Stream(
      String prefix, Origin origin, RequestLabels labels, Double toMillis, boolean latencyOnly) {
    static Stream of(
        Origin origin,
        ScopeMetrics sm,
        Metric metric,
        RequestLabels labels,
        Double toMillis,
        boolean latencyOnly) {
      return of(
          origin,
          sm.getScope().getName(),
          sm.getScope().getVersion(),
          metric.getName(),
          metric.getUnit(),
          labels,
          toMillis,
          latencyOnly);
    }

    static Stream of(
        Origin origin,
        String scopeName,
        String scopeVersion,
        String metric,
        String unit,
        RequestLabels labels,
        Double toMillis,
        boolean latencyOnly) {
      String prefix =
          origin.id() + "|" + scopeName + "|" + scopeVersion + "|" + metric + "|" + unit + "|";
      return new Stream(prefix, origin, labels, toMillis, latencyOnly);
    }

    /** Converts the bounds of one histogram's points to milliseconds; only without a problem. */
    BoundsInMillis boundsInMillis() {
      return new BoundsInMillis(toMillis == null ? Double.NaN : toMillis);
    }

    String problem(AggregationTemporality temporality) {
      if (toMillis == null) {
        return "unsupported_unit";
      }
      if (temporality != AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
          && temporality != AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA) {
        return "unspecified_temporality";
      }
      return null;
    }
  }

  static boolean cumulative(AggregationTemporality temporality) {
    return temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE;
  }

  /** Whether a point with {@code attributes} counts failed requests. */
  static boolean isError(Source source, List<KeyValue> attributes) {
    if (source.rpc) {
      Long code = OtlpAttributes.getLong(attributes, GRPC_STATUS_CODE);
      return code != null
          ? GRPC_SERVER_ERRORS.contains(code)
          : OtlpAttributes.get(attributes, ERROR_TYPE) != null;
    }
    Long status = OtlpAttributes.getLong(attributes, STATUS_CODE);
    if (status == null) {
      status = OtlpAttributes.getLong(attributes, OLD_STATUS_CODE);
    }
    return status != null && status >= 500;
  }

  /** Milliseconds per unit of {@code unit}, or null for a unit that is not a duration we know. */
  static Double millisPerUnit(String unit) {
    return switch (unit) {
      case "s" -> 1000.0;
      case "ms" -> 1.0;
      case "us" -> 0.001;
      default -> null;
    };
  }

  /**
   * What is wrong with a histogram point of these flags, times, count, bounds (in its unit) and
   * bucket counts, as a counter reason, or null when it can be used.
   */
  private static String check(
      int flags, long startNanos, long timeNanos, long count, double[] bounds, long[] buckets) {
    if ((flags & DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE) != 0) {
      return "no_recorded_value";
    }
    if (timeNanos <= 0) {
      return "missing_time";
    }
    if (startNanos < 0 || startNanos > timeNanos) {
      return "invalid_start_time";
    }
    if (count < 0) {
      // fixed64 above Long.MAX_VALUE: no real server counts that many requests.
      return "negative_count";
    }
    if (buckets.length == 0) {
      return bounds.length == 0 ? null : "bucket_mismatch";
    }
    if (buckets.length != bounds.length + 1) {
      return "bucket_mismatch";
    }
    long sum = 0;
    for (long c : buckets) {
      if (c < 0) {
        return "negative_count";
      }
      sum += c;
      if (sum < 0) {
        return "negative_count";
      }
    }
    if (sum != count) {
      return "bucket_mismatch";
    }
    for (int i = 0; i < bounds.length; i++) {
      if (!Double.isFinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
        return "invalid_bounds";
      }
    }
    return null;
  }

  /**
   * The bounds of one histogram's points in milliseconds: each point's bounds converted from a unit
   * of {@code toMillis} ms, or the array of the point before when its bounds are the same. The
   * points of a histogram nearly always share their bounds; sharing the array spares an allocation
   * per point, and the windows compare bounds first by identity.
   */
  static final class BoundsInMillis {
    private final double toMillis;
    private double[] last;
    private double[] lastMs;

    BoundsInMillis(double toMillis) {
      this.toMillis = toMillis;
    }

    double[] of(double[] bounds) {
      if (bounds != last && !Arrays.equals(bounds, last)) {
        double[] ms = new double[bounds.length];
        for (int i = 0; i < bounds.length; i++) {
          ms[i] = bounds[i] * toMillis;
        }
        last = bounds;
        lastMs = ms;
      }
      return lastMs;
    }
  }

  /**
   * Reports explicit-bucket point {@code p} of {@code stream}: skipped with the reason it cannot be
   * used, or converted to a {@link MetricPoint}. Both readers of histogram points come here: {@link
   * HistogramWire} and protobuf's (above).
   */
  static void explicitPoint(
      Stream stream,
      AggregationTemporality temporality,
      HistogramPoints.Point p,
      BoundsInMillis inMillis,
      PointSink<MetricPoint> sink) {
    String problem = stream.problem(temporality);
    problem =
        problem != null
            ? problem
            : check(p.flags(), p.startNanos(), p.timeNanos(), p.count(), p.bounds(), p.buckets());
    if (problem != null) {
      sink.skipped(problem);
      return;
    }
    sink.point(
        point(
            stream,
            p.labels(),
            cumulative(temporality),
            p.startNanos(),
            p.timeNanos(),
            p.count(),
            inMillis.of(p.bounds()),
            p.buckets(),
            p.max()));
  }

  private static MetricPoint toPoint(
      ExponentialHistogramDataPoint dp, Stream stream, boolean cumulative) {
    double toMillis = stream.toMillis();
    ExponentialBuckets.Converted converted = ExponentialBuckets.convert(dp, toMillis);
    return point(
            stream,
            PointLabels.of(stream, dp.getAttributesList()),
            cumulative,
            dp.getStartTimeUnixNano(),
            dp.getTimeUnixNano(),
            dp.getCount(),
            converted.boundsMs(),
            converted.buckets(),
            dp.hasMax() ? dp.getMax() : Double.NaN)
        .asExponential();
  }

  /**
   * What a point's attributes say within its {@code stream}: its stream identity (a hash of the
   * stream's prefix and the attributes, canonical), whether it counts errors, and its operation.
   */
  record PointLabels(String stream, boolean error, String operation) {
    static PointLabels of(Stream stream, List<KeyValue> attributes) {
      return new PointLabels(
          hash(stream.prefix() + canonical(attributes)),
          stream.labels().isError(attributes),
          stream.labels().operation(attributes));
    }
  }

  /**
   * A point of {@code stream} with what its attributes say ({@code labels}); {@code max} in the
   * metric's unit, NaN when not given.
   */
  static MetricPoint point(
      Stream stream,
      PointLabels labels,
      boolean cumulative,
      long startNanos,
      long timeNanos,
      long count,
      double[] boundsMs,
      long[] buckets,
      double max) {
    // A cumulative max covers the whole life of the stream, not one window: only deltas keep it.
    Double maxMs = !cumulative && Double.isFinite(max) && max >= 0 ? max * stream.toMillis() : null;
    Origin origin = stream.origin();
    return new MetricPoint(
        labels.stream(),
        origin.cluster(),
        origin.namespace(),
        origin.service(),
        labels.error(),
        cumulative,
        startNanos,
        timeNanos,
        count,
        boundsMs,
        buckets,
        maxMs,
        labels.operation(),
        stream.latencyOnly(),
        false,
        0,
        false,
        null,
        origin.key());
  }

  /**
   * The operation a point's requests asked for: {@code <method> <route>} for HTTP ({@code
   * http.route}: a template, so bounded; never the raw path), {@code <service>/<method>} for RPC;
   * null when the attributes do not say.
   */
  static String operation(Source source, List<KeyValue> attributes) {
    if (source.rpc) {
      String method = OtlpAttributes.get(attributes, RPC_METHOD);
      if (method == null || method.isEmpty()) {
        return null;
      }
      String service = OtlpAttributes.get(attributes, RPC_SERVICE);
      return service == null || service.isEmpty() ? method : service + "/" + method;
    }
    String route = OtlpAttributes.get(attributes, HTTP_ROUTE);
    if (route == null || route.isEmpty()) {
      return null;
    }
    String method = OtlpAttributes.get(attributes, HTTP_METHOD);
    if (method == null) {
      method = OtlpAttributes.get(attributes, OLD_HTTP_METHOD);
    }
    return method == null || method.isEmpty() ? route : method + " " + route;
  }

  /** Attributes in key order, each part length-prefixed so that no two lists print the same. */
  static String canonical(List<KeyValue> attributes) {
    List<KeyValue> sorted = new ArrayList<>(attributes);
    sorted.sort(Comparator.comparing(KeyValue::getKey));
    StringBuilder sb = new StringBuilder();
    for (KeyValue kv : sorted) {
      String value = String.valueOf(OtlpAttributes.asString(kv.getValue()));
      sb.append(kv.getKey().length())
          .append(':')
          .append(kv.getKey())
          .append(value.length())
          .append(':')
          .append(value);
    }
    return sb.toString();
  }

  /** 128 bits of SHA-256: short store keys, collisions out of reach. */
  static String hash(String identity) {
    byte[] digest = SHA_256.get().digest(identity.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(digest, 0, 16);
  }

  /** One digest per stream thread: {@code getInstance} per data point is a provider lookup. */
  private static final ThreadLocal<MessageDigest> SHA_256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-256 is required of every JVM", e);
            }
          });
}
