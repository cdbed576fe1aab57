package io.vigil.alerting.rules;

import io.vigil.model.alert.AlertTransition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Evaluates log-pattern rules ({@code count_over_time(…)}, {@link LogQuery}): a sliding count of
 * matching lines per (rule, series) in {@link Windows}, compared with the rule's threshold under
 * the same state machine as every rule ({@code for}, {@code keep_firing_for}; {@link
 * AlertEvaluator}).
 *
 * <p>A line that matches no rule costs a few label comparisons and, when the labels match, the line
 * filters — nothing is written. A matching line is counted at its time, but never later than {@code
 * now} (a line from a clock ahead counts as now) and not at all when it is a range old already.
 * Counts are compared at {@code now} on each matching line and on every {@link #tick}: so a count
 * falls, and the alert resolves, as time passes without lines. A series without a single line in
 * the range has no value, as in Loki: it never meets a condition (not even {@code < 1}) and
 * resolves.
 */
public final class LogRules {
  /** Where the sliding counts are kept. */
  public interface Windows {
    /** The window under {@code key}, or null. */
    LogWindow get(String key);

    /** Stores {@code window} under {@code key}. */
    void put(String key, LogWindow window);

    /** Removes the window under {@code key}. */
    void delete(String key);

    /**
     * Windows kept by three functions, e.g. a store's or a map's {@code get}, {@code put}, remove.
     */
    static Windows of(
        java.util.function.Function<String, LogWindow> get,
        java.util.function.BiConsumer<String, LogWindow> put,
        java.util.function.Consumer<String> delete) {
      return new Windows() {
        @Override
        public LogWindow get(String key) {
          return get.apply(key);
        }

        @Override
        public void put(String key, LogWindow window) {
          put.accept(key, window);
        }

        @Override
        public void delete(String key) {
          delete.accept(key);
        }
      };
    }
  }

  private final AlertEvaluator evaluator;
  private final List<AlertRule> rules;

  /**
   * One text per rule that every line it matches contains in its raw record; null when a rule has
   * none (then every line must be read).
   */
  private final byte[][] required;

  LogRules(AlertEvaluator evaluator, List<AlertRule> rules) {
    this.evaluator = evaluator;
    this.rules = rules.stream().filter(r -> r.condition().isLogCount()).toList();
    List<byte[]> texts = new ArrayList<>();
    for (AlertRule rule : this.rules) {
      String text = rule.condition().logQuery().requiredRawText();
      if (text == null) {
        texts = null;
        break;
      }
      texts.add(text.getBytes(StandardCharsets.US_ASCII));
    }
    this.required = texts == null ? null : texts.toArray(new byte[0][]);
  }

  /**
   * Whether the raw {@code vigil.logs} record {@code json} may match a rule: false only when every
   * rule needs a {@code |=} text that the record's bytes do not contain, so the line need not be
   * parsed at all (every line of every cluster passes here; most match nothing).
   */
  public boolean mayMatch(byte[] json) {
    if (required == null) {
      return true;
    }
    for (byte[] text : required) {
      if (contains(json, text)) {
        return true;
      }
    }
    return false;
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** Whether there is any log-pattern rule (else {@code vigil.logs} need not be read at all). */
  public boolean any() {
    return !rules.isEmpty();
  }

  /**
   * Counts {@code line} for every rule it matches and compares those rules' counts at {@code now}
   * (wall clock in the service); the transitions, maybe none.
   */
  public List<AlertTransition> observe(
      LogLine line, Windows windows, AlertEvaluator.States states, Instant now) {
    List<AlertTransition> transitions = new ArrayList<>();
    for (AlertRule rule : rules) {
      LogQuery query = rule.condition().logQuery();
      if (!query.matches(line)) {
        continue;
      }
      Instant at = line.time().isAfter(now) ? now : line.time();
      if (!at.isAfter(now.minus(query.range()))) {
        continue; // a range old already: it would never count
      }
      Map<String, String> labels = query.seriesLabels(line.labels());
      String key = AlertEvaluator.key(rule.name(), labels.toString());
      LogWindow window = windows.get(key);
      window =
          (window == null ? LogWindow.of(labels) : window)
              .add(at, line.message(), query.range(), now);
      windows.put(key, window);
      evaluate(rule, key, window, now, states).ifPresent(transitions::add);
    }
    return transitions;
  }

  /**
   * Compares every counted series' count at {@code now} — the counts fall as lines age — and
   * forgets the windows that count nothing and have no alert state left; the transitions.
   */
  public List<AlertTransition> tick(
      Instant now,
      Iterable<Map.Entry<String, LogWindow>> entries,
      Windows windows,
      AlertEvaluator.States states) {
    List<AlertTransition> transitions = new ArrayList<>();
    for (Map.Entry<String, LogWindow> e : entries) {
      String key = e.getKey();
      String name = key.substring(0, Math.max(0, key.indexOf('\u0000')));
      AlertRule rule = rules.stream().filter(r -> r.name().equals(name)).findFirst().orElse(null);
      if (rule == null) {
        windows.delete(key); // the rule is gone
        continue;
      }
      evaluate(rule, key, e.getValue(), now, states).ifPresent(transitions::add);
      Duration range = rule.condition().logQuery().range();
      if (e.getValue().count(now, range) == 0 && states.get(key) == null) {
        windows.delete(key);
      }
    }
    return transitions;
  }

  private java.util.Optional<AlertTransition> evaluate(
      AlertRule rule, String key, LogWindow window, Instant now, AlertEvaluator.States states) {
    long count = window.count(now, rule.condition().logQuery().range());
    boolean holds = count > 0 && rule.condition().test(count);
    return evaluator.step(
        rule,
        key,
        () -> AlertEvaluator.labels(rule, window.labels()),
        (double) count,
        holds,
        now,
        Sample.Source.LOGS,
        states,
        window.line());
  }
}
