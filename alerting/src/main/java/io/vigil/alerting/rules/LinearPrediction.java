package io.vigil.alerting.rules;

import io.vigil.model.config.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * {@code predict_linear(<field>{…}[<range>], <ahead>)}, as in PromQL: the least-squares line
 * through the series' samples of the trailing {@code range} (event time), read {@code ahead} after
 * the latest sample.
 *
 * <p>The history is {@link #SLOTS} slots of {@code range/60}, each holding the exact regression
 * sums of its samples ({@link Learned.Slot}), so the fit is exact over every sample and memory is
 * bounded whatever the sample rate; only the start of the range is rounded to a slot (the fit
 * covers between 59/60 of the range and all of it). A value needs two samples at different times
 * spanning at least half the range, so a new series (a pod just started) is not extrapolated from
 * its first minutes.
 */
final class LinearPrediction implements Learner {
  /** Slots per range. */
  static final int SLOTS = 60;

  private final String field;
  private final Duration range;
  private final double aheadSeconds;
  private final long rangeMs;
  private final String signature;

  LinearPrediction(String field, Duration range, double aheadSeconds) {
    if (range.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("predict_linear: the range must be at least 1s");
    }
    this.field = field;
    this.range = range;
    this.aheadSeconds = aheadSeconds;
    this.rangeMs = range.toMillis();
    this.signature = Learner.signatureOf("predict_linear|" + field + "|" + rangeMs);
  }

  /** The range the line is fitted over. */
  Duration range() {
    return range;
  }

  /** How far after the latest sample the line is read, in seconds. */
  double aheadSeconds() {
    return aheadSeconds;
  }

  @Override
  public Duration retention() {
    return range;
  }

  @Override
  public String signature() {
    return signature;
  }

  @Override
  public OptionalDouble learn(Memory memory, String prefix, Instant time, double value) {
    if (!Double.isFinite(value)) {
      return OptionalDouble.empty();
    }
    long t = time.toEpochMilli();
    long slot = Math.floorDiv(t * SLOTS, rangeMs);
    Learned.Slot current = null;
    Fit fit = new Fit(t);
    long latest = Long.MIN_VALUE;
    for (Map.Entry<String, Learned> e : memory.withPrefix(prefix)) {
      Long k = slotOf(e.getKey(), prefix);
      if (k == null || !(e.getValue() instanceof Learned.Slot s) || k <= slot - SLOTS) {
        memory.delete(e.getKey()); // out of range now, or not ours
        continue;
      }
      latest = Math.max(latest, s.last());
      if (k == slot) {
        current = s;
      } else {
        fit.add(k, s);
      }
    }
    if (t <= latest) {
      return OptionalDouble.empty(); // learned already, or older than what was: not history now
    }
    double dt = (t - start(slot)) / 1000.0;
    Learned.Slot updated =
        current == null
            ? new Learned.Slot(t, t, 1, dt, value, dt * dt, dt * value)
            : new Learned.Slot(
                current.first(),
                t,
                current.n() + 1,
                current.st() + dt,
                current.sv() + value,
                current.stt() + dt * dt,
                current.stv() + dt * value);
    memory.put(prefix + slot, updated);
    fit.add(slot, updated);
    return fit.valueAt(aheadSeconds, rangeMs / 2);
  }

  private double start(long slot) {
    return (double) slot * rangeMs / SLOTS;
  }

  private static Long slotOf(String key, String prefix) {
    try {
      return Long.parseLong(key.substring(prefix.length()));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The regression sums of the slots in range, times in seconds relative to the latest sample. */
  private final class Fit {
    private final long latest;
    private long earliest;
    private double n;
    private double st;
    private double sv;
    private double stt;
    private double stv;

    Fit(long latest) {
      this.latest = latest;
      this.earliest = latest;
    }

    void add(long slot, Learned.Slot s) {
      double c = (start(slot) - latest) / 1000.0; // slot-relative time → relative to the latest
      n += s.n();
      st += s.st() + s.n() * c;
      sv += s.sv();
      stt += s.stt() + 2 * c * s.st() + s.n() * c * c;
      stv += s.stv() + c * s.sv();
      earliest = Math.min(earliest, s.first());
    }

    /** The line's value {@code ahead} seconds after the latest sample, if enough is known. */
    OptionalDouble valueAt(double ahead, long minSpanMs) {
      if (n < 2 || latest - earliest < minSpanMs) {
        return OptionalDouble.empty();
      }
      double meanT = st / n;
      double meanV = sv / n;
      double sxx = stt - st * meanT;
      if (!(sxx > 0)) {
        return OptionalDouble.empty();
      }
      double slope = (stv - st * meanV) / sxx;
      double predicted = meanV + slope * (ahead - meanT);
      return Double.isFinite(predicted) ? OptionalDouble.of(predicted) : OptionalDouble.empty();
    }
  }

  @Override
  public String toString() {
    return "predict_linear(" + field + "[" + Durations.format(range) + "], " + aheadSeconds + ")";
  }
}
