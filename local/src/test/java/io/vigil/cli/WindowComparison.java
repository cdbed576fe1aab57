package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.signal.GoldenSignal;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Vigil's final windows of one service next to Prometheus' figures for the same windows {@code [w0
 * + k × size, w0 + (k + 1) × size)} and for their whole span, and what the service sent: one line
 * of figures, and the assertions.
 */
record WindowComparison(
    String name,
    long w0,
    long windowMs,
    List<PrometheusWindows.Figures> prometheus,
    PrometheusWindows.Figures prometheusSpan,
    Map<Long, VigilWindows.Window> vigil,
    SeededTraffic sent) {

  int windows() {
    return prometheus.size();
  }

  VigilWindows.Window vigilWindow(int k) {
    return vigil.getOrDefault(w0 + k * windowMs, VigilWindows.Window.NONE);
  }

  long vigilRequests() {
    return vigil.values().stream().mapToLong(VigilWindows.Window::requests).sum();
  }

  long vigilErrors() {
    return vigil.values().stream().mapToLong(VigilWindows.Window::errors).sum();
  }

  /** The figures, Vigil's first: totals, then per window counts and p50/p90/p99 in ms. */
  String line() {
    StringBuilder s =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%s: %d windows from %s; requests vigil=%d prometheus=%d sent=%d; errors vigil=%d"
                    + " prometheus=%d sent=%d; per window (vigil/prometheus, ms):",
                name,
                windows(),
                Instant.ofEpochMilli(w0),
                vigilRequests(),
                prometheusSpan.requests(),
                sent.requests(),
                vigilErrors(),
                prometheusSpan.errors(),
                sent.errors()));
    double largest = Double.NaN;
    for (int k = 0; k < windows(); k++) {
      PrometheusWindows.Figures p = prometheus.get(k);
      VigilWindows.Window v = vigilWindow(k);
      GoldenSignal.Latency l = v.latency();
      s.append(
          String.format(
              Locale.ROOT,
              " w%d n=%d/%d err=%d/%d p50=%s/%s p90=%s/%s p99=%s/%s",
              k,
              v.requests(),
              p.requests(),
              v.errors(),
              p.errors(),
              ms(l == null ? null : l.p50()),
              ms(p.p50()),
              ms(l == null ? null : l.p90()),
              ms(p.p90()),
              ms(l == null ? null : l.p99()),
              ms(p.p99())));
      if (l != null && l.max() != null) {
        s.append(String.format(Locale.ROOT, " max=%.2f", l.max()));
      }
      if (v.records() > 1) {
        s.append(" (").append(v.records()).append(" records)");
      }
      s.append(';');
      if (l != null && !Double.isNaN(p.p50())) {
        double here =
            Math.max(
                relative(l.p50(), p.p50()),
                Math.max(relative(l.p90(), p.p90()), relative(l.p99(), p.p99())));
        largest = Double.isNaN(largest) ? here : Math.max(largest, here);
      }
    }
    if (!Double.isNaN(largest)) {
      s.append(String.format(Locale.ROOT, " largest quantile difference %.4f %%", 100 * largest));
    }
    return s.toString();
  }

  /**
   * Requests and errors: over the span, Vigil = Prometheus = what was sent; in each window, Vigil =
   * Prometheus; and Vigil has no window outside the span.
   */
  void assertCountsEqual() {
    String figures = line();
    assertThat(vigilRequests())
        .as("requests; " + figures)
        .isEqualTo(prometheusSpan.requests())
        .isEqualTo(sent.requests());
    assertThat(vigilErrors())
        .as("errors; " + figures)
        .isEqualTo(prometheusSpan.errors())
        .isEqualTo(sent.errors());
    assertThat(vigil.keySet())
        .as("Vigil's windows; " + figures)
        .allMatch(w -> w >= w0 && w < w0 + windows() * windowMs);
    for (int k = 0; k < windows(); k++) {
      assertThat(vigilWindow(k).requests())
          .as("requests in window %d; %s", k, figures)
          .isEqualTo(prometheus.get(k).requests());
      assertThat(vigilWindow(k).errors())
          .as("errors in window %d; %s", k, figures)
          .isEqualTo(prometheus.get(k).errors());
    }
  }

  /**
   * p50, p90 and p99 of every window within {@code tolerance} (relative) of Prometheus'. With
   * {@code cappedByMax} (delta points carry each interval's max, which caps Vigil's quantiles), a
   * Vigil quantile equal to the window's max and below Prometheus' interpolation passes too: no
   * request was slower. Every window must have its quantiles (one record, no late supplement).
   */
  void assertQuantilesWithin(double tolerance, boolean cappedByMax) {
    String figures = line();
    for (int k = 0; k < windows(); k++) {
      VigilWindows.Window v = vigilWindow(k);
      assertThat(v.records()).as("records of window %d; %s", k, figures).isEqualTo(1);
      PrometheusWindows.Figures p = prometheus.get(k);
      GoldenSignal.Latency l = v.latency();
      assertThat(l).as("latency of window %d; %s", k, figures).isNotNull();
      assertClose("p50", k, l.p50(), p.p50(), l.max(), tolerance, cappedByMax, figures);
      assertClose("p90", k, l.p90(), p.p90(), l.max(), tolerance, cappedByMax, figures);
      assertClose("p99", k, l.p99(), p.p99(), l.max(), tolerance, cappedByMax, figures);
    }
  }

  private static void assertClose(
      String name,
      int k,
      Double vigilMs,
      double prometheusMs,
      Double maxMs,
      double tolerance,
      boolean cappedByMax,
      String figures) {
    assertThat(vigilMs).as("%s of window %d; %s", name, k, figures).isNotNull();
    if (cappedByMax && maxMs != null && vigilMs.equals(maxMs) && maxMs < prometheusMs) {
      return;
    }
    assertThat(relative(vigilMs, prometheusMs))
        .as("%s of window %d, relative difference; %s", name, k, figures)
        .isLessThanOrEqualTo(tolerance);
  }

  private static double relative(Double vigil, double prometheus) {
    return vigil == null ? Double.POSITIVE_INFINITY : Math.abs(vigil - prometheus) / prometheus;
  }

  /** Milliseconds with two decimals; "-" for none (Prometheus' raw counts have no quantiles). */
  private static String ms(Double v) {
    return v == null || v.isNaN() ? "-" : String.format(Locale.ROOT, "%.2f", v);
  }
}
