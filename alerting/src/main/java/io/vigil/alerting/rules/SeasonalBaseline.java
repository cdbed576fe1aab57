package io.vigil.alerting.rules;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.OptionalDouble;

/**
 * {@code anomaly(<field>{…}[, season=1d|1w|none][, half_life=…][, warmup=…][, min_samples=…][,
 * min_dev=…][, tz=…])}: how many deviations a sample lies from what its series usually does at that
 * time — {@code (value − mean) / deviation} of the sample's season bucket (its hour of the day, its
 * hour of the week, or one bucket for {@code none}), signed; {@code abs(anomaly(…))} without sign.
 *
 * <p>Each bucket keeps an exponentially decayed mean and variance of the series' own samples in it
 * ({@link Learned.Bucket}): a sample weighs 1, halved every {@code half_life} of event time, so the
 * baseline follows a slow trend, is independent of the sample rate, and a week without data does
 * not reset it. A sample is scored against the baseline before it is learned. The deviation is the
 * learned standard deviation, but at least {@code min_dev} and 1 % of |mean|, so a flat series does
 * not turn noise into huge scores; scores are capped at ±{@link #MAX_SCORE}. Robust to the anomaly
 * itself: once scored, a sample beyond {@link #CLAMP} deviations is learned as if it were at {@link
 * #CLAMP} deviations, so an outage does not become the new normal within minutes (a lasting change
 * of level is accepted over about one half-life).
 *
 * <p>Warm-up: a bucket gives no value until it holds {@code min_samples} samples and its first one
 * is {@code warmup} old (default two seasons, for {@code none} one half-life): a baseline that has
 * seen one Monday is not yet a baseline.
 */
final class SeasonalBaseline implements Learner {
  /** Scores are capped at ± this many deviations. */
  static final double MAX_SCORE = 1000;

  /** Samples are learned at most this many deviations from the mean. */
  static final double CLAMP = 3;

  /** The deviation is at least this fraction of |mean|. */
  static final double RELATIVE_FLOOR = 0.01;

  /** The season a baseline's buckets divide. */
  enum Season {
    /** An hour of the day: 24 buckets. */
    DAY("1d", 24, Duration.ofDays(1), Duration.ofDays(7)),
    /** An hour of the week (Monday 00:00 first): 168 buckets. */
    WEEK("1w", 168, Duration.ofDays(7), Duration.ofDays(28)),
    /** No season: one bucket. */
    NONE("none", 1, null, Duration.ofDays(1));

    private final String text;
    private final int buckets;
    private final Duration length;
    private final Duration defaultHalfLife;

    Season(String text, int buckets, Duration length, Duration defaultHalfLife) {
      this.text = text;
      this.buckets = buckets;
      this.length = length;
      this.defaultHalfLife = defaultHalfLife;
    }

    /** As written: {@code 1d}, {@code 1w}, {@code none}. */
    String text() {
      return text;
    }

    /** How many buckets a series' baseline has at most. */
    int buckets() {
      return buckets;
    }

    /** The season's length; null for {@code none}. */
    Duration length() {
      return length;
    }

    /** The half-life when none is given. */
    Duration defaultHalfLife() {
      return defaultHalfLife;
    }
  }

  private final String field;
  private final Season season;
  private final Duration halfLife;
  private final Duration warmup;
  private final int minSamples;
  private final double minDev;
  private final ZoneId zone;
  private final boolean absolute;
  private final String signature;

  SeasonalBaseline(
      String field,
      Season season,
      Duration halfLife,
      Duration warmup,
      int minSamples,
      double minDev,
      ZoneId zone,
      boolean absolute) {
    this.field = field;
    this.season = season;
    this.halfLife = halfLife;
    this.warmup = warmup;
    this.minSamples = minSamples;
    this.minDev = minDev;
    this.zone = zone;
    this.absolute = absolute;
    this.signature =
        Learner.signatureOf("anomaly|" + field + "|" + season.text + "|" + zone.getId());
  }

  Season season() {
    return season;
  }

  Duration halfLife() {
    return halfLife;
  }

  Duration warmup() {
    return warmup;
  }

  int minSamples() {
    return minSamples;
  }

  double minDev() {
    return minDev;
  }

  ZoneId zone() {
    return zone;
  }

  boolean absolute() {
    return absolute;
  }

  /** Two half-lives (a bucket's weight then counts a quarter), at least two seasons. */
  @Override
  public Duration retention() {
    Duration twoHalfLives = halfLife.multipliedBy(2);
    if (season.length != null && season.length.multipliedBy(2).compareTo(twoHalfLives) > 0) {
      return season.length.multipliedBy(2);
    }
    return twoHalfLives;
  }

  @Override
  public String signature() {
    return signature;
  }

  /** The season bucket of {@code time}: its hour of the day or of the week in the zone, or 0. */
  int bucketOf(Instant time) {
    if (season == Season.NONE) {
      return 0;
    }
    ZonedDateTime local = time.atZone(zone);
    int hour = local.getHour();
    return season == Season.DAY ? hour : (local.getDayOfWeek().getValue() - 1) * 24 + hour;
  }

  @Override
  public OptionalDouble learn(Memory memory, String prefix, Instant time, double value) {
    if (!Double.isFinite(value)) {
      return OptionalDouble.empty();
    }
    String key = prefix + bucketOf(time);
    Learned.Bucket bucket = memory.get(key) instanceof Learned.Bucket b ? b : null;
    long t = time.toEpochMilli();
    if (bucket != null && t <= bucket.last()) {
      return OptionalDouble.empty(); // learned already
    }
    boolean warm = bucket != null && warm(bucket, t);
    memory.put(key, learned(bucket, t, value, warm));
    if (!warm) {
      return OptionalDouble.empty();
    }
    double score = score(bucket, value);
    return OptionalDouble.of(absolute ? Math.abs(score) : score);
  }

  private boolean warm(Learned.Bucket bucket, long t) {
    return bucket.n() >= minSamples && t - bucket.first() >= warmup.toMillis();
  }

  /** The deviation a score divides by: the learned one, at least the floors. */
  double deviation(Learned.Bucket bucket) {
    double learned = Math.sqrt(Math.max(0, bucket.variance()));
    return Math.max(learned, Math.max(minDev, RELATIVE_FLOOR * Math.abs(bucket.mean())));
  }

  /** How many deviations {@code value} lies from the bucket's mean, signed, capped. */
  double score(Learned.Bucket bucket, double value) {
    double deviation = deviation(bucket);
    double distance = value - bucket.mean();
    if (distance == 0) {
      return 0;
    }
    if (!(deviation > 0)) {
      return Math.copySign(MAX_SCORE, distance);
    }
    return Math.max(-MAX_SCORE, Math.min(MAX_SCORE, distance / deviation));
  }

  /**
   * The bucket after learning {@code value} at {@code t}: the earlier samples' weight decays by the
   * time since the bucket's last one (West's weighted update of mean and variance).
   */
  Learned.Bucket learned(Learned.Bucket bucket, long t, double value, boolean warm) {
    if (bucket == null) {
      return new Learned.Bucket(t, t, 1, 1, value, 0);
    }
    double x = value;
    if (warm) {
      double band = CLAMP * deviation(bucket);
      x = Math.max(bucket.mean() - band, Math.min(bucket.mean() + band, value));
    }
    double decay = Math.pow(0.5, (t - bucket.last()) / (double) halfLife.toMillis());
    double kept = bucket.weight() * decay;
    double weight = kept + 1;
    double delta = x - bucket.mean();
    double mean = bucket.mean() + delta / weight;
    double squares = kept * bucket.variance() + delta * (x - mean);
    return new Learned.Bucket(
        bucket.first(), t, bucket.n() + 1, weight, mean, Math.max(0, squares / weight));
  }

  @Override
  public String toString() {
    return "anomaly(" + field + ", season=" + season.text + ")";
  }
}
