package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateTest {
  @Test
  void substitutesLabelsAndValue() {
    assertThat(
            Template.render(
                "{{ $labels.service }} in {{$labels.namespace}}: {{ $value }}",
                Map.of("service", "checkout", "namespace", "shop"),
                0.25))
        .isEqualTo("checkout in shop: 0.25");
  }

  @Test
  void formatsValuesShortly() {
    assertThat(Template.formatValue(120.0)).isEqualTo("120");
    assertThat(Template.formatValue(0.05)).isEqualTo("0.05");
    assertThat(Template.formatValue(Double.NaN)).isEqualTo("NaN");
  }

  @Test
  void leavesUnknownPlaceholdersAndDollarSignsAlone() {
    assertThat(Template.render("{{ .Labels.x }} costs $5 {{ $value }}", Map.of(), 1))
        .isEqualTo("{{ .Labels.x }} costs $5 1");
  }

  @Test
  void humanizesValuesLikePrometheus() {
    assertThat(
            Template.render(
                "fails {{ $value | humanizePercentage }} ({{$value|humanize}})",
                Map.of(),
                0.23333333333333334))
        .isEqualTo("fails 23.33% (0.2333)");
    assertThat(Template.render("{{ $value | humanize }} ms", Map.of(), 1234.5678))
        .isEqualTo("1235 ms");
  }
}
