package io.vigil.alerting.rules;

import io.vigil.alerting.route.Matcher;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which rules a sample can concern, found without asking every rule: a rule whose selector has an
 * equality matcher ({@code {service="checkout"}}) can only select samples with that label value, so
 * it is filed under it; the others are asked always. With many rules written for one service each,
 * a sample is matched against its own few and the rules for every series, not all of them (the
 * per-sample cost was linear in the rule count: {@code RulesBench}). Rules come back in their file
 * order, as without the index.
 */
final class RuleIndex {
  /** Per source: the rules asked for every sample. */
  private final Map<Sample.Source, int[]> always = new EnumMap<>(Sample.Source.class);

  /** Per source, label and value: the rules that need that value. */
  private final Map<Sample.Source, Map<String, Map<String, int[]>>> byLabel =
      new EnumMap<>(Sample.Source.class);

  private final List<AlertRule> rules;

  /** An index of {@code rules}. */
  RuleIndex(List<AlertRule> rules) {
    this.rules = rules;
    Map<Sample.Source, List<Integer>> plain = new EnumMap<>(Sample.Source.class);
    Map<Sample.Source, Map<String, Map<String, List<Integer>>>> filed =
        new EnumMap<>(Sample.Source.class);
    for (int i = 0; i < rules.size(); i++) {
      Condition condition = rules.get(i).condition();
      Matcher anchor = anchor(condition);
      if (anchor == null) {
        plain.computeIfAbsent(condition.source(), s -> new ArrayList<>()).add(i);
      } else {
        filed
            .computeIfAbsent(condition.source(), s -> new HashMap<>())
            .computeIfAbsent(anchor.name(), n -> new HashMap<>())
            .computeIfAbsent(anchor.value(), v -> new ArrayList<>())
            .add(i);
      }
    }
    plain.forEach((source, list) -> always.put(source, toArray(list)));
    filed.forEach(
        (source, labels) -> {
          Map<String, Map<String, int[]>> out = new HashMap<>();
          labels.forEach(
              (label, values) -> {
                Map<String, int[]> byValue = new HashMap<>();
                values.forEach((value, list) -> byValue.put(value, toArray(list)));
                out.put(label, byValue);
              });
          byLabel.put(source, out);
        });
  }

  /**
   * The first equality matcher with a non-empty value: a sample without that label value cannot be
   * selected (a missing label reads as empty). Null when there is none.
   */
  private static Matcher anchor(Condition condition) {
    if (condition.isLogCount()) {
      return null;
    }
    for (Matcher m : condition.matchers()) {
      if (m.type() == Matcher.Type.EQUAL && !m.value().isEmpty()) {
        return m;
      }
    }
    return null;
  }

  /** The rules that may select {@code sample}, in file order (each still checks it in full). */
  List<AlertRule> candidates(Sample sample) {
    int[] plain = always.getOrDefault(sample.source(), EMPTY);
    Map<String, Map<String, int[]>> labels = byLabel.get(sample.source());
    if (labels == null) {
      return view(plain);
    }
    int[] merged = plain;
    for (Map.Entry<String, Map<String, int[]>> label : labels.entrySet()) {
      String value = sample.labels().get(label.getKey());
      int[] found = value == null ? null : label.getValue().get(value);
      if (found != null) {
        merged = merge(merged, found);
      }
    }
    return view(merged);
  }

  private static final int[] EMPTY = new int[0];

  private List<AlertRule> view(int[] indexes) {
    List<AlertRule> out = new ArrayList<>(indexes.length);
    for (int i : indexes) {
      out.add(rules.get(i));
    }
    return out;
  }

  private static int[] merge(int[] a, int[] b) {
    int[] out = new int[a.length + b.length];
    int i = 0;
    int j = 0;
    int k = 0;
    while (i < a.length || j < b.length) {
      out[k++] = j >= b.length || (i < a.length && a[i] < b[j]) ? a[i++] : b[j++];
    }
    return out;
  }

  private static int[] toArray(List<Integer> list) {
    return list.stream().mapToInt(Integer::intValue).toArray();
  }
}
