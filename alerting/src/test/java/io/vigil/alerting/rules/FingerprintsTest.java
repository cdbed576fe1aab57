package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FingerprintsTest {
  @Test
  void isStableSixteenHexDigitsIndependentOfOrder() {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("alertname", "HighErrorRatio");
    a.put("service", "checkout");
    Map<String, String> b = new LinkedHashMap<>();
    b.put("service", "checkout");
    b.put("alertname", "HighErrorRatio");

    assertThat(Fingerprints.of(a)).matches("[0-9a-f]{16}").isEqualTo(Fingerprints.of(b));
    assertThat(Fingerprints.of(Map.of("service", "cart", "alertname", "HighErrorRatio")))
        .isNotEqualTo(Fingerprints.of(a));
  }

  @Test
  void emptyLabelSetIsTheFnvOffsetBasis() {
    // Alertmanager: model.LabelSet{}.Fingerprint() == hashNew() == 14695981039346656037
    assertThat(Fingerprints.of(Map.of())).isEqualTo("cbf29ce484222325");
  }

  @Test
  void separatesNamesFromValues() {
    assertThat(Fingerprints.of(Map.of("ab", "c"))).isNotEqualTo(Fingerprints.of(Map.of("a", "bc")));
  }
}
