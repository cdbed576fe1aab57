package io.vigil.alerting.rules;

import io.vigil.model.alert.AlertTransition;
import io.vigil.model.kafka.DeadLetterRoute;
import io.vigil.model.log.LogRecord;
import io.vigil.model.runtime.ThrottlingLogger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code vigil.logs} for log-pattern rules ({@link LogRules}): each line is matched against
 * the rules where it is read, so only matching lines touch a store, and a record that cannot
 * contain what the rules require is not even parsed ({@link LogRules#mayMatch}); the sliding counts
 * live in {@link #windowsStore} and the rule state in the store given, both backed by changelogs.
 * Every {@link #TICK} of wall clock the counts are compared again, so an alert resolves when its
 * lines age out even if no other line arrives. Forwards each transition keyed by fingerprint, and
 * each record it cannot read as a {@link DeadLetterRoute.Invalid}.
 */
public final class LogEvaluateProcessor implements Processor<byte[], byte[], String, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(LogEvaluateProcessor.class);

  /** How often counts are compared on the wall clock. */
  public static final Duration TICK = Duration.ofSeconds(1);

  private final LogRules rules;
  private final String topic;
  private final String storeName;
  private final Deserializer<LogRecord> reader;
  private final EvaluateProcessor.Counters counters;
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);
  private ProcessorContext<String, Object> context;
  private AlertEvaluator.States states;
  private LogRules.Windows windows;

  /**
   * Evaluates the log-pattern rules of {@code evaluator} on records of {@code topic} read by {@code
   * reader}, rule state in {@code storeName} and counts in {@link #windowsStore}({@code
   * storeName}).
   */
  public LogEvaluateProcessor(
      AlertEvaluator evaluator,
      String topic,
      String storeName,
      Deserializer<LogRecord> reader,
      EvaluateProcessor.Counters counters) {
    this.rules = evaluator.logRules();
    this.topic = topic;
    this.storeName = storeName;
    this.reader = reader;
    this.counters = counters;
  }

  /** The name of the store of sliding counts, next to the rule-state store {@code storeName}. */
  public static String windowsStore(String storeName) {
    return storeName + "-windows";
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    KeyValueStore<String, AlertState> store = context.getStateStore(storeName);
    this.states = AlertEvaluator.States.of(store::get, store::put, store::delete);
    KeyValueStore<String, LogWindow> counts = context.getStateStore(windowsStore(storeName));
    this.windows = LogRules.Windows.of(counts::get, counts::put, counts::delete);
    context.schedule(TICK, PunctuationType.WALL_CLOCK_TIME, now -> tick(counts, now));
  }

  private void tick(KeyValueStore<String, LogWindow> counts, long now) {
    List<Map.Entry<String, LogWindow>> entries = new ArrayList<>();
    try (KeyValueIterator<String, LogWindow> all = counts.all()) {
      all.forEachRemaining(kv -> entries.add(Map.entry(kv.key, kv.value)));
    }
    forward(rules.tick(Instant.ofEpochMilli(now), entries, windows, states), now);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    if (record.value() == null) {
      reject(record, "empty_value", "record has no value");
      return;
    }
    if (!rules.mayMatch(record.value())) {
      counters.evaluated(); // matches no rule: not worth parsing
      return;
    }
    LogLine line;
    try {
      line = Samples.of(reader.deserialize(topic, record.value()));
    } catch (RuntimeException e) {
      reject(record, "invalid_log", String.valueOf(e.getMessage()));
      return;
    }
    List<AlertTransition> transitions;
    try {
      transitions =
          rules.observe(line, windows, states, Instant.ofEpochMilli(context.currentSystemTimeMs()));
    } catch (RuntimeException e) {
      reject(record, "evaluation_failed", e.toString());
      return;
    }
    counters.evaluated();
    forward(transitions, record.timestamp());
  }

  private void forward(List<AlertTransition> transitions, long timestamp) {
    for (AlertTransition t : transitions) {
      counters.transition(t);
      context.forward(new Record<>(t.fingerprint(), t, timestamp));
    }
  }

  private void reject(Record<byte[], byte[]> record, String reason, String detail) {
    context.forward(
        DeadLetterRoute.reject(record, topic, reason, detail, counters::rejected, throttled));
  }
}
