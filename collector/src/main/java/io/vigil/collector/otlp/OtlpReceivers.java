package io.vigil.collector.otlp;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.server.HttpService;
import io.vigil.collector.ingress.HttpReplies;
import io.vigil.collector.ingress.Listener;
import io.vigil.collector.ingress.ReceiverMetrics;
import io.vigil.collector.ingress.Receiving;
import io.vigil.collector.ingress.Rejection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The OTLP receivers as {@link Listener}s of the ingress: OTLP/gRPC's three {@code Export} methods
 * on {@code otlp.grpc}, OTLP/HTTP's {@code /v1/metrics}, {@code /v1/logs}, {@code /v1/traces} (and
 * whatever other HTTP routes the collector adds, e.g. OpenLineage) on {@code otlp.http}.
 */
public final class OtlpReceivers {
  /** Listener name of the OTLP/gRPC receiver. */
  public static final String GRPC = "otlp_grpc";

  /** Listener name of the OTLP/HTTP receiver. */
  public static final String HTTP = "otlp_http";

  private OtlpReceivers() {}

  /** The OTLP/gRPC listener. */
  public static Listener grpc(
      OtlpGrpcSettings settings, Duration maxClockSkew, Receiving receiving) {
    ReceiverMetrics metrics = receiving.metrics();
    Map<String, HttpService> routes = new LinkedHashMap<>();
    for (OtlpSignal signal : OtlpSignal.values()) {
      routes.put(
          signal.grpcPath(),
          new OtlpGrpcService(signal, settings.maxBodyBytes(), maxClockSkew, receiving));
    }
    HttpService unknown =
        (ctx, req) -> {
          Rejection r =
              new Rejection(
                  404,
                  Rejection.UNIMPLEMENTED,
                  "not_found",
                  "unknown gRPC method '" + ctx.path() + "'");
          count(metrics, "grpc", "UNIMPLEMENTED", r);
          return OtlpGrpcService.trailersOnly(r);
        };
    return new Listener(
        GRPC,
        settings.host(),
        settings.port(),
        settings.requestTimeout(),
        routes,
        unknown,
        settings.tls(),
        OtlpGrpcSettings.TLS_KEY);
  }

  /** The OTLP/HTTP listener, also serving {@code extraRoutes}. */
  public static Listener http(
      OtlpHttpSettings settings,
      Duration maxClockSkew,
      Receiving receiving,
      Map<String, HttpService> extraRoutes) {
    ReceiverMetrics metrics = receiving.metrics();
    Map<String, HttpService> routes = new LinkedHashMap<>();
    for (OtlpSignal signal : OtlpSignal.values()) {
      routes.put(
          signal.path(),
          new OtlpHttpService(signal, settings.maxBodyBytes(), maxClockSkew, receiving));
    }
    routes.putAll(extraRoutes);
    String use = String.join(", ", routes.keySet());
    HttpService unknown =
        (ctx, req) -> {
          Rejection r = Rejection.notFound(ctx.path(), use);
          count(metrics, "http", "404", r);
          String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
          return HttpReplies.refused(
              r, RequestDecoder.responseEncoding(type) == RequestDecoder.Encoding.JSON);
        };
    return new Listener(
        HTTP,
        settings.host(),
        settings.port(),
        settings.requestTimeout(),
        routes,
        unknown,
        settings.tls(),
        OtlpHttpSettings.TLS_KEY);
  }

  private static void count(ReceiverMetrics metrics, String transport, String status, Rejection r) {
    metrics.rejected(transport, ReceiverMetrics.UNKNOWN_SIGNAL, r.reason());
    metrics.answered(transport, ReceiverMetrics.UNKNOWN_SIGNAL, status);
  }
}
