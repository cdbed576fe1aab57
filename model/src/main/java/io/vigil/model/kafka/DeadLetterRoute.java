package io.vigil.model.kafka;

import io.vigil.model.Topics;
import io.vigil.model.runtime.ThrottlingLogger;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Record;

/**
 * How a topology's decode step sends an input record it cannot read to {@code vigil.dlq}: with its
 * original key and value, the reason in the headers ({@link DeadLetters}), inside the streams
 * transaction, counted and logged at a limited rate.
 */
public final class DeadLetterRoute {
  /** A record on its way to the DLQ: its original bytes; why travels in its headers. */
  public record Invalid(byte[] key, byte[] value) {}

  private DeadLetterRoute() {}

  /**
   * Splits {@code decoded}: {@link Invalid} values go to {@code vigil.dlq} (processor names start
   * with {@code prefix}), the others are returned as {@code type}.
   */
  public static <V> KStream<String, V> route(
      KStream<String, Object> decoded, String prefix, Class<V> type) {
    Map<String, KStream<String, Object>> branches =
        decoded
            .split(Named.as(prefix + "-"))
            .branch((key, value) -> value instanceof Invalid, Branched.as("invalid"))
            .defaultBranch(Branched.as("valid"));
    branches
        .get(prefix + "-invalid")
        .map(
            (key, value) -> KeyValue.pair(((Invalid) value).key(), ((Invalid) value).value()),
            Named.as(prefix + "-dlq-unwrap"))
        .to(
            Topics.DLQ,
            Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(prefix + "-dlq-sink"));
    return branches.get(prefix + "-valid").mapValues(type::cast, Named.as(prefix + "-values"));
  }

  /**
   * The record a decode step forwards for {@code record}, read from {@code topic} and rejected for
   * {@code reason} (a short token; {@code detail} says what was wrong), counted through {@code
   * countRejected}.
   */
  public static Record<String, Object> reject(
      Record<byte[], byte[]> record,
      String topic,
      String reason,
      String detail,
      java.util.function.Consumer<String> countRejected,
      ThrottlingLogger log) {
    countRejected.accept(reason);
    log.warn("sending record from {} to {}: {}", topic, Topics.DLQ, detail);
    return new Record<>(
        null,
        new Invalid(record.key(), record.value()),
        record.timestamp(),
        DeadLetters.headers(record.headers(), reason + ": " + detail, topic));
  }
}
