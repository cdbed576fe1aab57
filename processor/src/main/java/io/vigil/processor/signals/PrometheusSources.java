package io.vigil.processor.signals;

import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Chooses, for one resource (one scrape target) and one protocol, which Prometheus-style metrics
 * count the requests and which give the latency, so that no request is counted twice. The requests
 * come from the first kind the resource sends of:
 *
 * <ol>
 *   <li>duration histograms with a status label — they alone give requests, errors and latency;
 *   <li>request counters ({@code http_requests_total}, {@code grpc_server_handled_total});
 *   <li>duration summaries with a status label (Micrometer without buckets);
 *   <li>duration histograms without a status label (requests and latency, no errors to tell);
 *   <li>duration summaries without one.
 * </ol>
 *
 * When the requests come from counters or summaries, the histograms (then without a status label)
 * give the latency only. Everything else is superseded; and all of them are when the resource also
 * sends the OpenTelemetry server duration of the protocol.
 */
final class PrometheusSources {
  /** What a metric contributes. */
  enum Role {
    /** Requests, errors and latency (a histogram), or requests and errors (a count). */
    REQUESTS,
    /** Bucket counts for the quantiles only. */
    LATENCY,
    /** Nothing: another metric of the same requests is used. */
    SUPERSEDED
  }

  /** The shape a metric has on the wire. */
  enum Shape {
    HISTOGRAM,
    SUMMARY,
    COUNTER
  }

  /**
   * One Prometheus-style request metric of a resource.
   *
   * @param hasStatus whether any of its points says how its requests ended
   */
  record Candidate(ScopeMetrics scope, Metric metric, Shape shape, boolean hasStatus) {}

  /** A candidate and what it contributes. */
  record Choice(Candidate candidate, Role role) {}

  private PrometheusSources() {}

  /**
   * The role of each of {@code candidates} (the metrics of one protocol of one resource); all
   * superseded when {@code otelSent} (the resource sends the protocol's OpenTelemetry duration).
   */
  static List<Choice> choose(List<Candidate> candidates, boolean otelSent) {
    List<Predicate<Candidate>> preference =
        List.of(
            c -> c.shape() == Shape.HISTOGRAM && c.hasStatus(),
            c -> c.shape() == Shape.COUNTER,
            c -> c.shape() == Shape.SUMMARY && c.hasStatus(),
            c -> c.shape() == Shape.HISTOGRAM,
            c -> c.shape() == Shape.SUMMARY);
    Predicate<Candidate> requests = c -> false;
    if (!otelSent) {
      for (Predicate<Candidate> kind : preference) {
        if (candidates.stream().anyMatch(kind)) {
          requests = kind;
          break;
        }
      }
    }
    boolean countedElsewhere =
        candidates.stream().anyMatch(requests)
            && candidates.stream().filter(requests).noneMatch(c -> c.shape() == Shape.HISTOGRAM);
    List<Choice> choices = new ArrayList<>(candidates.size());
    for (Candidate c : candidates) {
      Role role;
      if (requests.test(c)) {
        role = Role.REQUESTS;
      } else if (countedElsewhere && c.shape() == Shape.HISTOGRAM) {
        role = Role.LATENCY;
      } else {
        role = Role.SUPERSEDED;
      }
      choices.add(new Choice(c, role));
    }
    return choices;
  }
}
