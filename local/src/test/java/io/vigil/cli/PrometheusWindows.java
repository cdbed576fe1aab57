package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a {@link LocalPrometheus} says of one service's {@code http_server_request_duration_seconds}
 * over a time range {@code [from, to)} (epoch ms): the service's series are those with its {@code
 * service_name} label (the SDK's Prometheus exporter copies it from the resource).
 *
 * <p>A range's figures are differences of the cumulative samples at its two ends — what a final
 * window of Vigil means — not {@code increase()}, which extrapolates to the range's edges and
 * counts nothing for a series' first sample.
 */
final class PrometheusWindows {
  private static final String METRIC = "http_server_request_duration_seconds";

  private final LocalPrometheus prometheus;

  PrometheusWindows(LocalPrometheus prometheus) {
    this.prometheus = prometheus;
  }

  /** Requests, errors and p50/p90/p99 (ms) of a range; counts are exact, quantiles NaN if none. */
  record Figures(long requests, long errors, double p50, double p90, double p99) {}

  /**
   * The figures of {@code [from, to)}, all evaluated by Prometheus with the {@code @} modifier at
   * the two ends: counts as {@code sum(x @ to) - sum(x @ from)}, quantiles as {@code
   * histogram_quantile} over the buckets' differences. Neither end may fall where the service's
   * series are stale (after its SDK shut down): an instant query there finds nothing.
   */
  Figures figures(String service, long from, long to) throws Exception {
    String buckets = "sum by (le) (" + METRIC + "_bucket{" + labels(service) + "} @ %s)";
    String atTo = buckets.formatted(at(to));
    // A bucket series that did not exist yet at `from` counted 0 there.
    String differences = "%s - (%s or 0 * %s)".formatted(atTo, buckets.formatted(at(from)), atTo);
    double[] levels = {0.50, 0.90, 0.99};
    double[] ms = new double[levels.length];
    for (int i = 0; i < levels.length; i++) {
      ms[i] =
          1000
              * prometheus.value(
                  "histogram_quantile(%s, %s)".formatted(levels[i], differences),
                  Instant.now(),
                  Double.NaN);
    }
    return new Figures(
        Math.round(difference(count(service), from, to)),
        Math.round(difference(errorCount(service), from, to)),
        ms[0],
        ms[1],
        ms[2]);
  }

  private double difference(String selector, long from, long to) throws Exception {
    return prometheus.value(
        "sum(%s @ %s) - (sum(%s @ %s) or vector(0))"
            .formatted(selector, at(to), selector, at(from)),
        Instant.now(),
        0);
  }

  /**
   * Requests and errors of {@code [from, to)} from the raw samples, as {@code increase()} reads
   * counters — a drop is a counter that restarted from zero — but without its extrapolation: the
   * value at a time is the last sample at or before it, and a series not scraped yet counts 0 (it
   * started during the test). Works after the SDK shut down (raw samples leave staleness markers
   * out). {@link Figures}' quantiles are NaN.
   */
  Figures rawIncrease(String service, long from, long to) throws Exception {
    return rawIncrease(service, from, to, Long.MAX_VALUE);
  }

  /**
   * As {@link #rawIncrease(String, long, long)}, across a restart at {@code restartMs}: the first
   * sample after it starts a new life, counted in full. A drop alone cannot tell: a series whose
   * new life was first scraped at or above its old life's last value (a late first scrape, a series
   * of few requests such as errors) would read as a mere increase — Prometheus' own ambiguity,
   * which OpenMetrics' {@code _created} resolves and Prometheus 2.42 does not read.
   */
  Figures rawIncrease(String service, long from, long to, long restartMs) throws Exception {
    Instant at = Instant.ofEpochMilli(to);
    Duration range = Duration.ofMillis(to - from).plusSeconds(60);
    return new Figures(
        increase(prometheus.samples(count(service), at, range), from, to, restartMs),
        increase(prometheus.samples(errorCount(service), at, range), from, to, restartMs),
        Double.NaN,
        Double.NaN,
        Double.NaN);
  }

  /**
   * The raw samples' increase over {@code (fromMs, toMs]}, summed over the series; the counters
   * restarted from zero at {@code restartMs} ({@link Long#MAX_VALUE}: never).
   */
  static long increase(
      List<LocalPrometheus.Series> series, long fromMs, long toMs, long restartMs) {
    double total = 0;
    for (LocalPrometheus.Series s : series) {
      double previous = 0;
      long previousMs = Long.MIN_VALUE;
      for (LocalPrometheus.Sample sample : s.samples()) {
        if (previousMs <= restartMs && sample.timeMs() > restartMs) {
          previous = 0; // the first sample of the new life
        }
        previousMs = sample.timeMs();
        if (sample.timeMs() <= fromMs) {
          previous = sample.value();
          continue;
        }
        if (sample.timeMs() > toMs) {
          break;
        }
        total += sample.value() >= previous ? sample.value() - previous : sample.value();
        previous = sample.value();
      }
    }
    return Math.round(total);
  }

  /** Prometheus' own {@code sum(increase(count[range] @ at))}, extrapolation and all. */
  double extrapolatedIncrease(String service, Duration range, long at) throws Exception {
    return prometheus.value(
        "sum(increase(%s[%ds] @ %s))".formatted(count(service), range.toSeconds(), at(at)),
        Instant.now(),
        Double.NaN);
  }

  /** How many values of the resource attribute {@code service.instance.id} the service has. */
  long instances(String service, long at) throws Exception {
    return Math.round(
        prometheus.value(
            "count(count by (service_instance_id) (%s @ %s))".formatted(count(service), at(at)),
            Instant.now(),
            0));
  }

  /**
   * The time (epoch ms) of the oldest among the service's count series' last samples at or before
   * {@code boundary}: what the counts at that boundary are as of. NaN when it has none there.
   */
  double lastScrapeAtOrBefore(String service, long boundary) throws Exception {
    return 1000
        * prometheus.value(
            "min(timestamp(%s @ %s))".formatted(count(service), at(boundary)),
            Instant.now(),
            Double.NaN);
  }

  /**
   * Waits (at most 20 s) until every count series of the service has a sample scraped after {@code
   * afterMs}.
   */
  void awaitScrapedAfter(String service, long afterMs) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      double oldestLatest =
          1000
              * prometheus.value(
                  "min(timestamp(%s))".formatted(count(service)), Instant.now(), Double.NaN);
      if (oldestLatest > afterMs) {
        return;
      }
      assertThat(System.nanoTime())
          .as("Prometheus scraped %s after %s", service, Instant.ofEpochMilli(afterMs))
          .isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(200); // polling Prometheus with a deadline
    }
  }

  private static String labels(String service) {
    return "job=\"sdk\",service_name=\"" + service + "\"";
  }

  private static String count(String service) {
    return METRIC + "_count{" + labels(service) + "}";
  }

  private static String errorCount(String service) {
    return METRIC + "_count{" + labels(service) + ",http_response_status_code=~\"5..\"}";
  }

  /** The {@code @} modifier's time: epoch seconds with milliseconds. */
  private static String at(long epochMs) {
    return LocalPrometheus.seconds(epochMs);
  }
}
