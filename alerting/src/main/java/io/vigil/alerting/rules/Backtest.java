package io.vigil.alerting.rules;

import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.TopicReplay;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * {@code vigil rules backtest}: what rules would have done on history. Samples of the past (read
 * back from Kafka, {@link #read}) are evaluated in time order into fresh state, as the engine
 * evaluates them — {@code for}, {@code keep_firing_for}, absence on the samples' clock, what {@code
 * predict_linear} and {@code anomaly} rules learn — and every transition is kept: when each rule
 * would have fired and resolved. Nothing is written anywhere.
 */
public final class Backtest {
  /** How often absence is checked, as the engine checks it. */
  private static final Duration ABSENCE_CHECK = EvaluateProcessor.ABSENCE_CHECK;

  private Backtest() {}

  /**
   * What the rules would have done.
   *
   * @param transitions every firing and resolution, in time order
   * @param samples how many samples were evaluated
   * @param firingAtEnd the alerts still firing at the end of the range
   */
  public record Result(
      List<AlertTransition> transitions, long samples, List<AlertState> firingAtEnd) {}

  /**
   * History read back: the samples, in time order, and the records that could not be read.
   *
   * @param samples the samples in {@code [from, to]}
   * @param unreadable records skipped because they do not parse
   * @param topics the topics read
   */
  public record History(List<Sample> samples, long unreadable, List<String> topics) {}

  /**
   * Evaluates {@code samples} (any order) with {@code evaluator}, absences checked up to {@code
   * end}.
   */
  public static Result run(AlertEvaluator evaluator, List<Sample> samples, Instant end) {
    List<Sample> ordered = new ArrayList<>(samples);
    ordered.sort(Comparator.comparing(Sample::time));
    Map<String, AlertState> store = new LinkedHashMap<>();
    AlertEvaluator.States states = AlertEvaluator.States.of(store::get, store::put, store::remove);
    TreeMap<String, Learned> learned = new TreeMap<>();
    Memory memory = Memory.of(learned);
    List<AlertTransition> transitions = new ArrayList<>();
    Instant checked = ordered.isEmpty() ? end : ordered.get(0).time();
    for (Sample sample : ordered) {
      checked = checkAbsences(evaluator, store, checked, sample.time(), transitions);
      evaluator.forget(sample.time(), List.copyOf(learned.entrySet()), learned::remove);
      transitions.addAll(evaluator.evaluate(sample, states, memory, sample.time()));
    }
    checkAbsences(evaluator, store, checked, end, transitions);
    return new Result(
        transitions, ordered.size(), store.values().stream().filter(AlertState::firing).toList());
  }

  /**
   * Checks absence every second from {@code from} to {@code to}, as the engine does on its wall
   * clock, so an absence fires at the second it would have; returns {@code to}.
   */
  private static Instant checkAbsences(
      AlertEvaluator evaluator,
      Map<String, AlertState> store,
      Instant from,
      Instant to,
      List<AlertTransition> transitions) {
    if (!evaluator.hasAbsenceRules()) {
      return to;
    }
    for (Instant t = from.plus(ABSENCE_CHECK); t.isBefore(to); t = t.plus(ABSENCE_CHECK)) {
      transitions.addAll(evaluator.checkAbsences(t, List.copyOf(store.entrySet()), store::put));
    }
    transitions.addAll(evaluator.checkAbsences(to, List.copyOf(store.entrySet()), store::put));
    return to;
  }

  /**
   * Reads the samples of {@code [from, to]} that {@code rules} watch from Kafka: golden signals
   * from {@code vigil.signals} (final windows, kept longer; late supplements left out) or, with
   * {@code live}, {@code vigil.signals.live} (kept an hour), and pipeline runs from {@code
   * vigil.pipeline-runs} — only the topics some rule needs.
   *
   * @throws IllegalStateException when a topic does not exist
   */
  public static History read(
      KafkaSettings kafka,
      List<AlertRule> rules,
      Instant from,
      Instant to,
      boolean live,
      Duration timeout) {
    List<String> topics = new ArrayList<>();
    boolean signals = rules.stream().anyMatch(r -> r.condition().source() == Sample.Source.SIGNALS);
    boolean pipelines =
        rules.stream().anyMatch(r -> r.condition().source() == Sample.Source.PIPELINES);
    List<Sample> samples = new ArrayList<>();
    long[] unreadable = {0};
    if (signals) {
      String topic = live ? Topics.SIGNALS_LIVE : Topics.SIGNALS;
      topics.add(topic);
      Deserializer<GoldenSignal> json = JsonSerde.of(GoldenSignal.class).deserializer();
      replay(
          kafka,
          topic,
          from,
          timeout,
          r -> {
            GoldenSignal signal = json.deserialize(r.topic(), r.value());
            return signal.revision() != null ? null : Samples.of(signal);
          },
          samples,
          unreadable);
    }
    if (pipelines) {
      topics.add(Topics.PIPELINE_RUNS);
      Deserializer<PipelineRun> json = JsonSerde.of(PipelineRun.class).deserializer();
      replay(
          kafka,
          Topics.PIPELINE_RUNS,
          from,
          timeout,
          r -> Samples.of(json.deserialize(r.topic(), r.value())),
          samples,
          unreadable);
    }
    samples.removeIf(s -> s.time().isBefore(from) || s.time().isAfter(to));
    samples.sort(Comparator.comparing(Sample::time));
    return new History(samples, unreadable[0], topics);
  }

  /** Reads one record as a sample, or null to leave it out. */
  private interface Reader {
    Sample read(ConsumerRecord<byte[], byte[]> record);
  }

  private static void replay(
      KafkaSettings kafka,
      String topic,
      Instant from,
      Duration timeout,
      Reader reader,
      List<Sample> out,
      long[] unreadable) {
    boolean complete =
        TopicReplay.replay(
            kafka,
            "vigil-rules-backtest",
            topic,
            // A record's timestamp and its sample's time may differ a little (a live record is
            // stamped when it was sent): start early; samples outside the range are left out.
            from.minus(Duration.ofMinutes(1)),
            timeout,
            r -> {
              if (r.value() == null) {
                return;
              }
              try {
                Sample sample = reader.read(r);
                if (sample != null) {
                  out.add(sample);
                }
              } catch (RuntimeException e) {
                unreadable[0]++;
              }
            });
    if (!complete) {
      throw new IllegalStateException(
          "could not read " + topic + " to its end within " + timeout.toSeconds() + " s");
    }
  }
}
