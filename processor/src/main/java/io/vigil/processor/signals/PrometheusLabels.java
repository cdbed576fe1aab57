package io.vigil.processor.signals;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.vigil.model.otlp.OtlpAttributes;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The labels of Prometheus-style request metrics, as the client libraries name them (a scraped
 * label is a point attribute): client_golang's promhttp ({@code code}, {@code handler}, {@code
 * method}), Micrometer ({@code status}, {@code outcome}, {@code uri}, {@code method}), other
 * libraries' {@code status_code}, {@code route}, {@code path}, OpenTelemetry names rendered
 * Prometheus-style ({@code http_response_status_code}, {@code http_route}, {@code
 * http_request_method}), and go-grpc-prometheus ({@code grpc_code}, {@code grpc_service}, {@code
 * grpc_method}).
 */
enum PrometheusLabels implements RequestLabels {
  HTTP {
    @Override
    public boolean isError(List<KeyValue> attributes) {
      for (String label : STATUS) {
        Long status = OtlpAttributes.getLong(attributes, label);
        if (status != null) {
          return status >= 500;
        }
      }
      return "SERVER_ERROR".equals(OtlpAttributes.get(attributes, OUTCOME));
    }

    @Override
    public String operation(List<KeyValue> attributes) {
      String route = null;
      for (String label : ROUTE) {
        String value = OtlpAttributes.get(attributes, label);
        if (value != null && !value.isEmpty()) {
          route = value;
          break;
        }
      }
      if (route == null) {
        String path = OtlpAttributes.get(attributes, PATH);
        route = path != null && isTemplate(path) ? path : null;
      }
      if (route == null) {
        return null;
      }
      String method = OtlpAttributes.get(attributes, "method");
      if (method == null || method.isEmpty()) {
        method = OtlpAttributes.get(attributes, "http_request_method");
      }
      return method == null || method.isEmpty()
          ? route
          : method.toUpperCase(Locale.ROOT) + " " + route;
    }

    @Override
    boolean hasStatus(List<KeyValue> attributes) {
      for (String label : STATUS) {
        if (OtlpAttributes.get(attributes, label) != null) {
          return true;
        }
      }
      return OtlpAttributes.get(attributes, OUTCOME) != null;
    }
  },

  GRPC {
    @Override
    public boolean isError(List<KeyValue> attributes) {
      Long number = OtlpAttributes.getLong(attributes, GRPC_CODE);
      if (number != null) {
        return OtlpMetricsDecoder.GRPC_SERVER_ERRORS.contains(number);
      }
      String code = OtlpAttributes.get(attributes, GRPC_CODE);
      return code != null
          && GRPC_ERROR_NAMES.contains(code.replace("_", "").toLowerCase(Locale.ROOT));
    }

    @Override
    public String operation(List<KeyValue> attributes) {
      String method = OtlpAttributes.get(attributes, "grpc_method");
      if (method == null || method.isEmpty()) {
        return null;
      }
      String service = OtlpAttributes.get(attributes, "grpc_service");
      return service == null || service.isEmpty() ? method : service + "/" + method;
    }

    @Override
    boolean hasStatus(List<KeyValue> attributes) {
      return OtlpAttributes.get(attributes, GRPC_CODE) != null;
    }
  };

  /** Status code labels, in the order they are read. */
  static final List<String> STATUS =
      List.of("code", "status", "status_code", "http_response_status_code");

  /** Micrometer's outcome label: {@code SERVER_ERROR} for a 5xx. */
  static final String OUTCOME = "outcome";

  /** Route template labels, in the order they are read; {@link #PATH} only after them. */
  static final List<String> ROUTE = List.of("http_route", "route", "handler", "uri");

  /** A path label: a raw path (with ids) in some libraries, a template in others. */
  static final String PATH = "path";

  static final String GRPC_CODE = "grpc_code";

  /**
   * gRPC codes that count as server errors, by name as go-grpc-prometheus writes them ({@code
   * DeadlineExceeded}), lower case and without underscores so that {@code DEADLINE_EXCEEDED} reads
   * the same.
   */
  static final Set<String> GRPC_ERROR_NAMES =
      Set.of("unknown", "deadlineexceeded", "unimplemented", "internal", "unavailable", "dataloss");

  /** Whether a point with {@code attributes} says how its requests ended. */
  abstract boolean hasStatus(List<KeyValue> attributes);

  /**
   * Whether {@code path} is a route template rather than a request's path: it has a placeholder
   * ({@code {id}}, {@code :id}, {@code <id>}, {@code *}). A raw path has ids in it, one series per
   * user or order, so it is never an operation.
   */
  static boolean isTemplate(String path) {
    return path.contains("{") || path.contains("/:") || path.contains("<") || path.contains("*");
  }
}
