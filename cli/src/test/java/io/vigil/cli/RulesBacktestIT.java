package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.signal.GoldenSignal;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vigil rules backtest} against history on a real broker. */
@WithKafka
class RulesBacktestIT {
  @Test
  void printsWhenARuleWouldHaveFiredAndResolvedOnWhatKafkaKept(
      EmbeddedKafka kafka, @TempDir Path dir) throws Exception {
    kafka.createTopics(3, Topics.SIGNALS);
    Instant t0 = Instant.now().minus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MINUTES);
    // Ten final windows of checkout; windows 3 to 6 fail a fifth of their requests.
    try (KafkaProducer<String, GoldenSignal> producer =
        new KafkaProducer<>(
            kafka.clientProperties(),
            new StringSerializer(),
            JsonSerde.of(GoldenSignal.class).serializer())) {
      for (int i = 0; i < 10; i++) {
        Instant start = t0.plusSeconds(10L * i);
        long errors = i >= 3 && i <= 6 ? 200 : 1;
        GoldenSignal window =
            new GoldenSignal(
                null,
                new GoldenSignal.Window(start, start.plusSeconds(10), 10),
                "c1",
                "shop",
                "checkout",
                null,
                new GoldenSignal.Traffic(1000, 100),
                new GoldenSignal.Errors(errors, errors / 1000.0),
                null,
                null);
        producer.send(
            new ProducerRecord<>(
                Topics.SIGNALS,
                null,
                window.window().end().toEpochMilli(),
                window.seriesKey(),
                window));
      }
    }
    Path rules =
        Files.writeString(
            dir.resolve("rules.yaml"),
            """
            groups:
              - name: g
                rules:
                  - alert: HighErrorRatio
                    expr: errors.ratio > 0.05
                    for: 20s
                  - alert: SlowCheckout
                    expr: latency_ms.p99 > 500
            """);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      exit =
          Vigil.execute(
              "rules",
              "backtest",
              "--rules",
              rules.toString(),
              "--from",
              t0.toString(),
              "--to",
              "now",
              "--bootstrap-servers",
              kafka.bootstrapServers());
    } finally {
      System.setOut(original);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    System.out.println(printed);

    assertThat(exit).isZero();
    assertThat(printed)
        .contains("backtest of 2 rules on vigil.signals from " + t0)
        .contains(": 10 samples")
        // windows 3..6 end at 40 s..70 s; held from 40 s, so `for: 20s` fires at 60 s
        .contains(
            t0.plusSeconds(60)
                + "  FIRING    HighErrorRatio {cluster=c1, namespace=shop, service=checkout}"
                + "  value 0.2")
        .contains(
            t0.plusSeconds(80)
                + "  RESOLVED  HighErrorRatio {cluster=c1, namespace=shop, service=checkout}"
                + "  after 20s")
        .contains("HighErrorRatio: fired 1, resolved 1, firing at the end 0")
        .contains("SlowCheckout: never fired");
  }
}
