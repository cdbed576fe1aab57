package io.vigil.collector.scrape;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.vigil.model.config.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One of a scrape job's {@code metric_relabel_configs}, as Prometheus applies them to every scraped
 * sample before it is stored: {@code keep} / {@code drop} a sample whose {@code source_labels}
 * (joined by {@code separator}, {@code __name__} being the sample's name) match {@code regex} in
 * full; {@code replace} writes {@code replacement} (with {@code $1}, {@code ${1}} groups) to {@code
 * target_label} when they match; {@code labeldrop} / {@code labelkeep} remove the labels whose name
 * matches (or does not). Regular expressions are RE2 (linear time), anchored at both ends.
 *
 * @param sourceLabels the labels whose values are joined and matched; default none (an empty
 *     string)
 * @param separator between the joined values; default {@code ;}
 * @param regex the expression; default {@code (.*)}
 * @param action keep, drop, replace (default), labeldrop, labelkeep
 * @param targetLabel the label {@code replace} writes (not {@code __name__}: a sample keeps its
 *     family)
 * @param replacement what {@code replace} writes; default {@code $1}
 */
public record MetricRelabel(
    @JsonProperty("source_labels") List<String> sourceLabels,
    @JsonProperty("separator") String separator,
    @JsonProperty("regex") String regex,
    @JsonProperty("action") String action,
    @JsonProperty("target_label") String targetLabel,
    @JsonProperty("replacement") String replacement) {

  private static final List<String> ACTIONS =
      List.of("keep", "drop", "replace", "labeldrop", "labelkeep");

  /** Applies defaults; {@link #check} validates with the key's name. */
  public MetricRelabel {
    sourceLabels = sourceLabels == null ? List.of() : List.copyOf(sourceLabels);
    separator = separator == null ? ";" : separator;
    regex = regex == null ? "(.*)" : regex;
    action = action == null ? "replace" : action;
    replacement = replacement == null ? "$1" : replacement;
  }

  /**
   * Checks the rule; {@code at} names it in errors (e.g. {@code
   * …jobs[k].metric_relabel_configs[0].}).
   */
  void check(String at) {
    if (!ACTIONS.contains(action)) {
      throw new ConfigException(at + "action", action, "must be one of " + ACTIONS);
    }
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new ConfigException(at + "regex", regex, "not an RE2 expression: " + e.getMessage());
    }
    if (action.equals("replace")) {
      if (targetLabel == null || targetLabel.isBlank()) {
        throw new ConfigException(at + "target_label", "replace needs a target_label");
      }
      if (targetLabel.equals("__name__")) {
        throw new ConfigException(
            at + "target_label", targetLabel, "a sample cannot be renamed (it keeps its family)");
      }
    }
    if ((action.equals("keep") || action.equals("drop")) && sourceLabels.isEmpty()) {
      throw new ConfigException(at + "source_labels", action + " needs source_labels");
    }
  }

  /** A job's rules compiled, applied in order. */
  static final class Rules {
    private final List<MetricRelabel> rules;
    private final List<Pattern> patterns = new ArrayList<>();

    Rules(List<MetricRelabel> rules) {
      this.rules = List.copyOf(rules);
      for (MetricRelabel rule : rules) {
        patterns.add(Pattern.compile("^(?:" + rule.regex() + ")$"));
      }
    }

    boolean isEmpty() {
      return rules.isEmpty();
    }

    /**
     * The families with every sample relabelled; a sample a rule drops is left out, and a family
     * left without samples too. Returns {@code families} itself when there are no rules.
     */
    List<Exposition.Family> apply(List<Exposition.Family> families) {
      if (rules.isEmpty()) {
        return families;
      }
      List<Exposition.Family> out = new ArrayList<>(families.size());
      for (Exposition.Family family : families) {
        List<Exposition.Sample> kept = new ArrayList<>(family.samples().size());
        boolean changed = false;
        for (Exposition.Sample sample : family.samples()) {
          Map<String, String> labels = relabel(sample.name(), sample.labels());
          if (labels == null) {
            changed = true;
          } else if (labels == sample.labels()) {
            kept.add(sample);
          } else {
            changed = true;
            kept.add(
                new Exposition.Sample(
                    sample.name(), labels, sample.value(), sample.timestampMillis()));
          }
        }
        if (!kept.isEmpty()) {
          out.add(
              changed
                  ? new Exposition.Family(
                      family.name(), family.type(), family.help(), family.unit(), kept)
                  : family);
        }
      }
      return out;
    }

    /** The sample's labels after the rules, or null when one of them drops it. */
    private Map<String, String> relabel(String name, Map<String, String> labels) {
      Map<String, String> current = labels;
      for (int i = 0; i < rules.size(); i++) {
        MetricRelabel rule = rules.get(i);
        Pattern pattern = patterns.get(i);
        switch (rule.action()) {
          case "keep", "drop" -> {
            boolean matches = pattern.matcher(joined(rule, name, current)).matches();
            if (matches == rule.action().equals("drop")) {
              return null;
            }
          }
          case "replace" -> {
            Matcher m = pattern.matcher(joined(rule, name, current));
            if (m.matches()) {
              String value = expand(rule.replacement(), m);
              Map<String, String> next = new LinkedHashMap<>(current);
              if (value.isEmpty()) {
                next.remove(rule.targetLabel());
              } else {
                next.put(rule.targetLabel(), value);
              }
              current = next;
            }
          }
          default -> { // labeldrop, labelkeep
            boolean drop = rule.action().equals("labeldrop");
            Map<String, String> next = new LinkedHashMap<>();
            current.forEach(
                (k, v) -> {
                  if (pattern.matcher(k).matches() != drop) {
                    next.put(k, v);
                  }
                });
            current = next.size() == current.size() ? current : next;
          }
        }
      }
      return current;
    }

    private static String joined(MetricRelabel rule, String name, Map<String, String> labels) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < rule.sourceLabels().size(); i++) {
        if (i > 0) {
          sb.append(rule.separator());
        }
        String label = rule.sourceLabels().get(i);
        String value = label.equals("__name__") ? name : labels.get(label);
        sb.append(value == null ? "" : value);
      }
      return sb.toString();
    }

    /** {@code replacement} with {@code $n} and {@code ${n}} replaced by the match's groups. */
    private static String expand(String replacement, Matcher m) {
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < replacement.length(); i++) {
        char c = replacement.charAt(i);
        if (c == '$' && i + 1 < replacement.length()) {
          boolean braced = replacement.charAt(i + 1) == '{';
          int start = braced ? i + 2 : i + 1;
          int end = start;
          while (end < replacement.length() && Character.isDigit(replacement.charAt(end))) {
            end++;
          }
          if (end > start
              && (!braced || (end < replacement.length() && replacement.charAt(end) == '}'))) {
            int group = Integer.parseInt(replacement.substring(start, end));
            if (group <= m.groupCount()) {
              String g = m.group(group);
              out.append(g == null ? "" : g);
            }
            i = braced ? end : end - 1;
            continue;
          }
        }
        out.append(c);
      }
      return out.toString();
    }
  }
}
