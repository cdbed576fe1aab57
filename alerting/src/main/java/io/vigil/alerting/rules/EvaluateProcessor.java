package io.vigil.alerting.rules;

import io.vigil.model.alert.AlertTransition;
import io.vigil.model.kafka.DeadLetterRoute;
import io.vigil.model.runtime.ThrottlingLogger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one input topic's records as {@link Sample}s and evaluates the rules on them, with the
 * per-(rule, series) state in a store and what rules learn from history in a second one ({@link
 * #learnedStore}); forwards each transition keyed by fingerprint, and each record it cannot read or
 * evaluate as a {@link DeadLetterRoute.Invalid}.
 */
public final class EvaluateProcessor implements Processor<byte[], byte[], String, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateProcessor.class);

  /** Reads a record's value as a sample. */
  @FunctionalInterface
  public interface SampleReader {
    /**
     * The sample in {@code value}.
     *
     * @throws Exception with a message saying what is wrong
     */
    Sample read(byte[] value) throws Exception;
  }

  /** What the processor counts. */
  public interface Counters {
    /** One sample evaluated. */
    void evaluated();

    /** One transition emitted. */
    void transition(AlertTransition t);

    /** One record sent to the DLQ for {@code reason}. */
    void rejected(String reason);
  }

  /** How often absence rules look for series that fell silent. */
  static final Duration ABSENCE_CHECK = Duration.ofSeconds(1);

  /** How often what was learned from series that went away is looked for and forgotten. */
  static final Duration FORGET_CHECK = Duration.ofMinutes(10);

  private final AlertEvaluator evaluator;
  private final String topic;
  private final String storeName;
  private final String invalidReason;
  private final SampleReader reader;
  private final Counters counters;
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);
  private ProcessorContext<String, Object> context;
  private AlertEvaluator.States states;
  private Memory memory;

  /** The newest sample time seen since this task started: what retention is counted back from. */
  private Instant newest;

  /**
   * Evaluates records of {@code topic} read by {@code reader}, state in {@code storeName}; records
   * that do not read go to the DLQ as {@code invalidReason}.
   */
  public EvaluateProcessor(
      AlertEvaluator evaluator,
      String topic,
      String storeName,
      String invalidReason,
      SampleReader reader,
      Counters counters) {
    this.evaluator = evaluator;
    this.topic = topic;
    this.storeName = storeName;
    this.invalidReason = invalidReason;
    this.reader = reader;
    this.counters = counters;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    KeyValueStore<String, AlertState> store = context.getStateStore(storeName);
    this.states = AlertEvaluator.States.of(store::get, store::put, store::delete);
    if (evaluator.hasAbsenceRules()) {
      context.schedule(
          ABSENCE_CHECK, PunctuationType.WALL_CLOCK_TIME, now -> checkAbsences(store, now));
    }
    KeyValueStore<String, Learned> learned = context.getStateStore(learnedStore(storeName));
    this.memory =
        Memory.of(learned::get, learned::put, learned::delete, prefix -> scan(learned, prefix));
    if (evaluator.learns()) {
      context.schedule(FORGET_CHECK, PunctuationType.WALL_CLOCK_TIME, now -> forget(learned, now));
    }
  }

  /** The name of the store of what rules learn, next to the rule-state store {@code storeName}. */
  public static String learnedStore(String storeName) {
    return storeName + "-learned";
  }

  private static List<Map.Entry<String, Learned>> scan(
      KeyValueStore<String, Learned> store, String prefix) {
    List<Map.Entry<String, Learned>> entries = new ArrayList<>();
    try (KeyValueIterator<String, Learned> it = store.prefixScan(prefix, new StringSerializer())) {
      it.forEachRemaining(kv -> entries.add(Map.entry(kv.key, kv.value)));
    }
    return entries;
  }

  /**
   * Forgets what series that went away taught, counting retention back from the newest sample seen
   * — but never from the future, so one record with a skewed clock cannot wipe the store, and a
   * replay of old data (the service was down) does not forget what it is relearning.
   */
  private void forget(KeyValueStore<String, Learned> store, long now) {
    if (newest == null) {
      return;
    }
    Instant reference =
        newest.isAfter(Instant.ofEpochMilli(now)) ? Instant.ofEpochMilli(now) : newest;
    List<Map.Entry<String, Learned>> entries = new ArrayList<>();
    try (KeyValueIterator<String, Learned> all = store.all()) {
      all.forEachRemaining(kv -> entries.add(Map.entry(kv.key, kv.value)));
    }
    evaluator.forget(reference, entries, store::delete);
  }

  private void checkAbsences(KeyValueStore<String, AlertState> store, long now) {
    List<Map.Entry<String, AlertState>> entries = new ArrayList<>();
    try (KeyValueIterator<String, AlertState> all = store.all()) {
      all.forEachRemaining(kv -> entries.add(Map.entry(kv.key, kv.value)));
    }
    for (AlertTransition t :
        evaluator.checkAbsences(Instant.ofEpochMilli(now), entries, store::put)) {
      counters.transition(t);
      context.forward(new Record<>(t.fingerprint(), t, now));
    }
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    if (record.value() == null) {
      reject(record, "empty_value", "record has no value");
      return;
    }
    Sample sample;
    try {
      sample = reader.read(record.value());
    } catch (Exception e) {
      reject(record, invalidReason, String.valueOf(e.getMessage()));
      return;
    }
    List<AlertTransition> transitions;
    try {
      transitions =
          evaluator.evaluate(
              sample, states, memory, Instant.ofEpochMilli(context.currentSystemTimeMs()));
    } catch (RuntimeException e) {
      reject(record, "evaluation_failed", e.toString());
      return;
    }
    if (newest == null || sample.time().isAfter(newest)) {
      newest = sample.time();
    }
    counters.evaluated();
    for (AlertTransition t : transitions) {
      counters.transition(t);
      context.forward(new Record<>(t.fingerprint(), t, record.timestamp()));
    }
  }

  private void reject(Record<byte[], byte[]> record, String reason, String detail) {
    Consumer<String> count = counters::rejected;
    context.forward(DeadLetterRoute.reject(record, topic, reason, detail, count, throttled));
  }
}
