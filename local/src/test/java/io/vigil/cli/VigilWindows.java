package io.vigil.cli;

import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.signal.GoldenSignal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** One service's final windows as a user of {@code vigil.signals} reads them. */
final class VigilWindows {
  private VigilWindows() {}

  /**
   * A window's records summed: a window's own record and any late supplements. Latency is the
   * window's own record's (a supplement's quantiles cannot be merged with it).
   */
  record Window(long requests, long errors, int records, GoldenSignal.Latency latency) {
    static final Window NONE = new Window(0, 0, 0, null);

    Window plus(GoldenSignal s) {
      return new Window(
          requests + s.traffic().requests(),
          errors + s.errors().count(),
          records + 1,
          s.revision() == null ? s.latencyMs() : latency);
    }
  }

  /**
   * The records of {@code service} (no cluster, namespace or operation) on vigil.signals by window
   * start, read from the beginning with a read_committed consumer until each of {@code
   * expectedStarts} has its record and the requests add up to at least {@code expectedRequests}
   * (late supplements may follow a window's record), or until {@code deadlineMs} (wall clock) with
   * whatever is there.
   */
  static Map<Long, Window> read(
      EmbeddedKafka kafka,
      String service,
      List<Long> expectedStarts,
      long expectedRequests,
      long deadlineMs) {
    String series = GoldenSignal.seriesKey(null, null, service, null);
    Properties props = kafka.clientProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "side-by-side-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    var signals = JsonSerde.of(GoldenSignal.class).deserializer();
    Map<Long, Window> byStart = new TreeMap<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.SIGNALS));
      while (System.currentTimeMillis() < deadlineMs) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (series.equals(r.key())) {
            GoldenSignal s = signals.deserialize(Topics.SIGNALS, r.value());
            byStart.merge(
                s.window().start().toEpochMilli(), Window.NONE.plus(s), (w, ignored) -> w.plus(s));
          }
        }
        long counted = byStart.values().stream().mapToLong(Window::requests).sum();
        if (byStart.keySet().containsAll(expectedStarts) && counted >= expectedRequests) {
          break;
        }
      }
    }
    return byStart;
  }
}
