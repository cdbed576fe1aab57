package io.vigil.alerting.rules;

import io.vigil.alerting.yaml.YamlNode;
import io.vigil.model.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads Prometheus-style rule files whose {@code expr} is a condition on golden-signal fields:
 *
 * <pre>
 * groups:
 *   - name: golden-signals
 *     rules:
 *       - alert: HighErrorRatio
 *         expr: errors.ratio &gt; 0.05
 *         for: 30s
 *         labels: {severity: critical}
 *         annotations: {summary: "{{ $labels.service }} error ratio is {{ $value }}"}
 * </pre>
 *
 * Every error names the file and key, e.g. {@code rules.yaml: groups[0].rules[1].expr: unknown
 * field 'errors.ration', was 'errors.ration > 0.05'}.
 */
public final class RuleLoader {
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Set<String> FILE_KEYS = Set.of("groups");
  private static final Set<String> GROUP_KEYS = Set.of("name", "rules");
  private static final Set<String> RULE_KEYS =
      Set.of("alert", "expr", "for", "keep_firing_for", "labels", "annotations");

  private RuleLoader() {}

  /** Loads every file in order; the result holds all their rules. */
  public static List<AlertRule> load(List<Path> files) {
    List<AlertRule> rules = new ArrayList<>();
    for (Path file : files) {
      String yaml;
      try {
        yaml = Files.readString(file);
      } catch (IOException e) {
        throw new ConfigException(file.toString(), "cannot read rule file: " + e.getMessage());
      }
      rules.addAll(parse(yaml, file.toString()));
    }
    return List.copyOf(rules);
  }

  /** Parses one rule file's text; {@code fileName} is used in error messages. */
  public static List<AlertRule> parse(String yaml, String fileName) {
    YamlNode root = YamlNode.parse(yaml, fileName);
    if (root.isAbsent()) {
      throw root.hidden("empty rule file, expected 'groups:'");
    }
    root.checkKeys(FILE_KEYS, Set.of());
    List<AlertRule> rules = new ArrayList<>();
    Set<String> groupNames = new HashSet<>();
    for (YamlNode group : root.get("groups").elements()) {
      group.checkKeys(GROUP_KEYS, Set.of());
      String groupName = group.get("name").requiredText();
      if (!groupNames.add(groupName)) {
        throw group.get("name").error("duplicate group name");
      }
      for (YamlNode rule : group.get("rules").elements()) {
        rules.add(parseRule(rule, groupName, fileName));
      }
    }
    return rules;
  }

  private static AlertRule parseRule(YamlNode rule, String group, String fileName) {
    if (!rule.get("record").isAbsent()) {
      throw rule.get("record").error("recording rules are not supported, only 'alert' rules");
    }
    rule.checkKeys(RULE_KEYS, Set.of());
    YamlNode alert = rule.get("alert");
    String name = alert.requiredText();
    if (!LABEL_NAME.matcher(name).matches()) {
      throw alert.error("must be a valid label value of [a-zA-Z_][a-zA-Z0-9_]*");
    }
    YamlNode expr = rule.get("expr");
    Condition condition;
    try {
      condition = Condition.parse(expr.requiredText());
    } catch (IllegalArgumentException e) {
      // the position in the file says which rule; its name says it to a person
      throw expr.error(e.getMessage() + ", in alert " + name);
    }
    YamlNode forNode = rule.get("for");
    Duration forDuration = forNode.duration(Duration.ZERO);
    if (forDuration.isNegative()) {
      throw forNode.error("must not be negative");
    }
    YamlNode keepNode = rule.get("keep_firing_for");
    Duration keepFiringFor = keepNode.duration(Duration.ZERO);
    if (keepFiringFor.isNegative()) {
      throw keepNode.error("must not be negative");
    }
    YamlNode labelsNode = rule.get("labels");
    Map<String, String> labels = labelsNode.stringMap();
    for (String label : labels.keySet()) {
      if (!LABEL_NAME.matcher(label).matches()) {
        throw labelsNode.get(label).hidden("invalid label name '" + label + "'");
      }
      if (label.equals("alertname")) {
        throw labelsNode.get(label).hidden("'alertname' is set from the rule's 'alert'");
      }
    }
    Map<String, String> annotations = rule.get("annotations").stringMap();
    return new AlertRule(
        name, group, fileName, condition, forDuration, keepFiringFor, labels, annotations);
  }
}
