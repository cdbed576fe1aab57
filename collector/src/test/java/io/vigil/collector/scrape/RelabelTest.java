package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.config.ConfigLoader;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The relabelling engine, action by action, on the cases of Prometheus' {@code
 * model/relabel/relabel_test.go} and the examples of its {@code relabel_config} documentation,
 * written as an operator writes them (YAML).
 */
class RelabelTest {

  /** The rules of {@code yaml} (a YAML list), checked as the configuration checks them. */
  static Relabel rules(String yaml) {
    List<RelabelConfig> rules = Arrays.asList(ConfigLoader.parse(yaml, RelabelConfig[].class));
    for (int i = 0; i < rules.size(); i++) {
      rules.get(i).check("rules[" + i + "].");
    }
    return new Relabel(rules);
  }

  static Map<String, String> apply(String yaml, Map<String, String> labels) {
    return rules(yaml).apply(labels);
  }

  @Test
  void replaceWritesTheExpandedReplacementWhenTheRegexMatches() {
    assertThat(
            apply(
                """
                - {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch${1}-ch${1}'}
                """,
                Map.of("a", "foo", "b", "bar", "c", "baz")))
        .isEqualTo(Map.of("a", "foo", "b", "bar", "c", "baz", "d", "choo-choo"));

    assertThat(
            apply(
                """
                - {source_labels: [a, b], regex: 'f(.*);(.*)r', target_label: a, replacement: 'b${1}${2}m'}
                - {source_labels: [c, a], regex: '(b).*b(.*)ba(.*)', target_label: d, replacement: '$1$2$2$3'}
                """,
                Map.of("a", "foo", "b", "bar", "c", "baz")))
        .as("the second rule sees what the first wrote")
        .isEqualTo(Map.of("a", "boobam", "b", "bar", "c", "baz", "d", "boooom"));

    assertThat(
            apply("- {source_labels: [a], regex: '.*(b).*', target_label: d}", Map.of("a", "abc")))
        .as("replacement defaults to $1")
        .isEqualTo(Map.of("a", "abc", "d", "b"));
  }

  @Test
  void replaceDoesNothingWithoutAMatchAndTheRegexIsAnchored() {
    Map<String, String> boo = Map.of("a", "boo");
    assertThat(apply("- {source_labels: [a], regex: f, target_label: b, replacement: bar}", boo))
        .isSameAs(boo);
    assertThat(apply("- {source_labels: [a], regex: 'o', target_label: b}", boo))
        .as("'o' must match all of 'boo'")
        .isSameAs(boo);
  }

  @Test
  void replaceCanNameTheTargetFromTheMatchAndRemovesWithAnEmptyValue() {
    String rule =
        "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', target_label: '%s', replacement: '%s'}";
    assertThat(apply(rule.formatted("${1}", "${2}"), Map.of("a", "some-name-value")))
        .isEqualTo(Map.of("a", "some-name-value", "name", "value"));
    assertThat(apply(rule.formatted("${1}", "${3}"), Map.of("a", "some-name-value")))
        .as("a group that does not exist: an empty value, nothing written")
        .isEqualTo(Map.of("a", "some-name-value"));
    assertThat(apply(rule.formatted("${3}", "${1}"), Map.of("a", "some-name-0")))
        .as("a target that expands to nothing is no label")
        .isEqualTo(Map.of("a", "some-name-0"));
    assertThat(
            apply(
                "- {source_labels: [a], regex: 'x', target_label: b, replacement: ''}",
                Map.of("a", "x", "b", "old")))
        .as("an empty replacement removes the target")
        .isEqualTo(Map.of("a", "x"));
    assertThat(apply("- {target_label: env, replacement: prod}", Map.of("a", "1")))
        .as("no source labels: the empty string matches (.*), a constant is written")
        .isEqualTo(Map.of("a", "1", "env", "prod"));
  }

  @Test
  void replacementsExpandAsGoTemplatesDo() {
    String rule =
        "- {source_labels: [a], regex: '(?P<first>[a-z]+)-(\\d+)', target_label: b, replacement: '%s'}";
    Map<String, String> in = Map.of("a", "abc-42");
    assertThat(apply(rule.formatted("${first}/$2"), in)).containsEntry("b", "abc/42");
    assertThat(apply(rule.formatted("$1x"), in))
        .as("$1x is the group named 1x, which does not exist")
        .doesNotContainKey("b");
    assertThat(apply(rule.formatted("${1}x"), in)).containsEntry("b", "abcx");
    assertThat(apply(rule.formatted("$$1 costs $"), in)).containsEntry("b", "$1 costs $");
    assertThat(apply(rule.formatted("${2"), in))
        .as("an unclosed brace is text")
        .containsEntry("b", "${2");
    assertThat(
            apply(
                "- {source_labels: [a], regex: 'foo.bar', target_label: b, replacement: ok}",
                Map.of("a", "foo\nbar")))
        .as("'.' matches a newline, as in Prometheus 3")
        .containsEntry("b", "ok");
  }

  @Test
  void keepAndDropDecideOnTheJoinedValuesMatchingInFull() {
    Map<String, String> foo = Map.of("a", "foo", "b", "bar");
    assertThat(apply("- {source_labels: [a], regex: '.*o.*', action: drop}", foo)).isNull();
    assertThat(apply("- {source_labels: [a], regex: no-match, action: drop}", foo)).isSameAs(foo);
    assertThat(apply("- {source_labels: [a], regex: 'f|o', action: drop}", foo))
        .as("anchored: 'f|o' is not all of 'foo'")
        .isSameAs(foo);
    assertThat(apply("- {source_labels: [a], regex: no-match, action: keep}", foo)).isNull();
    assertThat(apply("- {source_labels: [a], regex: 'f.*', action: keep}", foo)).isSameAs(foo);
    assertThat(apply("- {source_labels: [a, b], regex: 'foo;bar', action: Keep}", foo))
        .as("joined by ';'; the action's case does not matter")
        .isSameAs(foo);
    assertThat(
            apply(
                """
                - {source_labels: [a], regex: '.*o.*', action: drop}
                - {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch$1-ch$1'}
                """,
                foo))
        .as("a dropped set goes no further")
        .isNull();
  }

  @Test
  void keepequalAndDropequalCompareWithTheTargetLabel() {
    Map<String, String> ports = Map.of("__tmp_port", "1234", "__port1", "1234", "__port2", "5678");
    assertThat(
            apply(
                "- {source_labels: [__tmp_port], target_label: __port1, action: keepequal}", ports))
        .isSameAs(ports);
    assertThat(
            apply(
                "- {source_labels: [__tmp_port], target_label: __port2, action: keepequal}", ports))
        .isNull();
    assertThat(
            apply(
                "- {source_labels: [__tmp_port], target_label: __port1, action: dropequal}", ports))
        .isNull();
    assertThat(
            apply(
                "- {source_labels: [__tmp_port], target_label: __port2, action: dropequal}", ports))
        .isSameAs(ports);
  }

  @Test
  void hashmodGivesPrometheusNumbers() {
    assertThat(
            apply(
                "- {source_labels: [c], target_label: d, modulus: 1000, action: hashmod}",
                Map.of("a", "foo", "b", "bar", "c", "baz")))
        .containsEntry("d", "976");
    assertThat(
            apply(
                "- {source_labels: [a], target_label: b, modulus: 1000, action: hashmod}",
                Map.of("a", "foo\nbar")))
        .containsEntry("b", "734");
    // Sharding as the documentation shows it: every target lands in exactly one of 4 shards.
    String shard =
        """
        - {source_labels: [__address__], target_label: __tmp_hash, modulus: 4, action: hashmod}
        - {source_labels: [__tmp_hash], regex: '%d', action: keep}
        """;
    for (int i = 0; i < 20; i++) {
      Map<String, String> target = Map.of("__address__", "10.0.0." + i + ":9100");
      int kept = 0;
      for (int s = 0; s < 4; s++) {
        kept += apply(shard.formatted(s), target) == null ? 0 : 1;
      }
      assertThat(kept).as("target %d in one shard", i).isEqualTo(1);
    }
  }

  @Test
  void labelmapCopiesLabelsWhoseNamesMatchUnderTheNewName() {
    assertThat(
            apply(
                "- {regex: '(b.*)', replacement: 'bar_${1}', action: labelmap}",
                Map.of("a", "foo", "b1", "bar", "b2", "baz")))
        .isEqualTo(Map.of("a", "foo", "b1", "bar", "b2", "baz", "bar_b1", "bar", "bar_b2", "baz"));
    assertThat(
            apply(
                "- {regex: '__meta_(my.*)', replacement: '${1}', action: labelmap}",
                Map.of(
                    "a",
                    "foo",
                    "__meta_my_bar",
                    "aaa",
                    "__meta_my_baz",
                    "bbb",
                    "__meta_other",
                    "ccc")))
        .isEqualTo(
            Map.of(
                "a",
                "foo",
                "__meta_my_bar",
                "aaa",
                "__meta_my_baz",
                "bbb",
                "__meta_other",
                "ccc",
                "my_bar",
                "aaa",
                "my_baz",
                "bbb"));
    assertThat(
            apply(
                "- {regex: '__meta_kubernetes_pod_label_(.+)', action: labelmap}",
                Map.of("__meta_kubernetes_pod_label_app", "checkout")))
        .as("the documentation's example, replacement $1")
        .containsEntry("app", "checkout");
  }

  @Test
  void labeldropAndLabelkeepMatchLabelNames() {
    Map<String, String> in = Map.of("a", "foo", "b1", "bar", "b2", "baz");
    assertThat(apply("- {regex: '(b.*)', action: labelkeep}", in))
        .isEqualTo(Map.of("b1", "bar", "b2", "baz"));
    assertThat(apply("- {regex: '(b.*)', action: labeldrop}", in)).isEqualTo(Map.of("a", "foo"));
    assertThat(apply("- {regex: 'c', action: labeldrop}", in)).isSameAs(in);
  }

  @Test
  void lowercaseAndUppercaseWriteTheJoinedValue() {
    assertThat(
            apply(
                """
                - {source_labels: [foo], target_label: foo_uppercase, action: uppercase}
                - {source_labels: [foo], target_label: foo_lowercase, action: lowercase}
                """,
                Map.of("foo", "bAr123Foo")))
        .isEqualTo(
            Map.of("foo", "bAr123Foo", "foo_lowercase", "bar123foo", "foo_uppercase", "BAR123FOO"));
  }

  @Test
  void rulesSeeEachOthersWork() {
    // Prometheus issue 12283: a label dropped, written again, then kept on.
    assertThat(
            apply(
                """
                - {regex: '^__meta_kubernetes_pod_container_port_name$', action: labeldrop}
                - source_labels: [__meta_kubernetes_pod_annotation_XXX_metrics_port]
                  regex: '(.+)'
                  replacement: metrics
                  target_label: __meta_kubernetes_pod_container_port_name
                - source_labels: [__meta_kubernetes_pod_container_port_name]
                  regex: '^metrics$'
                  action: keep
                """,
                Map.of(
                    "__meta_kubernetes_pod_container_port_name", "foo",
                    "__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091")))
        .isEqualTo(
            Map.of(
                "__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091",
                "__meta_kubernetes_pod_container_port_name", "metrics"));

    assertThat(
            apply(
                """
                - source_labels: [__meta_sd_tags]
                  regex: '(?:.+,|^)path:(/[^,]+).*'
                  target_label: __metrics_path__
                - source_labels: [__meta_sd_tags]
                  regex: '(?:.+,|^)job:([^,]+).*'
                  target_label: job
                - source_labels: [__meta_sd_tags]
                  regex: '(?:.+,|^)label:([^=]+)=([^,]+).*'
                  target_label: '${1}'
                  replacement: '${2}'
                """,
                Map.of("__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar")))
        .isEqualTo(
            Map.of(
                "__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar",
                "__metrics_path__", "/secret",
                "job", "some-job",
                "foo", "bar"));
  }

  @Test
  void theInputIsNeverChanged() {
    Map<String, String> in = new java.util.HashMap<>(Map.of("a", "1", "b", "2"));
    Map<String, String> out =
        apply(
            """
            - {source_labels: [a], target_label: c}
            - {regex: b, action: labeldrop}
            """,
            in);
    assertThat(out).isEqualTo(Map.of("a", "1", "c", "1"));
    assertThat(in).isEqualTo(Map.of("a", "1", "b", "2"));
  }
}
