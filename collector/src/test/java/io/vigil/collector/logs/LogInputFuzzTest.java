package io.vigil.collector.logs;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.collector.TestRequests;
import io.vigil.collector.lineage.LineageEvents;
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
 * Container log lines and OpenLineage events under hostile input. A log line is never refused: in
 * neither runtime format it is taken as it is, and whatever the bytes, parsing one never fails and
 * keeps its text. An OpenLineage event is accepted with its job as key or refused naming what is
 * wrong — never another exception.
 */
class LogInputFuzzTest {
  private static final List<String> LOGS =
      List.of(
          "fixtures/logs/containerd-cri.log",
          "fixtures/logs/docker-json-file-with-partial-line.log",
          "fixtures/logs/json-lines-java-stacktrace.input.log");
  private static final List<String> EVENTS =
      List.of(
          "fixtures/openlineage/airflow-dag-start.json",
          "fixtures/openlineage/airflow-task-complete-bigquery-copy.json",
          "fixtures/openlineage/client-example-full-event-dataQualityAssertions.json");

  @Provide
  Arbitrary<String> splices() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(12),
        Arbitraries.of(
            "{",
            "}",
            "\"",
            "\\",
            "\\u",
            "\\ud800",
            " P ",
            " F ",
            "stderr",
            "\r",
            "\u0000",
            "\"log\":",
            "\"time\":\"x\"",
            "2024-13-45T99:99:99Z",
            "\uFFFD",
            "null",
            "[]"));
  }

  @Property(tries = 1500)
  void aLogLineIsAlwaysRead(
      @ForAll @IntRange(min = 0, max = 2) int file,
      @ForAll Damage how,
      @ForAll int where,
      @ForAll("splices") String inserted) {
    byte[] bytes = how.apply(TestRequests.fixture(LOGS.get(file)), where, inserted);
    int from = 0;
    for (int i = 0; i <= bytes.length; i++) {
      if (i == bytes.length || bytes[i] == '\n') {
        ContainerLine line = ContainerLine.parse(bytes, from, i);
        assertThat(line.content()).isNotNull();
        // JSON or logfmt: read, or null (text); never throws, always bounded.
        for (StructuredLine read :
            new StructuredLine[] {
              StructuredLine.json(line.content()), StructuredLine.logfmt(line.content())
            }) {
          if (read != null) {
            assertThat(read.attributes()).hasSizeLessThanOrEqualTo(StructuredLine.MAX_ATTRIBUTES);
          }
        }
        if (line.stream() != null) {
          assertThat(line.stream()).isIn("stdout", "stderr");
        }
        from = i + 1;
      }
    }
  }

  @Property(tries = 1000)
  void anOpenLineageEventIsKeyedByItsJobOrRefusedWithAReason(
      @ForAll @IntRange(min = 0, max = 2) int file,
      @ForAll Damage how,
      @ForAll int where,
      @ForAll("splices") String inserted) {
    byte[] body = how.apply(TestRequests.fixture(EVENTS.get(file)), where, inserted);
    try {
      String key = new String(LineageEvents.key(body), StandardCharsets.UTF_8);
      assertThat(key).contains("/");
    } catch (LineageEvents.Invalid e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }
}
