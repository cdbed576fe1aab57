package io.vigil.alerting.rules;

import io.vigil.model.alert.AlertTransition;
import io.vigil.model.signal.GoldenSignal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * Evaluates alert rules against golden-signal windows, one series at a time, in signal event time
 * (the window end): no clock, no I/O, so replaying the same windows gives the same transitions.
 *
 * <p>Per (rule, series): inactive → pending when the condition first holds and {@code for} &gt; 0 →
 * firing once it has held for {@code for} → resolved when a later window no longer meets it (a
 * window lacking the field does not meet it). Only the changes to firing and to resolved are
 * emitted: windows that keep an alert firing emit nothing. A window not newer than the latest one
 * already evaluated for its series (re-delivery, out of order) is ignored.
 *
 * <p>Not thread-safe: one consumer thread owns it; {@link #firing()} returns an immutable snapshot
 * that may be handed to other threads.
 */
public final class AlertEvaluator {
  private final List<AlertRule> rules;
  private final String externalUrl;
  private final Map<String, Instant> latestWindowEnd = new HashMap<>();
  private final Map<StateKey, State> states = new LinkedHashMap<>();

  /**
   * An evaluator for {@code rules}; {@code externalUrl} (e.g. {@code http://localhost:8890}) is the
   * base of each alert's generator URL.
   */
  public AlertEvaluator(List<AlertRule> rules, String externalUrl) {
    this.rules = List.copyOf(rules);
    this.externalUrl = stripTrailingSlash(externalUrl);
  }

  /** Evaluates every rule on {@code signal}; returns the transitions it causes, maybe none. */
  public List<AlertTransition> evaluate(GoldenSignal signal) {
    String series = signal.seriesKey();
    Instant now = signal.window().end();
    Instant latest = latestWindowEnd.get(series);
    if (latest != null && !now.isAfter(latest)) {
      return List.of();
    }
    latestWindowEnd.put(series, now);
    List<AlertTransition> transitions = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      AlertRule rule = rules.get(i);
      StateKey key = new StateKey(i, series);
      OptionalDouble value = rule.condition().value(signal);
      boolean holds = value.isPresent() && rule.condition().test(value.getAsDouble());
      State state = states.get(key);
      if (holds) {
        double v = value.getAsDouble();
        if (state == null) {
          state = new State(labels(rule, signal), now);
          states.put(key, state);
        }
        state.value = v;
        state.updatedAt = now;
        if (!state.firing
            && !Duration.between(state.activeAt, now).minus(rule.forDuration()).isNegative()) {
          state.firing = true;
          state.startsAt = now;
          state.annotations = render(rule.annotations(), state.labels, v);
          transitions.add(transition(rule, state, AlertTransition.State.FIRING, null));
        }
      } else if (state != null) {
        states.remove(key);
        if (state.firing) {
          if (value.isPresent()) {
            state.value = value.getAsDouble();
          }
          transitions.add(transition(rule, state, AlertTransition.State.RESOLVED, now));
        }
      }
    }
    return transitions;
  }

  /**
   * Seeds the state from before a restart with the last transition of each alert, as replayed from
   * {@code vigil.alerts}. A {@code firing} transition makes its (rule, series) firing again, with
   * its {@code startsAt}, value and annotations, so a window that still meets the condition emits
   * nothing and the first one that does not emits {@code resolved}. The series is taken from the
   * alert's {@code cluster}, {@code namespace}, {@code service} and {@code operation} labels; an
   * alert whose rule no longer exists, or whose labels the rule would no longer produce (its labels
   * changed) or that overwrites one of those four labels (the series cannot be told), is ignored.
   * Every transition also raises its series' latest evaluated window to the transition's time
   * ({@code startsAt} when firing, {@code endsAt} when resolved — both are ends of windows this
   * series had evaluated), so re-delivered older windows stay ignored. Call before the first {@link
   * #evaluate}; state already held wins over restored state.
   *
   * @return how many firing alerts were restored
   */
  public int restore(Collection<AlertTransition> lastTransitions) {
    int restored = 0;
    for (AlertTransition t : lastTransitions) {
      Map<String, String> l = t.labels();
      String cluster = l.get("cluster");
      String namespace = l.get("namespace");
      String service = l.get("service");
      String operation = l.get("operation");
      String series = GoldenSignal.seriesKey(cluster, namespace, service, operation);
      latestWindowEnd.merge(series, t.timestamp(), (a, b) -> a.isAfter(b) ? a : b);
      if (t.state() != AlertTransition.State.FIRING) {
        continue;
      }
      for (int i = 0; i < rules.size(); i++) {
        AlertRule rule = rules.get(i);
        if (!rule.name().equals(t.rule()) || overridesSeriesLabels(rule)) {
          continue;
        }
        Map<String, String> labels = labels(rule, cluster, namespace, service, operation);
        StateKey key = new StateKey(i, series);
        if (!Fingerprints.of(labels).equals(t.fingerprint()) || states.containsKey(key)) {
          continue;
        }
        State state = new State(labels, t.startsAt());
        state.firing = true;
        state.value = t.value();
        state.annotations = Map.copyOf(t.annotations());
        states.put(key, state);
        restored++;
        break;
      }
    }
    return restored;
  }

  /** The alerts firing now, sorted by fingerprint. */
  public List<ActiveAlert> firing() {
    List<ActiveAlert> out = new ArrayList<>();
    for (State s : states.values()) {
      if (s.firing) {
        out.add(
            new ActiveAlert(
                s.fingerprint,
                s.labels,
                s.annotations,
                s.value,
                s.startsAt,
                s.updatedAt,
                generatorUrl(s.fingerprint)));
      }
    }
    out.sort(Comparator.comparing(ActiveAlert::fingerprint));
    return List.copyOf(out);
  }

  /** How many series have been seen; each costs one map entry. */
  public int trackedSeries() {
    return latestWindowEnd.size();
  }

  private AlertTransition transition(
      AlertRule rule, State state, AlertTransition.State kind, Instant endsAt) {
    return new AlertTransition(
        state.fingerprint,
        rule.name(),
        kind,
        state.labels.getOrDefault("severity", "warning"),
        state.labels,
        state.annotations,
        state.value,
        state.startsAt,
        endsAt,
        generatorUrl(state.fingerprint));
  }

  private String generatorUrl(String fingerprint) {
    return externalUrl
        + "/api/v2/alerts?fingerprint="
        + URLEncoder.encode(fingerprint, StandardCharsets.UTF_8);
  }

  private static Map<String, String> labels(AlertRule rule, GoldenSignal signal) {
    return labels(rule, signal.cluster(), signal.namespace(), signal.service(), signal.operation());
  }

  private static Map<String, String> labels(
      AlertRule rule, String cluster, String namespace, String service, String operation) {
    Map<String, String> labels = new TreeMap<>();
    putIfPresent(labels, "cluster", cluster);
    putIfPresent(labels, "namespace", namespace);
    putIfPresent(labels, "service", service);
    putIfPresent(labels, "operation", operation);
    labels.putAll(rule.labels());
    labels.put("alertname", rule.name());
    return labels;
  }

  /** A rule that overwrites a series label makes the series unrecoverable from the alert. */
  private static boolean overridesSeriesLabels(AlertRule rule) {
    for (String name : List.of("cluster", "namespace", "service", "operation")) {
      if (rule.labels().containsKey(name)) {
        return true;
      }
    }
    return false;
  }

  private static void putIfPresent(Map<String, String> labels, String name, String value) {
    if (value != null && !value.isEmpty()) {
      labels.put(name, value);
    }
  }

  private static Map<String, String> render(
      Map<String, String> templates, Map<String, String> labels, double value) {
    Map<String, String> out = new TreeMap<>();
    templates.forEach((k, v) -> out.put(k, Template.render(v, labels, value)));
    return out;
  }

  private static String stripTrailingSlash(String url) {
    String u = url == null ? "" : url;
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    return u;
  }

  private record StateKey(int rule, String series) {}

  private static final class State {
    final Map<String, String> labels;
    final String fingerprint;
    final Instant activeAt;
    boolean firing;
    Instant startsAt;
    Instant updatedAt;
    double value;
    Map<String, String> annotations = Map.of();

    State(Map<String, String> labels, Instant activeAt) {
      this.labels = Map.copyOf(labels);
      this.fingerprint = Fingerprints.of(labels);
      this.activeAt = activeAt;
      this.startsAt = activeAt;
      this.updatedAt = activeAt;
    }
  }
}
