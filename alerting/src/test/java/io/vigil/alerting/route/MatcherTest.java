package io.vigil.alerting.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MatcherTest {
  private static final Map<String, String> LABELS =
      Map.of("service", "checkout", "severity", "critical");

  @Test
  void parsesAllFourOperatorsWithAndWithoutQuotes() {
    assertThat(Matcher.parse("severity=\"critical\""))
        .isEqualTo(Matcher.equal("severity", "critical"));
    assertThat(Matcher.parse("severity = critical"))
        .isEqualTo(Matcher.equal("severity", "critical"));
    assertThat(Matcher.parse("service=~\"foo1|check.*\"").type()).isEqualTo(Matcher.Type.REGEX);
    assertThat(Matcher.parse("service!~cart").type()).isEqualTo(Matcher.Type.NOT_REGEX);
    assertThat(Matcher.parse("team!=\"a\\\"b\""))
        .isEqualTo(new Matcher("team", Matcher.Type.NOT_EQUAL, "a\"b"));
  }

  @Test
  void matchesLikeAlertmanager() {
    assertThat(Matcher.parse("severity=\"critical\"").matches(LABELS)).isTrue();
    assertThat(Matcher.parse("severity!=critical").matches(LABELS)).isFalse();
    assertThat(Matcher.parse("service=~\"check\"").matches(LABELS)).as("anchored").isFalse();
    assertThat(Matcher.parse("service=~\"foo1|checkout\"").matches(LABELS)).isTrue();
    assertThat(Matcher.parse("service!~\"cart|db\"").matches(LABELS)).isTrue();
    assertThat(Matcher.parse("team=\"\"").matches(LABELS)).as("missing label is empty").isTrue();
    assertThat(Matcher.parse("team!=\"\"").matches(LABELS)).isFalse();
  }

  @Test
  void parsesSetsInBraces() {
    List<Matcher> set = Matcher.parseAll("{service=~\"a,b|checkout\", severity=\"critical\"}");
    assertThat(set)
        .containsExactly(
            Matcher.regex("service", "a,b|checkout"), Matcher.equal("severity", "critical"));
  }

  @Test
  void rejectsBadMatchers() {
    assertThatThrownBy(() -> Matcher.parse("severity")).hasMessageContaining("bad matcher");
    assertThatThrownBy(() -> Matcher.parse("a=~\"(\""))
        .hasMessageContaining("invalid regular expression");
    assertThatThrownBy(() -> Matcher.parse("a=\"open")).hasMessageContaining("unterminated quote");
  }

  @Test
  void regexesFollowRe2LikeAlertmanagerSoNoPatternCanBacktrackForever() {
    assertThatThrownBy(() -> Matcher.regex("service", "(?=check)checkout"))
        .as("lookahead is Perl, not RE2")
        .hasMessageContaining("invalid regular expression");
    assertThatThrownBy(() -> Matcher.regex("service", "(a)\\1"))
        .as("backreferences are Perl, not RE2")
        .hasMessageContaining("invalid regular expression");
    // Catastrophic for a backtracking engine; RE2 answers in linear time.
    assertThat(
            Matcher.regex("service", "(a+)+$")
                .matches(java.util.Map.of("service", "a".repeat(64) + "!")))
        .isFalse();
  }
}
