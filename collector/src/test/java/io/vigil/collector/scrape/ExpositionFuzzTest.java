package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.collector.TestRequests;
import io.vigil.embedded.fuzz.Damage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The scrape parser and converter under hostile pages: real node-exporter, cAdvisor, kubelet,
 * Prometheus and OpenMetrics pages, truncated, bit-flipped and spliced. The property: the page is
 * refused with the line that is wrong ({@link Exposition.Invalid}), or parsed and converted to OTLP
 * metrics — never another exception, never a hang.
 */
class ExpositionFuzzTest {
  private static final List<String> PAGES =
      List.of(
          "fixtures/prometheus/node-exporter.txt",
          "fixtures/prometheus/cadvisor-testdata-prometheus_metrics.txt",
          "fixtures/prometheus/kubelet-metrics-cadvisor-k8s1.35.excerpt.txt",
          "fixtures/prometheus/prometheus-v1-selfscrape-common-testdata.prom.txt",
          "fixtures/prometheus/openmetrics-alltypes-exemplars.om.txt",
          "fixtures/prometheus/openmetrics-1histogram.om.txt");

  @Provide
  Arbitrary<String> splices() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(12),
        Arbitraries.of(
            "{",
            "}",
            "=",
            "\"",
            ",",
            " ",
            "\n",
            "# TYPE x counter\n",
            "# EOF\n",
            "+Inf",
            "NaN",
            "-1e999",
            "le=\"",
            "quantile=\"0.5\"",
            "_bucket",
            "_created",
            "_total",
            "# HELP",
            "\\",
            "\u0000",
            "# {a=\"b\"} 1"));
  }

  @Property(tries = 1500)
  void aPageIsRefusedWithItsLineOrConverted(
      @ForAll @IntRange(min = 0, max = 5) int page,
      @ForAll Damage how,
      @ForAll int where,
      @ForAll("splices") String inserted) {
    String name = PAGES.get(page);
    Exposition.Format format =
        name.endsWith(".om.txt") ? Exposition.Format.OPENMETRICS : Exposition.Format.TEXT;
    String text =
        new String(how.apply(TestRequests.fixture(name), where, inserted), StandardCharsets.UTF_8);
    List<Exposition.Family> families;
    try {
      families = Exposition.parse(text, format);
    } catch (Exposition.Invalid e) {
      assertThat(e.getMessage()).isNotBlank();
      return;
    }
    assertThat(new ScrapeConverter().convert(families, 1_700_000_000_000_000_000L)).isNotNull();
  }
}
