package io.vigil.alerting.rules;

import io.vigil.model.alert.AlertTransition;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * Evaluates alert rules on {@link Sample}s, one series at a time, in the samples' event time: no
 * clock, no I/O, so the same samples give the same transitions. State lives in {@link States} (a
 * Kafka Streams store in the service, a map in tests), keyed by rule and series.
 *
 * <p>Per (rule, series) the rule watches: inactive → pending when the condition first holds and
 * {@code for} &gt; 0 → firing once it has held for {@code for} → resolved when a later sample no
 * longer meets it and {@code keep_firing_for} has passed since it last did. Only the changes to
 * firing and to resolved are emitted. A sample lacking the rule's field does not meet the condition
 * when its source lists every field ({@link Sample.Source#complete()}) and it is not a window
 * without requests ({@link Sample#quiet()}); otherwise it leaves the state alone. A sample older
 * than the latest one evaluated for the state (or, for golden signals, as old: a re-delivered
 * window) is ignored.
 *
 * <p>A rule that learns ({@link Condition#learns()}: {@code predict_linear}, {@code anomaly}) first
 * learns the sample's value into its {@link Memory} and compares what that gives (the predicted
 * value, the score) instead; while it knows too little, or for a sample it has already learned, the
 * state stays as it is. A sample lacking the field learns nothing and, as above, does not meet the
 * condition. {@link #forget} drops what was learned from series that went away.
 */
public final class AlertEvaluator {
  /** Where the evaluator keeps its state. */
  public interface States {
    /** The state under {@code key}, or null. */
    AlertState get(String key);

    /** Stores {@code state} under {@code key}. */
    void put(String key, AlertState state);

    /** Removes the state under {@code key}. */
    void delete(String key);

    /**
     * States kept by three functions, e.g. a store's or a map's {@code get}, {@code put}, remove.
     */
    static States of(
        java.util.function.Function<String, AlertState> get,
        java.util.function.BiConsumer<String, AlertState> put,
        java.util.function.Consumer<String> delete) {
      return new States() {
        @Override
        public AlertState get(String key) {
          return get.apply(key);
        }

        @Override
        public void put(String key, AlertState state) {
          put.accept(key, state);
        }

        @Override
        public void delete(String key) {
          delete.accept(key);
        }
      };
    }
  }

  private final List<AlertRule> rules;
  private final RuleIndex index;
  private final String externalUrl;
  private final boolean learns;
  private final LogRules logRules;

  /**
   * An evaluator for {@code rules}; {@code externalUrl} (e.g. {@code http://localhost:8890}) is the
   * base of each alert's generator URL.
   */
  public AlertEvaluator(List<AlertRule> rules, String externalUrl) {
    this.rules = List.copyOf(rules);
    this.index = new RuleIndex(this.rules);
    this.externalUrl = stripTrailingSlash(externalUrl);
    this.learns = this.rules.stream().anyMatch(r -> r.condition().learns());
    this.logRules = new LogRules(this, this.rules);
  }

  /** The log-pattern rules ({@code count_over_time(…)}), evaluated on log lines. */
  public LogRules logRules() {
    return logRules;
  }

  /** The store key of {@code rule}'s state for {@code series}. */
  public static String key(String rule, String series) {
    return rule + '\u0000' + series;
  }

  /**
   * As {@link #evaluate(Sample, States, Memory, Instant)} for rules that learn nothing, the sample
   * arriving at its own time.
   */
  public List<AlertTransition> evaluate(Sample sample, States states) {
    return evaluate(sample, states, Memory.NONE, sample.time());
  }

  /** As {@link #evaluate(Sample, States, Memory, Instant)} for rules that learn nothing. */
  public List<AlertTransition> evaluate(Sample sample, States states, Instant arrivedAt) {
    return evaluate(sample, states, Memory.NONE, arrivedAt);
  }

  /**
   * Evaluates every rule that watches {@code sample}, which arrived at wall-clock {@code arrivedAt}
   * (what absence rules count from), with what rules learn in {@code memory}; returns the
   * transitions, maybe none.
   */
  public List<AlertTransition> evaluate(
      Sample sample, States states, Memory memory, Instant arrivedAt) {
    List<AlertTransition> transitions = new ArrayList<>();
    Instant now = sample.time();
    for (AlertRule rule : index.candidates(sample)) {
      Condition condition = rule.condition();
      if (!condition.selects(sample)) {
        continue;
      }
      if (condition.isAbsence()) {
        // Only a series that carries the field is one the rule watches: a pod's saturation or a
        // service's log volume (same labels, no traffic) must not fire absence when it stops.
        if (condition.value(sample).isPresent()) {
          seen(rule, sample, states, arrivedAt).ifPresent(transitions::add);
        }
        continue;
      }
      OptionalDouble value = condition.value(sample);
      if (value.isEmpty() && (!sample.source().complete() || sample.quiet())) {
        continue;
      }
      String key = key(rule.name(), sample.series());
      if (condition.learns() && value.isPresent()) {
        Learner learner = condition.learner();
        value = learner.learn(memory, learnedPrefix(key, learner), now, value.getAsDouble());
        if (value.isEmpty()) {
          continue; // knows too little yet, or learned this sample already
        }
      }
      boolean holds = value.isPresent() && condition.test(value.getAsDouble());
      Double v = value.isPresent() ? value.getAsDouble() : null;
      step(
              rule,
              key,
              () -> labels(rule, sample.labels()),
              v,
              holds,
              now,
              sample.source(),
              states,
              "")
          .ifPresent(transitions::add);
    }
    return transitions;
  }

  /**
   * One evaluation of {@code rule} for the state under {@code key} at {@code now}: {@code holds}
   * whether the condition is met, {@code value} the value (null when there is none: the state keeps
   * its last one), {@code labels} the alert's labels for a new state, {@code line} what {@code {{
   * $line }}} renders to. The firing or resolving transition, if any.
   */
  java.util.Optional<AlertTransition> step(
      AlertRule rule,
      String key,
      java.util.function.Supplier<Map<String, String>> labels,
      Double value,
      boolean holds,
      Instant now,
      Sample.Source source,
      States states,
      String line) {
    AlertState state = states.get(key);
    if (state != null && isStale(now, state.updatedAt(), source)) {
      return java.util.Optional.empty();
    }
    if (holds) {
      double v = value;
      state = state == null ? AlertState.pending(labels.get(), now, v) : state.held(now, v);
      if (!state.firing() && !elapsed(state.activeAt(), now, rule.forDuration())) {
        states.put(key, state);
        return java.util.Optional.empty();
      }
      java.util.Optional<AlertTransition> fired = java.util.Optional.empty();
      if (!state.firing()) {
        state = state.fired(now, render(rule.annotations(), state.labels(), v, line));
        fired = java.util.Optional.of(transition(rule, state, AlertTransition.State.FIRING, null));
      }
      states.put(key, state);
      return fired;
    }
    if (state == null) {
      return java.util.Optional.empty();
    }
    double v = value != null ? value : state.value();
    if (state.firing() && !elapsed(state.lastHeldAt(), now, rule.keepFiringFor())) {
      states.put(key, state.kept(now, v));
      return java.util.Optional.empty();
    }
    states.delete(key);
    if (!state.firing()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        transition(rule, state.kept(now, v), AlertTransition.State.RESOLVED, now));
  }

  /** The prefix of the memory entries of {@code learner} under state key {@code key}. */
  private static String learnedPrefix(String key, Learner learner) {
    return key + '\u0000' + learner.signature() + ':';
  }

  /** Whether any rule learns from history (and so needs {@link #forget} now and then). */
  public boolean learns() {
    return learns;
  }

  /**
   * Deletes, through {@code delete}, the memory entries in {@code entries} that nobody needs: those
   * that learned nothing within their rule's retention before {@code newest} (the newest sample
   * time the evaluation saw), and those of rules that no longer exist or whose learned expression
   * changed. Returns how many.
   */
  public int forget(
      Instant newest,
      Iterable<Map.Entry<String, Learned>> entries,
      java.util.function.Consumer<String> delete) {
    int forgotten = 0;
    for (Map.Entry<String, Learned> e : entries) {
      String key = e.getKey();
      int end = key.indexOf('\u0000');
      int last = key.lastIndexOf('\u0000');
      int colon = key.indexOf(':', last);
      Duration retention = null;
      if (end > 0 && colon > last) {
        String ruleName = key.substring(0, end);
        String signature = key.substring(last + 1, colon);
        for (AlertRule rule : rules) {
          Learner learner = rule.condition().learner();
          if (learner != null
              && rule.name().equals(ruleName)
              && learner.signature().equals(signature)
              && (retention == null || learner.retention().compareTo(retention) > 0)) {
            retention = learner.retention();
          }
        }
      }
      if (retention == null || e.getValue().last() < newest.minus(retention).toEpochMilli()) {
        delete.accept(key);
        forgotten++;
      }
    }
    return forgotten;
  }

  /** Whether any rule is an absence rule (and so needs {@link #checkAbsences}). */
  public boolean hasAbsenceRules() {
    return rules.stream().anyMatch(r -> r.condition().isAbsence());
  }

  /**
   * A sample of a series an absence rule watches arrived: remember when; resolve the alert if it
   * was firing.
   */
  private java.util.Optional<AlertTransition> seen(
      AlertRule rule, Sample sample, States states, Instant arrivedAt) {
    String key = key(rule.name(), sample.series());
    AlertState state = states.get(key);
    states.put(key, AlertState.pending(labels(rule, sample.labels()), arrivedAt, 0));
    if (state == null || !state.firing()) {
      return java.util.Optional.empty();
    }
    double silentFor = Duration.between(state.lastHeldAt(), arrivedAt).toMillis() / 1000.0;
    return java.util.Optional.of(
        transition(
            rule, state.kept(arrivedAt, silentFor), AlertTransition.State.RESOLVED, arrivedAt));
  }

  /**
   * Fires the absence rules whose series have sent nothing for their duration, at wall-clock {@code
   * now}, for the entries of a store: {@code update} receives each changed state.
   */
  public List<AlertTransition> checkAbsences(
      Instant now,
      Iterable<Map.Entry<String, AlertState>> entries,
      java.util.function.BiConsumer<String, AlertState> update) {
    List<AlertTransition> transitions = new ArrayList<>();
    for (Map.Entry<String, AlertState> e : entries) {
      AlertState state = e.getValue();
      if (state.firing()) {
        continue;
      }
      String ruleName = e.getKey().substring(0, Math.max(0, e.getKey().indexOf('\u0000')));
      for (AlertRule rule : rules) {
        if (!rule.name().equals(ruleName) || !rule.condition().isAbsence()) {
          continue;
        }
        if (elapsed(state.updatedAt(), now, rule.condition().absentFor())) {
          double silentFor = Duration.between(state.updatedAt(), now).toMillis() / 1000.0;
          // lastHeldAt keeps when the series was last seen
          AlertState fired =
              new AlertState(
                  state.labels(),
                  state.fingerprint(),
                  state.activeAt(),
                  true,
                  now,
                  now,
                  state.updatedAt(),
                  silentFor,
                  render(rule.annotations(), state.labels(), silentFor));
          update.accept(e.getKey(), fired);
          transitions.add(transition(rule, fired, AlertTransition.State.FIRING, null));
        }
        break;
      }
    }
    return transitions;
  }

  /**
   * Whether a sample at {@code now} comes too late for state updated at {@code updatedAt}: older,
   * or — for sources whose samples describe a whole series at once — the same moment again.
   */
  private static boolean isStale(Instant now, Instant updatedAt, Sample.Source source) {
    return now.isBefore(updatedAt) || (source.complete() && now.equals(updatedAt));
  }

  private static boolean elapsed(Instant since, Instant now, Duration duration) {
    return !Duration.between(since, now).minus(duration).isNegative();
  }

  private AlertTransition transition(
      AlertRule rule, AlertState state, AlertTransition.State kind, Instant endsAt) {
    return new AlertTransition(
        state.fingerprint(),
        rule.name(),
        kind,
        state.labels().getOrDefault("severity", "warning"),
        state.labels(),
        state.annotations(),
        state.value(),
        state.startsAt(),
        endsAt,
        generatorUrl(state.fingerprint()));
  }

  private String generatorUrl(String fingerprint) {
    return externalUrl
        + "/api/v2/alerts?fingerprint="
        + URLEncoder.encode(fingerprint, StandardCharsets.UTF_8);
  }

  /** An alert's labels: the series', then the rule's (which win), then {@code alertname}. */
  static Map<String, String> labels(AlertRule rule, Map<String, String> series) {
    Map<String, String> labels = new TreeMap<>(series);
    labels.putAll(rule.labels());
    labels.put("alertname", rule.name());
    return labels;
  }

  private static Map<String, String> render(
      Map<String, String> templates, Map<String, String> labels, double value) {
    return render(templates, labels, value, "");
  }

  private static Map<String, String> render(
      Map<String, String> templates, Map<String, String> labels, double value, String line) {
    Map<String, String> out = new TreeMap<>();
    templates.forEach((k, v) -> out.put(k, Template.render(v, labels, value, line)));
    return out;
  }

  private static String stripTrailingSlash(String url) {
    String u = url == null ? "" : url;
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    return u;
  }
}
