package io.vigil.processor.signals;

import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.List;

/**
 * What the attributes of a request metric's point say about its requests, in the naming of the
 * metric's source: the OpenTelemetry semantic conventions ({@link OtlpMetricsDecoder.Source}) or
 * the Prometheus client libraries' labels ({@link PrometheusLabels}).
 */
interface RequestLabels {
  /** Whether the point counts failed requests (server errors). */
  boolean isError(List<KeyValue> attributes);

  /** The operation the point's requests asked for (a route template, an RPC), or null. */
  String operation(List<KeyValue> attributes);
}
