package io.vigil.collector.scrape;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A job's {@code metric_relabel_configs} applied to every scraped sample before it is converted, as
 * Prometheus applies them before it stores a sample: the rules see the sample's labels and its name
 * as {@code __name__}. A sample a rule drops is left out, and a family left without samples too.
 * The name cannot change: a sample keeps its family ({@link RelabelConfig#checkForSamples} refuses
 * rules that write it, and a rule that removes it leaves it as it was).
 */
final class MetricRelabel {
  static final MetricRelabel NONE = new MetricRelabel(Relabel.NONE);

  private static final String NAME = "__name__";

  private final Relabel rules;

  MetricRelabel(Relabel rules) {
    this.rules = rules;
  }

  MetricRelabel(List<RelabelConfig> rules) {
    this(new Relabel(rules));
  }

  /**
   * The families with every sample relabelled. Returns {@code families} itself when there are no
   * rules, and a family itself when no rule changed any of its samples.
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
        Map<String, String> labels = relabel(sample);
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

  /** The sample's labels after the rules (itself when unchanged), or null when dropped. */
  private Map<String, String> relabel(Exposition.Sample sample) {
    Map<String, String> in = new LinkedHashMap<>(sample.labels().size() * 2 + 2);
    in.putAll(sample.labels());
    in.put(NAME, sample.name());
    Map<String, String> out = rules.apply(in);
    if (out == null) {
      return null;
    }
    if (out == in) {
      return sample.labels();
    }
    Map<String, String> labels = new LinkedHashMap<>(out);
    labels.remove(NAME);
    return labels.equals(sample.labels()) ? sample.labels() : labels;
  }
}
