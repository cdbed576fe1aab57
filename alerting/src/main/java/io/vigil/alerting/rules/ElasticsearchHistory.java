package io.vigil.alerting.rules;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.alerting.elasticsearch.ElasticsearchIndexer;
import io.vigil.alerting.elasticsearch.ElasticsearchSettings;
import io.vigil.alerting.elasticsearch.IndexReplay;
import io.vigil.alerting.elasticsearch.IndexedRecords;
import io.vigil.model.signal.GoldenSignal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * History for {@link Backtest} from what the alert engine indexed into Elasticsearch, which keeps
 * weeks where Kafka keeps days: each document is read back as its record ({@link IndexedRecords})
 * and goes through the same adapters ({@link Samples}) as a record read from Kafka, so both sources
 * give the same samples. The indices stand in for the topics the Kafka source reads:
 *
 * <ul>
 *   <li>{@value ElasticsearchIndexer#SIGNALS} for {@code vigil.signals} (final windows; late
 *       supplements left out). Live signals are not indexed.
 *   <li>{@value ElasticsearchIndexer#PIPELINES} for {@code vigil.pipeline-runs};
 *   <li>{@value ElasticsearchIndexer#LOGS} for {@code vigil.logs}, only the lines some log-pattern
 *       rule matches kept.
 * </ul>
 */
public final class ElasticsearchHistory {
  /**
   * A document's {@code @timestamp} and its sample's time may differ a little: read a margin either
   * side; samples outside the range are left out as from Kafka.
   */
  private static final Duration MARGIN = Duration.ofMinutes(1);

  private ElasticsearchHistory() {}

  /**
   * Reads the samples of {@code [from, to]} that {@code rules} watch — only the indices some rule
   * needs.
   *
   * @throws IllegalStateException when Elasticsearch cannot be reached or an index does not exist;
   *     the message names the URL and the index
   */
  public static Backtest.History read(
      ElasticsearchSettings elasticsearch, List<AlertRule> rules, Instant from, Instant to) {
    Backtest.Inputs inputs = Backtest.Inputs.of(rules);
    List<String> indices = new ArrayList<>();
    List<Sample> samples = new ArrayList<>();
    List<LogLine> lines = new ArrayList<>();
    long[] unreadable = {0};
    try (IndexReplay replay = IndexReplay.open(elasticsearch)) {
      if (inputs.signals()) {
        indices.add(ElasticsearchIndexer.SIGNALS);
        read(
            replay,
            ElasticsearchIndexer.SIGNALS,
            from,
            to,
            unreadable,
            doc -> {
              GoldenSignal signal = IndexedRecords.signal(doc);
              if (signal.revision() == null) {
                samples.add(Samples.of(signal));
              }
            });
      }
      if (inputs.pipelines()) {
        indices.add(ElasticsearchIndexer.PIPELINES);
        read(
            replay,
            ElasticsearchIndexer.PIPELINES,
            from,
            to,
            unreadable,
            doc -> samples.add(Samples.of(IndexedRecords.pipelineRun(doc))));
      }
      if (inputs.logs()) {
        indices.add(ElasticsearchIndexer.LOGS);
        read(
            replay,
            ElasticsearchIndexer.LOGS,
            from,
            to,
            unreadable,
            doc -> {
              LogLine line = Samples.of(IndexedRecords.log(doc));
              if (inputs.keeps(line, from, to)) {
                lines.add(line);
              }
            });
      }
    }
    return Backtest.History.of(samples, unreadable[0], indices, lines, from, to);
  }

  private interface Reader {
    void read(ObjectNode doc);
  }

  private static void read(
      IndexReplay replay,
      String index,
      Instant from,
      Instant to,
      long[] unreadable,
      Reader reader) {
    replay.replay(
        index,
        from.minus(MARGIN),
        to.plus(MARGIN),
        doc -> {
          try {
            reader.read(doc);
          } catch (RuntimeException e) {
            unreadable[0]++;
          }
        });
  }
}
