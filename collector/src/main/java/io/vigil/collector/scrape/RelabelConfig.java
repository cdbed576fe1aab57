package io.vigil.collector.scrape;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.vigil.model.config.ConfigException;
import java.util.List;
import java.util.Locale;

/**
 * One relabelling rule, as Prometheus' {@code relabel_config} spells it: an entry of a job's {@code
 * relabel_configs} (on targets, before they are scraped) or {@code metric_relabel_configs} (on
 * every scraped sample). {@link Relabel} applies them; the meaning of each action is Prometheus'
 * ({@code model/relabel}).
 *
 * @param sourceLabels the labels whose values are joined by {@code separator} (an absent label is
 *     an empty string); default none
 * @param separator between the joined values; default {@code ;}
 * @param regex RE2, anchored at both ends, {@code .} matching newlines too; default {@code (.*)}
 * @param modulus what {@code hashmod} divides by; required for it, nothing else takes it
 * @param targetLabel the label {@code replace}, {@code hashmod}, {@code lowercase} and {@code
 *     uppercase} write, and {@code keepequal} / {@code dropequal} compare with; {@code replace}
 *     expands {@code $1}, {@code ${name}} in it
 * @param replacement what {@code replace} writes, or {@code labelmap} names the copy; {@code $1},
 *     {@code ${1}}, {@code ${name}} are the match's groups, {@code $$} a dollar; default {@code $1}
 * @param action {@code replace} (default), {@code keep}, {@code drop}, {@code keepequal}, {@code
 *     dropequal}, {@code hashmod}, {@code labelmap}, {@code labeldrop}, {@code labelkeep}, {@code
 *     lowercase}, {@code uppercase}; case does not matter
 */
public record RelabelConfig(
    @JsonProperty("source_labels") List<String> sourceLabels,
    @JsonProperty("separator") String separator,
    @JsonProperty("regex") String regex,
    @JsonProperty("modulus") Long modulus,
    @JsonProperty("target_label") String targetLabel,
    @JsonProperty("replacement") String replacement,
    @JsonProperty("action") String action) {

  static final String DEFAULT_SEPARATOR = ";";
  static final String DEFAULT_REGEX = "(.*)";
  static final String DEFAULT_REPLACEMENT = "$1";

  /** The actions Prometheus knows. */
  static final List<String> ACTIONS =
      List.of(
          "replace",
          "keep",
          "drop",
          "keepequal",
          "dropequal",
          "hashmod",
          "labelmap",
          "labeldrop",
          "labelkeep",
          "lowercase",
          "uppercase");

  private static final List<String> WRITE_TARGET =
      List.of("replace", "hashmod", "lowercase", "uppercase");

  /** Applies Prometheus' defaults; {@link #check} validates with the key's name. */
  public RelabelConfig {
    sourceLabels = sourceLabels == null ? List.of() : List.copyOf(sourceLabels);
    separator = separator == null ? DEFAULT_SEPARATOR : separator;
    regex = regex == null ? DEFAULT_REGEX : regex;
    replacement = replacement == null ? DEFAULT_REPLACEMENT : replacement;
    action = action == null ? "replace" : action.toLowerCase(Locale.ROOT);
  }

  /** A {@code keep} of the targets or samples whose source labels match {@code regex}. */
  public static RelabelConfig keep(List<String> sourceLabels, String regex) {
    return new RelabelConfig(sourceLabels, null, regex, null, null, null, "keep");
  }

  /** The regex as it is matched: anchored at both ends, {@code .} matching a newline too. */
  Pattern compiled() {
    return Pattern.compile("^(?s:" + regex + ")$");
  }

  /**
   * Checks the rule as Prometheus does when it loads it; {@code at} names it in errors (e.g. {@code
   * collector.scrape.jobs[pods].relabel_configs[0].}).
   */
  void check(String at) {
    if (!ACTIONS.contains(action)) {
      throw new ConfigException(at + "action", action, "must be one of " + ACTIONS);
    }
    try {
      compiled();
    } catch (PatternSyntaxException e) {
      throw new ConfigException(at + "regex", regex, "not an RE2 expression: " + e.getMessage());
    }
    boolean compares = action.equals("keepequal") || action.equals("dropequal");
    boolean changesCase = action.equals("lowercase") || action.equals("uppercase");
    boolean namesOnly = action.equals("labeldrop") || action.equals("labelkeep");
    if ((WRITE_TARGET.contains(action) || compares)
        && (targetLabel == null || targetLabel.isEmpty())) {
      throw new ConfigException(at + "target_label", action + " needs a target_label");
    }
    if (action.equals("hashmod") && (modulus == null || modulus <= 0)) {
      throw new ConfigException(at + "modulus", modulus, "hashmod needs a modulus > 0");
    }
    if (action.equals("labelmap") && replacement.isEmpty()) {
      throw new ConfigException(
          at + "replacement", replacement, "labelmap needs the new label's name");
    }
    if ((compares || changesCase || namesOnly) && !replacement.equals(DEFAULT_REPLACEMENT)) {
      throw new ConfigException(at + "replacement", replacement, action + " takes no replacement");
    }
    if ((compares || namesOnly) && modulus != null) {
      throw new ConfigException(at + "modulus", modulus, action + " takes no modulus");
    }
    if ((compares || namesOnly) && !separator.equals(DEFAULT_SEPARATOR)) {
      throw new ConfigException(at + "separator", separator, action + " takes no separator");
    }
    if (compares && !regex.equals(DEFAULT_REGEX)) {
      throw new ConfigException(
          at + "regex",
          regex,
          action + " compares values: it takes source_labels and target_label");
    }
    if (namesOnly && !sourceLabels.isEmpty()) {
      throw new ConfigException(
          at + "source_labels",
          sourceLabels,
          action + " matches label names: it takes a regex only");
    }
    if (namesOnly && targetLabel != null) {
      throw new ConfigException(
          at + "target_label", targetLabel, action + " matches label names: it takes a regex only");
    }
  }

  /**
   * {@link #check}, then what a scraped sample cannot have done to it: its name is its family's, so
   * no rule may write {@code __name__}; and {@code keep} / {@code drop} without source labels would
   * keep or drop everything, which is never meant.
   */
  void checkForSamples(String at) {
    check(at);
    if (WRITE_TARGET.contains(action) && "__name__".equals(targetLabel)) {
      throw new ConfigException(
          at + "target_label", targetLabel, "a sample cannot be renamed (it keeps its family)");
    }
    if (action.equals("labelmap") && replacement.equals("__name__")) {
      throw new ConfigException(
          at + "replacement", replacement, "a sample cannot be renamed (it keeps its family)");
    }
    if ((action.equals("keep") || action.equals("drop")) && sourceLabels.isEmpty()) {
      throw new ConfigException(at + "source_labels", action + " needs source_labels");
    }
  }
}
