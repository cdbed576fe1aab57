package io.vigil.collector.scrape;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Relabelling rules compiled, applied in order as Prometheus' {@code relabel.Process} applies them:
 * to a target's labels ({@code relabel_configs}) or to a sample's ({@code metric_relabel_configs},
 * through {@link MetricRelabel}). A label set is a map in which an absent label and an empty value
 * are the same thing, as in Prometheus: writing an empty value removes the label. Label names may
 * be any non-empty string (Prometheus 3's UTF-8 names), so a rule can write {@code
 * k8s.cluster.name}. Immutable and thread-safe.
 */
final class Relabel {
  /** No rules: every label set is kept as it is. */
  static final Relabel NONE = new Relabel(List.of());

  private final List<Step> steps = new ArrayList<>();

  /** A rule with its expression compiled once. */
  private record Step(RelabelConfig rule, Pattern pattern) {}

  /** Compiles {@code rules}, which were {@link RelabelConfig#check checked}. */
  Relabel(List<RelabelConfig> rules) {
    for (RelabelConfig rule : rules) {
      steps.add(new Step(rule, rule.compiled()));
    }
  }

  boolean isEmpty() {
    return steps.isEmpty();
  }

  /**
   * {@code labels} after every rule, or null when one of them dropped the set. Returns {@code
   * labels} itself (never modified) when no rule changed anything; otherwise a new map, in the
   * input's order with new labels at the end.
   */
  Map<String, String> apply(Map<String, String> labels) {
    Labels current = new Labels(labels);
    for (Step step : steps) {
      if (!apply(step, current)) {
        return null;
      }
    }
    return current.map;
  }

  private static boolean apply(Step step, Labels labels) {
    RelabelConfig rule = step.rule();
    String value = joined(rule, labels);
    switch (rule.action()) {
      case "keep" -> {
        return step.pattern().matcher(value).matches();
      }
      case "drop" -> {
        return !step.pattern().matcher(value).matches();
      }
      case "keepequal" -> {
        return labels.get(rule.targetLabel()).equals(value);
      }
      case "dropequal" -> {
        return !labels.get(rule.targetLabel()).equals(value);
      }
      case "replace" -> {
        Matcher m = step.pattern().matcher(value);
        if (m.matches()) {
          String target = expand(rule.targetLabel(), m, step.pattern());
          if (!target.isEmpty()) { // as Prometheus: a name that expands to nothing is no label
            labels.set(target, expand(rule.replacement(), m, step.pattern()));
          }
        }
      }
      case "lowercase" -> labels.set(rule.targetLabel(), value.toLowerCase(Locale.ROOT));
      case "uppercase" -> labels.set(rule.targetLabel(), value.toUpperCase(Locale.ROOT));
      case "hashmod" -> labels.set(rule.targetLabel(), hashmod(value, rule.modulus()));
      case "labelmap" -> {
        for (Map.Entry<String, String> label : labels.sorted()) {
          Matcher m = step.pattern().matcher(label.getKey());
          if (m.matches()) {
            String name = expand(rule.replacement(), m, step.pattern());
            if (!name.isEmpty()) {
              labels.set(name, label.getValue());
            }
          }
        }
      }
      case "labeldrop", "labelkeep" -> {
        boolean drop = rule.action().equals("labeldrop");
        for (Map.Entry<String, String> label : labels.sorted()) {
          if (step.pattern().matcher(label.getKey()).matches() == drop) {
            labels.set(label.getKey(), "");
          }
        }
      }
      default -> throw new IllegalStateException("unchecked relabel action " + rule.action());
    }
    return true;
  }

  /** The source labels' values joined by the separator; an absent label is an empty string. */
  private static String joined(RelabelConfig rule, Labels labels) {
    List<String> sources = rule.sourceLabels();
    if (sources.size() == 1) {
      return labels.get(sources.get(0));
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < sources.size(); i++) {
      if (i > 0) {
        sb.append(rule.separator());
      }
      sb.append(labels.get(sources.get(i)));
    }
    return sb.toString();
  }

  /**
   * Prometheus' {@code hashmod}: the MD5 of the value, its last eight bytes as an unsigned
   * big-endian number, modulo {@code modulus}.
   */
  static String hashmod(String value, long modulus) {
    try {
      byte[] md5 = MessageDigest.getInstance("MD5").digest(value.getBytes(StandardCharsets.UTF_8));
      long low = ByteBuffer.wrap(md5, 8, 8).getLong();
      return Long.toUnsignedString(Long.remainderUnsigned(low, modulus));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has MD5", e);
    }
  }

  /**
   * {@code template} with the match's groups in, as Go's {@code Regexp.Expand} does it (which
   * Prometheus uses): {@code $name} or {@code ${name}}, a name being the longest run of letters,
   * digits and underscores (so {@code $1x} is the group named {@code 1x}, use {@code ${1}x});
   * numbers are group indexes; a group that does not exist or did not match gives nothing; {@code
   * $$} is a dollar; a {@code $} not followed by a name stays as it is.
   */
  static String expand(String template, Matcher m, Pattern pattern) {
    int dollar = template.indexOf('$');
    if (dollar < 0) {
      return template;
    }
    StringBuilder out = new StringBuilder(template.length() + 16);
    int i = 0;
    int n = template.length();
    while (dollar >= 0) {
      out.append(template, i, dollar);
      i = dollar + 1;
      if (i < n && template.charAt(i) == '$') {
        out.append('$');
        i++;
      } else {
        boolean brace = i < n && template.charAt(i) == '{';
        int start = brace ? i + 1 : i;
        int end = start;
        while (end < n) {
          int c = template.codePointAt(end);
          if (!Character.isLetter(c) && !Character.isDigit(c) && c != '_') {
            break;
          }
          end += Character.charCount(c);
        }
        if (end == start || (brace && (end >= n || template.charAt(end) != '}'))) {
          out.append('$'); // not a reference: the dollar is text
        } else {
          out.append(group(template.substring(start, end), m, pattern));
          i = brace ? end + 1 : end;
        }
      }
      dollar = template.indexOf('$', i);
    }
    out.append(template, i, n);
    return out.toString();
  }

  private static String group(String name, Matcher m, Pattern pattern) {
    int index = number(name);
    if (index < 0) {
      Integer named = pattern.namedGroups().get(name);
      index = named == null ? -1 : named;
    }
    if (index < 0 || index > m.groupCount()) {
      return "";
    }
    String g = m.group(index);
    return g == null ? "" : g;
  }

  /** The group number {@code name} is (digits only, no leading zero), or -1 for a name. */
  private static int number(String name) {
    if (name.length() > 1 && name.charAt(0) == '0') {
      return -1;
    }
    int num = 0;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < '0' || c > '9' || num >= 100_000_000) {
        return -1;
      }
      num = num * 10 + (c - '0');
    }
    return num;
  }

  /** A label set being relabelled: the input until the first change, then a copy. */
  private static final class Labels {
    Map<String, String> map;
    private boolean copied;

    Labels(Map<String, String> input) {
      this.map = input;
    }

    String get(String name) {
      String value = map.get(name);
      return value == null ? "" : value;
    }

    /** Writes a label; an empty value removes it. */
    void set(String name, String value) {
      String old = map.get(name);
      if (value.isEmpty() ? old == null : value.equals(old)) {
        return;
      }
      if (!copied) {
        map = new LinkedHashMap<>(map);
        copied = true;
      }
      if (value.isEmpty()) {
        map.remove(name);
      } else {
        map.put(name, value);
      }
    }

    /** A snapshot in name order, as Prometheus walks a label set (by then sorted). */
    List<Map.Entry<String, String>> sorted() {
      List<Map.Entry<String, String>> entries = new ArrayList<>(map.size());
      map.forEach((k, v) -> entries.add(Map.entry(k, v)));
      entries.sort(Map.Entry.comparingByKey());
      return entries;
    }
  }
}
