package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.vigil.processor.signals.PrometheusSources.Candidate;
import io.vigil.processor.signals.PrometheusSources.Choice;
import io.vigil.processor.signals.PrometheusSources.Role;
import io.vigil.processor.signals.PrometheusSources.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrometheusSourcesTest {
  private static Candidate candidate(String name, Shape shape, boolean hasStatus) {
    return new Candidate(
        ScopeMetrics.getDefaultInstance(),
        Metric.newBuilder().setName(name).build(),
        shape,
        hasStatus);
  }

  private static List<Role> roles(boolean otelSent, Candidate... candidates) {
    return PrometheusSources.choose(List.of(candidates), otelSent).stream()
        .map(Choice::role)
        .toList();
  }

  @Test
  void aHistogramWithStatusCountsAloneAndSupersedesEveryOther() {
    assertThat(
            roles(
                false,
                candidate("http_requests_total", Shape.COUNTER, false),
                candidate("http_server_requests_seconds", Shape.HISTOGRAM, true),
                candidate("http_request_duration_seconds", Shape.HISTOGRAM, false)))
        .containsExactly(Role.SUPERSEDED, Role.REQUESTS, Role.SUPERSEDED);
  }

  @Test
  void aCounterCountsAndHistogramsWithoutStatusGiveLatency() {
    assertThat(
            roles(
                false,
                candidate("http_request_duration_seconds", Shape.HISTOGRAM, false),
                candidate("http_requests_total", Shape.COUNTER, false),
                candidate("http_server_requests_seconds", Shape.SUMMARY, true)))
        .containsExactly(Role.LATENCY, Role.REQUESTS, Role.SUPERSEDED);
  }

  @Test
  void aSummaryWithStatusCountsBeforeAHistogramWithout() {
    assertThat(
            roles(
                false,
                candidate("http_server_requests_seconds", Shape.SUMMARY, true),
                candidate("http_request_duration_seconds", Shape.HISTOGRAM, false)))
        .containsExactly(Role.REQUESTS, Role.LATENCY);
    assertThat(
            roles(
                false,
                candidate("http_server_requests_seconds", Shape.SUMMARY, false),
                candidate("http_request_duration_seconds", Shape.HISTOGRAM, false)))
        .containsExactly(Role.SUPERSEDED, Role.REQUESTS);
  }

  @Test
  void theOpenTelemetryDurationSupersedesThemAll() {
    assertThat(
            roles(
                true,
                candidate("http_requests_total", Shape.COUNTER, false),
                candidate("http_request_duration_seconds", Shape.HISTOGRAM, false)))
        .containsOnly(Role.SUPERSEDED);
  }
}
