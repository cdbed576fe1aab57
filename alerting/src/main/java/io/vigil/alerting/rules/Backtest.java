package io.vigil.alerting.rules;

import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.TopicReplay;
import io.vigil.model.log.LogRecord;
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
 * back from Kafka, {@link #read}, or from Elasticsearch, {@link ElasticsearchHistory#read}) are
 * evaluated in time order into fresh state, as the engine evaluates them — {@code for}, {@code
 * keep_firing_for}, absence on the samples' clock, what {@code predict_linear} and {@code anomaly}
 * rules learn, log-pattern counts compared every second on the lines' clock — and every transition
 * is kept: when each rule would have fired and resolved. Nothing is written anywhere.
 */
public final class Backtest {
  /** How often absence is checked, as the engine checks it. */
  private static final Duration ABSENCE_CHECK = EvaluateProcessor.ABSENCE_CHECK;

  private Backtest() {}

  /**
   * What the rules would have done.
   *
   * @param transitions every firing and resolution, in time order
   * @param samples how many samples (and log lines) were evaluated
   * @param firingAtEnd the alerts still firing at the end of the range
   */
  public record Result(
      List<AlertTransition> transitions, long samples, List<AlertState> firingAtEnd) {}

  /**
   * History read back: the samples, in time order, and the records that could not be read.
   *
   * @param samples the samples in {@code [from, to]}
   * @param unreadable records (or documents) skipped because they do not parse
   * @param sources the topics (or indices) read
   * @param lines the log lines in {@code [from, to]} that some log-pattern rule matches
   */
  public record History(
      List<Sample> samples, long unreadable, List<String> sources, List<LogLine> lines) {
    /** Keeps what lies in {@code [from, to]}, each list in time order. */
    static History of(
        List<Sample> samples,
        long unreadable,
        List<String> sources,
        List<LogLine> lines,
        Instant from,
        Instant to) {
      List<Sample> kept = new ArrayList<>(samples);
      kept.removeIf(s -> s.time().isBefore(from) || s.time().isAfter(to));
      kept.sort(Comparator.comparing(Sample::time));
      List<LogLine> keptLines = new ArrayList<>(lines);
      keptLines.sort(Comparator.comparing(LogLine::time));
      return new History(kept, unreadable, List.copyOf(sources), keptLines);
    }
  }

  /**
   * What history some rule needs, whichever the source: golden signals, pipeline runs, the log
   * lines that a log-pattern rule's query matches.
   */
  record Inputs(boolean signals, boolean pipelines, List<LogQuery> logQueries) {
    static Inputs of(List<AlertRule> rules) {
      return new Inputs(
          rules.stream().anyMatch(r -> r.condition().source() == Sample.Source.SIGNALS),
          rules.stream().anyMatch(r -> r.condition().source() == Sample.Source.PIPELINES),
          rules.stream()
              .filter(r -> r.condition().isLogCount())
              .map(r -> r.condition().logQuery())
              .toList());
    }

    boolean logs() {
      return !logQueries.isEmpty();
    }

    /**
     * Whether {@code line} is kept: in {@code [from, to]} and matched by some rule (a day of a
     * cluster's logs would not fit in memory; the lines the rules match do).
     */
    boolean keeps(LogLine line, Instant from, Instant to) {
      return !line.time().isBefore(from)
          && !line.time().isAfter(to)
          && logQueries.stream().anyMatch(q -> q.matches(line));
    }
  }

  /**
   * Evaluates {@code samples} (any order) with {@code evaluator}, absences checked up to {@code
   * end}.
   */
  public static Result run(AlertEvaluator evaluator, List<Sample> samples, Instant end) {
    return run(evaluator, samples, List.of(), end);
  }

  /**
   * Evaluates {@code samples} and log {@code lines} (any order) with {@code evaluator}, absences
   * and log-pattern counts checked every second up to {@code end}.
   */
  public static Result run(
      AlertEvaluator evaluator, List<Sample> samples, List<LogLine> lines, Instant end) {
    List<Sample> ordered = new ArrayList<>(samples);
    ordered.sort(Comparator.comparing(Sample::time));
    List<LogLine> orderedLines = new ArrayList<>(lines);
    orderedLines.sort(Comparator.comparing(LogLine::time));
    Map<String, AlertState> store = new LinkedHashMap<>();
    AlertEvaluator.States states = AlertEvaluator.States.of(store::get, store::put, store::remove);
    TreeMap<String, Learned> learned = new TreeMap<>();
    Memory memory = Memory.of(learned);
    Map<String, AlertState> logStore = new LinkedHashMap<>();
    AlertEvaluator.States logStates =
        AlertEvaluator.States.of(logStore::get, logStore::put, logStore::remove);
    TreeMap<String, LogWindow> counts = new TreeMap<>();
    LogRules.Windows windows = LogRules.Windows.of(counts::get, counts::put, counts::remove);
    LogRules logRules = evaluator.logRules();
    List<AlertTransition> transitions = new ArrayList<>();
    Instant first = end;
    if (!ordered.isEmpty()) {
      first = ordered.get(0).time();
    }
    if (!orderedLines.isEmpty() && orderedLines.get(0).time().isBefore(first)) {
      first = orderedLines.get(0).time();
    }
    Instant checked = first;
    Instant ticked = first;
    int s = 0;
    int l = 0;
    while (s < ordered.size() || l < orderedLines.size()) {
      boolean sampleNext =
          l == orderedLines.size()
              || (s < ordered.size() && !ordered.get(s).time().isAfter(orderedLines.get(l).time()));
      Instant time = sampleNext ? ordered.get(s).time() : orderedLines.get(l).time();
      ticked = tickLogs(logRules, ticked, time, counts, windows, logStates, transitions);
      if (sampleNext) {
        Sample sample = ordered.get(s++);
        checked = checkAbsences(evaluator, store, checked, sample.time(), transitions);
        evaluator.forget(sample.time(), List.copyOf(learned.entrySet()), learned::remove);
        transitions.addAll(evaluator.evaluate(sample, states, memory, sample.time()));
      } else {
        transitions.addAll(logRules.observe(orderedLines.get(l++), windows, logStates, time));
      }
    }
    checkAbsences(evaluator, store, checked, end, transitions);
    tickLogs(logRules, ticked, end, counts, windows, logStates, transitions);
    if (logRules.any()) {
      logRules.tick(end, List.copyOf(counts.entrySet()), windows, logStates);
    }
    List<AlertState> firing = new ArrayList<>();
    store.values().stream().filter(AlertState::firing).forEach(firing::add);
    logStore.values().stream().filter(AlertState::firing).forEach(firing::add);
    transitions.sort(Comparator.comparing(Backtest::at));
    return new Result(transitions, ordered.size() + orderedLines.size(), firing);
  }

  private static Instant at(AlertTransition t) {
    return t.state() == AlertTransition.State.FIRING ? t.startsAt() : t.endsAt();
  }

  /**
   * Compares the log-pattern counts every second after {@code from} and before {@code to}, as the
   * engine does on its wall clock; returns the last second compared.
   */
  private static Instant tickLogs(
      LogRules logRules,
      Instant from,
      Instant to,
      Map<String, LogWindow> counts,
      LogRules.Windows windows,
      AlertEvaluator.States states,
      List<AlertTransition> transitions) {
    if (!logRules.any()) {
      return to;
    }
    Instant t = from;
    for (Instant next = from.plus(ABSENCE_CHECK);
        next.isBefore(to);
        next = next.plus(ABSENCE_CHECK)) {
      if (!counts.isEmpty()) {
        transitions.addAll(logRules.tick(next, List.copyOf(counts.entrySet()), windows, states));
      }
      t = next;
    }
    return t;
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
    Inputs inputs = Inputs.of(rules);
    List<LogLine> lines = new ArrayList<>();
    List<Sample> samples = new ArrayList<>();
    long[] unreadable = {0};
    if (inputs.signals()) {
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
    if (inputs.pipelines()) {
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
    if (inputs.logs()) {
      topics.add(Topics.LOGS);
      Deserializer<LogRecord> json = JsonSerde.of(LogRecord.class).deserializer();
      replay(
          kafka,
          Topics.LOGS,
          from,
          timeout,
          r -> {
            LogLine line = Samples.of(json.deserialize(r.topic(), r.value()));
            if (inputs.keeps(line, from, to)) {
              lines.add(line);
            }
            return null;
          },
          samples,
          unreadable);
    }
    return History.of(samples, unreadable[0], topics, lines, from, to);
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
