package io.vigil.collector.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.re2j.Pattern;
import io.vigil.collector.TestRequests;
import io.vigil.model.otlp.Severities;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Container log lines, records joined from them, and levels found in them; real fixtures. */
class LogLinesTest {

  private static ContainerLine parse(String line) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    return ContainerLine.parse(bytes, 0, bytes.length);
  }

  private static List<String> lines(String fixture) {
    String text =
        new String(TestRequests.fixture("fixtures/logs/" + fixture), StandardCharsets.UTF_8);
    return List.of(text.split("\n", -1)).stream().filter(l -> !l.isEmpty()).toList();
  }

  /** Runs {@code lines} through an assembler, flushing at the end, and gives the records. */
  private static List<RecordAssembler.Assembled> assemble(
      List<String> lines, String pattern, int maxBytes) {
    RecordAssembler assembler =
        new RecordAssembler(pattern == null ? null : Pattern.compile(pattern), maxBytes, 1000);
    List<RecordAssembler.Assembled> out = new ArrayList<>();
    long offset = 0;
    for (String line : lines) {
      offset += line.getBytes(StandardCharsets.UTF_8).length + 1;
      assembler.accept(parse(line), offset, false, out::add);
    }
    assembler.flush(out::add);
    return out;
  }

  @Test
  void readsTheCriFormatOfContainerd() {
    List<String> lines = lines("containerd-cri.log");

    ContainerLine first = parse(lines.get(0));

    assertThat(first.stream()).isEqualTo("stdout");
    assertThat(first.partial()).isFalse();
    assertThat(first.content()).isEqualTo("example: 10 Tue Feb 16 09:21:15 UTC 2021");
    assertThat(first.timeNanos()).isEqualTo(1613467275518430714L);
    assertThat(assemble(lines, null, 1 << 20)).hasSize(7);
  }

  @Test
  void joinsCriPartialLines() {
    List<RecordAssembler.Assembled> records =
        assemble(
            List.of(
                "2021-02-16T09:21:18.522445945Z stderr P part one, ",
                "2021-02-16T09:21:18.522445946Z stderr P part two, ",
                "2021-02-16T09:21:18.522445947Z stderr F the end",
                "2021-02-16T09:21:19.000000000Z stdout F "),
            null,
            1 << 20);

    assertThat(records)
        .extracting(RecordAssembler.Assembled::content)
        .containsExactly("part one, part two, the end", "");
    assertThat(records.get(0).stream()).isEqualTo("stderr");
    assertThat(records.get(0).timeNanos())
        .as("the first piece's time")
        .isEqualTo(1613467278522445945L);
  }

  @Test
  void joinsDockerJsonFilePartialEntries() {
    List<RecordAssembler.Assembled> records =
        assemble(lines("docker-json-file-with-partial-line.log"), null, 1 << 20);

    assertThat(records).hasSize(6);
    assertThat(records.get(1).content())
        .isEqualTo(
            "example: 13 (part of log) Tue Feb 16 09:15:13 UTC 2021"
                + "example: 13 (end of log) Tue Feb 16 09:15:13 UTC 2021");
    assertThat(records.get(1).stream()).isEqualTo("stdout");
  }

  @Test
  void joinsDockerFragmentsLikeFluentBitsDockerMode() {
    List<String> expected =
        lines("docker-mode-split-multiline.expected.out").stream()
            .map(l -> parse(l).content())
            .toList();

    List<RecordAssembler.Assembled> records =
        assemble(lines("docker-mode-split-multiline.input.log"), "^\\d{4}-\\d{2}-\\d{2}", 1 << 20);

    assertThat(records)
        .extracting(RecordAssembler.Assembled::content)
        .containsExactlyElementsOf(expected);
  }

  @Test
  void keepsLinesBeforeTheFirstStartApartLikeFluentBit() {
    List<String> expected =
        lines("docker-mode-firstline-detection.expected.out").stream()
            .map(l -> parse(l).content())
            .toList();

    List<RecordAssembler.Assembled> records =
        assemble(
            lines("docker-mode-firstline-detection.input.log"), "^\\d{4}-\\d{2}-\\d{2}", 1 << 20);

    assertThat(records)
        .extracting(RecordAssembler.Assembled::content)
        .containsExactlyElementsOf(expected);
  }

  @Test
  void aJavaStackTraceIsOneRecordEndingAtItsLastLine() {
    List<String> lines = lines("java-stacktrace-plain.log");

    List<RecordAssembler.Assembled> records = assemble(lines, "^\\S", 1 << 20);

    assertThat(records).hasSize(3);
    assertThat(records.get(0).content()).isEqualTo("single line...");
    assertThat(records.get(1).content())
        .startsWith("Dec 14 06:41:08 Exception in thread \"main\"")
        .endsWith("at com.myproject.module.MyProject.main(MyProject.java:6)")
        .contains("\n    at com.myproject.module.MyProject.badMethod(MyProject.java:22)\n");
    long traceEnd = 0;
    for (String line : lines.subList(0, 7)) {
      traceEnd += line.length() + 1;
    }
    assertThat(records.get(1).endOffset()).isEqualTo(traceEnd);
    assertThat(records.get(2).content()).isEqualTo("another line...");
  }

  @Test
  void aRecordOverTheLimitIsCutAndSaysSo() {
    List<RecordAssembler.Assembled> records =
        assemble(List.of("2021-02-16T09:21:18.522445945Z stdout F " + "x".repeat(100)), null, 40);

    assertThat(records.get(0).content()).hasSize(40);
    assertThat(records.get(0).cut()).isTrue();
  }

  @Test
  void aLineInNeitherFormatIsTakenAsItIs() {
    ContainerLine line = parse("{\"level\":\"error\",\"msg\":\"boom\"}");

    assertThat(line.content()).isEqualTo("{\"level\":\"error\",\"msg\":\"boom\"}");
    assertThat(line.stream()).isNull();
    assertThat(line.timeNanos()).isZero();
    assertThat(parse("2021-02-16T09:21:18Z nonsense F x").content())
        .isEqualTo("2021-02-16T09:21:18Z nonsense F x");
    assertThat(parse("not-a-time stdout F x").content()).isEqualTo("not-a-time stdout F x");
  }

  @Test
  void findsTheLevelAnApplicationWrote() {
    assertThat(LevelSniffer.of("{\"level\":\"error\",\"msg\":\"boom\"}"))
        .isEqualTo(new LevelSniffer("error", 17));
    assertThat(LevelSniffer.of("{\"ts\":1,\"severity\":\"WARNING\"}").number()).isEqualTo(13);
    assertThat(LevelSniffer.of("ts=2024-01-01T00:00:00Z level=warn msg=\"disk\"").number())
        .isEqualTo(13);
    assertThat(LevelSniffer.of("2024-01-01 12:00:00.123 ERROR 1 --- [main] o.s.Boot : failed"))
        .isEqualTo(new LevelSniffer("ERROR", 17));
    assertThat(LevelSniffer.of("[warn] something odd").number()).isEqualTo(13);
    assertThat(LevelSniffer.of("an error occurred in prose").number())
        .as("a lower-case word in prose is not a level")
        .isZero();
    assertThat(LevelSniffer.of("INFORMATIONAL").number()).isEqualTo(9);
    assertThat(LevelSniffer.of("").number()).isZero();
    assertThat(LevelSniffer.of("{broken json level=error").number()).isEqualTo(17);
    for (String word :
        new String[] {"INFO", "WARN", "WARNING", "ERROR", "DEBUG", "TRACE", "FATAL", "CRITICAL"}) {
      assertThat(LevelSniffer.of("12:00:01 " + word + " [main] started"))
          .as(word)
          .isEqualTo(new LevelSniffer(word, Severities.number(word)));
    }
    assertThat(LevelSniffer.of("INFOS of the day").number()).isZero();
  }

  @Test
  void tellsAnUpperCaseWordAsToUpperCaseWould() {
    for (String word :
        List.of("ERROR", "Error", "error", "WARNß", "ÉCHEC", "Échec", "ǅEBUG", "警告", "ΣΦΑΛΜΑ")) {
      assertThat(LevelSniffer.upperCase("[" + word + "]", 1, word.length() + 1))
          .as(word)
          .isEqualTo(word.equals(word.toUpperCase(Locale.ROOT)));
    }
  }
}
