package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vigil.collector.TestRequests;
import io.vigil.collector.scrape.Exposition.Family;
import io.vigil.collector.scrape.Exposition.Format;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The exposition parser on real scrapes and on the inputs Prometheus itself rejects. */
class ExpositionTest {
  private static final List<String> TEXT =
      List.of(
          "node-exporter.txt",
          "cadvisor-testdata-prometheus_metrics.txt",
          "cadvisor-testdata-prometheus_machine_metrics.txt",
          "kubelet-metrics-cadvisor-k8s1.35.excerpt.txt",
          "prometheus-server-selfscrape-237mfs.prom.txt",
          "prometheus-v1-selfscrape-common-testdata.prom.txt");
  private static final List<String> INVALID =
      List.of(
          "duplicate-help.prom.txt",
          "duplicate-type.prom.txt",
          "float-timestamp.prom.txt",
          "histogram-non-numeric-le.prom.txt",
          "invalid-escape-sequence.prom.txt",
          "newline-in-label-value.prom.txt",
          "summary-non-numeric-quantile.prom.txt",
          "type-after-sample.prom.txt",
          "unquoted-label-value.prom.txt");

  static String fixture(String name) {
    return new String(TestRequests.fixture("fixtures/prometheus/" + name), StandardCharsets.UTF_8);
  }

  private static Family family(List<Family> families, String name) {
    return families.stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void readsARealNodeExporterScrape() throws Exception {
    List<Family> families = Exposition.parse(fixture("node-exporter.txt"), Format.TEXT);

    assertThat(families).hasSize(283);
    Family cpu = family(families, "node_cpu_seconds_total");
    assertThat(cpu.type()).isEqualTo("counter");
    assertThat(cpu.help()).isEqualTo("Seconds the CPUs spent in each mode.");
    assertThat(cpu.samples().get(0).labels()).containsKeys("cpu", "mode");
    Family gc = family(families, "go_gc_duration_seconds");
    assertThat(gc.type()).isEqualTo("summary");
    assertThat(gc.samples())
        .extracting(Exposition.Sample::name)
        .contains("go_gc_duration_seconds_sum");
  }

  static List<String> text() {
    return TEXT;
  }

  @ParameterizedTest
  @MethodSource("text")
  void readsTheRealScrapes(String name) throws Exception {
    List<Family> families = Exposition.parse(fixture(name), Format.TEXT);

    assertThat(families).isNotEmpty();
    assertThat(families).allSatisfy(f -> assertThat(f.samples()).isNotEmpty());
  }

  @Test
  void keepsTheKubeletsSampleTimestamps() throws Exception {
    List<Family> families =
        Exposition.parse(fixture("kubelet-metrics-cadvisor-k8s1.35.excerpt.txt"), Format.TEXT);

    assertThat(families.stream().flatMap(f -> f.samples().stream()))
        .anySatisfy(
            s -> assertThat(s.timestampMillis()).isNotNull().isGreaterThan(1_600_000_000_000L));
  }

  @Test
  void readsOpenMetricsWithCreatedAndExemplars() throws Exception {
    List<Family> families =
        Exposition.parse(fixture("openmetrics-alltypes-exemplars.om.txt"), Format.OPENMETRICS);

    Family errors = family(families, "promhttp_metric_handler_errors");
    assertThat(errors.type()).isEqualTo("counter");
    assertThat(errors.samples())
        .extracting(Exposition.Sample::name)
        .containsExactly(
            "promhttp_metric_handler_errors_total",
            "promhttp_metric_handler_errors_created",
            "promhttp_metric_handler_errors_total",
            "promhttp_metric_handler_errors_created");
    Family histogram = family(families, "rpc_durations_histogram_seconds");
    assertThat(histogram.type()).isEqualTo("histogram");
    assertThat(histogram.samples())
        .filteredOn(s -> s.labels().getOrDefault("le", "").equals("-0.0002899999999999998"))
        .singleElement()
        .satisfies(s -> assertThat(s.value()).as("the exemplar is read past").isEqualTo(3));
    assertThat(Exposition.parse(fixture("openmetrics-1histogram.om.txt"), Format.OPENMETRICS))
        .as("# EOF without a trailing newline")
        .hasSize(1);
  }

  @Test
  void openMetricsMustEndWithEof() {
    assertThatThrownBy(() -> Exposition.parse(fixture("node-exporter.txt"), Format.OPENMETRICS))
        .isInstanceOf(Exposition.Invalid.class);
    assertThatThrownBy(() -> Exposition.parse("a 1\n", Format.OPENMETRICS))
        .hasMessage("line 1: OpenMetrics exposition does not end with # EOF");
  }

  static List<String> invalid() {
    return INVALID;
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void rejectsWhatPrometheusRejectsNamingTheLine(String name) {
    assertThatThrownBy(() -> Exposition.parse(fixture("invalid/" + name), Format.TEXT))
        .isInstanceOf(Exposition.Invalid.class)
        .hasMessageStartingWith("line ");
  }

  @Test
  void saysWhatIsWrong() {
    assertThatThrownBy(
            () -> Exposition.parse(fixture("invalid/type-after-sample.prom.txt"), Format.TEXT))
        .hasMessage("line 3: TYPE line for metric after its samples");
    assertThatThrownBy(() -> Exposition.parse("m{le=\"1\"} x\n", Format.TEXT))
        .hasMessage("line 1: value 'x' is not a number");
  }

  /** Where Debian's promtool is installed: it and we agree on every fixture. */
  @Test
  void agreesWithPromtool() throws Exception {
    Path promtool = Path.of("/usr/bin/promtool");
    assumeTrue(Files.isExecutable(promtool), "promtool not installed (Debian package prometheus)");
    for (String name : concat(TEXT, INVALID.stream().map(n -> "invalid/" + n).toList())) {
      Process p =
          new ProcessBuilder(promtool.toString(), "check", "metrics")
              .redirectErrorStream(true)
              .start();
      p.getOutputStream().write(fixture(name).getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      boolean promtoolRejects = out.toLowerCase(java.util.Locale.ROOT).contains("pars");
      boolean weReject;
      try {
        Exposition.parse(fixture(name), Format.TEXT);
        weReject = false;
      } catch (Exposition.Invalid e) {
        weReject = true;
      }
      assertThat(weReject).as("%s: promtool says %s", name, out.strip()).isEqualTo(promtoolRejects);
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }
}
