package io.vigil.alerting.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * What a rule learned from one series' history, as kept in the evaluation's learned store (JSON,
 * backed by a changelog topic, so a restart or a rebalance continues it). One entry is small (about
 * 150 bytes) and a sample rewrites one entry only: a {@code predict_linear} rule keeps at most
 * {@link LinearPrediction#SLOTS} {@link Slot}s per series, an {@code anomaly} rule one {@link
 * Bucket} per season bucket (24, 168 or 1). Times are epoch milliseconds of event time.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Learned.Slot.class, name = "slot"),
  @JsonSubTypes.Type(value = Learned.Bucket.class, name = "bucket")
})
public sealed interface Learned permits Learned.Slot, Learned.Bucket {
  /** The time of the latest sample learned into this entry (epoch ms). */
  long last();

  /**
   * The exact least-squares sums of the samples of one slot ({@code range/60}) of a {@code
   * predict_linear} history; {@code t} in seconds since the slot's start, so the sums stay precise.
   *
   * @param first the slot's earliest sample (epoch ms)
   * @param last the slot's latest sample (epoch ms); a sample not newer is a repeat
   * @param n samples
   * @param st Σt
   * @param sv Σv
   * @param stt Σt²
   * @param stv Σt·v
   */
  record Slot(
      @JsonProperty("first") long first,
      @JsonProperty("last") long last,
      @JsonProperty("n") long n,
      @JsonProperty("st") double st,
      @JsonProperty("sv") double sv,
      @JsonProperty("stt") double stt,
      @JsonProperty("stv") double stv)
      implements Learned {}

  /**
   * One season bucket of an {@code anomaly} baseline (an hour of the day, an hour of the week, or
   * the single bucket of {@code season=none}): the exponentially decayed mean and variance of its
   * samples.
   *
   * @param first the bucket's first sample (epoch ms), for the warm-up
   * @param last the bucket's latest sample (epoch ms); a sample not newer is a repeat
   * @param n samples learned (not decayed), for the warm-up
   * @param weight the decayed weight of the samples: each counts 1, halved every half-life
   * @param mean the decayed mean
   * @param variance the decayed variance (weighted, population)
   */
  record Bucket(
      @JsonProperty("first") long first,
      @JsonProperty("last") long last,
      @JsonProperty("n") long n,
      @JsonProperty("weight") double weight,
      @JsonProperty("mean") double mean,
      @JsonProperty("variance") double variance)
      implements Learned {}
}
