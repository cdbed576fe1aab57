package io.vigil.alerting.rules;

import java.time.Duration;
import java.time.Instant;
import java.util.OptionalDouble;

/**
 * A value a rule learns from its series' history instead of reading it off one sample: {@code
 * predict_linear(…)} ({@link LinearPrediction}) and {@code anomaly(…)} ({@link SeasonalBaseline}).
 * What it learned lives in a {@link Memory} under one prefix per (rule, series), so it survives a
 * restart as the alert state does.
 */
sealed interface Learner permits LinearPrediction, SeasonalBaseline {
  /**
   * Learns {@code value}, observed at {@code time}, into the entries under {@code prefix}, and
   * returns the value the rule compares: empty while it knows too little, and for a sample it has
   * already learned (a re-delivered one) — the rule's state then stays as it is.
   */
  OptionalDouble learn(Memory memory, String prefix, Instant time, double value);

  /**
   * How long an entry that learned nothing new is kept (in event time, against the newest sample
   * the evaluation saw): after that it is forgotten, so series that went away cost nothing.
   */
  Duration retention();

  /**
   * What the stored entries mean (the function, field and what decides their layout), short: a rule
   * whose expression changes in this respect starts learning afresh, one whose threshold or tuning
   * changes keeps what it learned.
   */
  String signature();

  /** The signature of {@code canonical}: eight hex digits, the same in every JVM. */
  static String signatureOf(String canonical) {
    return String.format("%08x", canonical.hashCode());
  }
}
