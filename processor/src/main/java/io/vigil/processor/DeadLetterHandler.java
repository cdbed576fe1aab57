package io.vigil.processor;

import io.vigil.model.Topics;
import io.vigil.model.kafka.DeadLetters;
import io.vigil.model.runtime.ThrottlingLogger;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams deserialization handler for every serde-driven input (e.g. the repartition topic):
 * a record that cannot be deserialized is copied to {@code vigil.dlq} with the reason in headers,
 * counted, logged (rate-limited) and skipped, so one poison record never stops a stream thread.
 *
 * <p>Kafka Streams creates the handler by reflection; it finds its collaborators in the streams
 * properties under {@link #METRICS_CONFIG} and {@link #PRODUCER_CONFIG}. Without a producer (e.g.
 * under {@code TopologyTestDriver}) the record is only counted and logged. The producer is not part
 * of the streams transaction: a poison record may reach the DLQ twice after a crash, which is
 * harmless for a DLQ.
 */
public final class DeadLetterHandler implements DeserializationExceptionHandler {
  /** Streams property holding the {@link ProcessorMetrics} to count rejections in. */
  public static final String METRICS_CONFIG = "vigil.processor.metrics";

  /** Streams property holding the {@code Producer<byte[], byte[]>} that writes the DLQ. */
  public static final String PRODUCER_CONFIG = "vigil.processor.dlq.producer";

  static final String REASON = "deserialization_failed";

  private static final ThrottlingLogger LOG =
      new ThrottlingLogger(LoggerFactory.getLogger(DeadLetterHandler.class));

  private ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private Producer<byte[], byte[]> producer;

  /** Used by Kafka Streams. */
  public DeadLetterHandler() {}

  @Override
  @SuppressWarnings("unchecked")
  public void configure(Map<String, ?> configs) {
    if (configs.get(METRICS_CONFIG) instanceof ProcessorMetrics m) {
      metrics = m;
    }
    if (configs.get(PRODUCER_CONFIG) instanceof Producer<?, ?> p) {
      producer = (Producer<byte[], byte[]>) p;
    }
  }

  @Override
  public DeserializationHandlerResponse handle(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    metrics.recordRejected(REASON);
    LOG.warn(
        "sending undeserializable record from {}-{}@{} to {}: {}",
        record.topic(),
        record.partition(),
        record.offset(),
        Topics.DLQ,
        String.valueOf(exception));
    if (producer != null) {
      ProducerRecord<byte[], byte[]> dead =
          new ProducerRecord<>(
              Topics.DLQ,
              null,
              record.timestamp() >= 0 ? record.timestamp() : null,
              record.key(),
              record.value(),
              DeadLetters.headers(
                  record.headers(), REASON + ": " + exception.getMessage(), record.topic()));
      producer.send(
          dead,
          (metadata, error) -> {
            if (error != null) {
              LOG.warn("cannot write to {}: {}", Topics.DLQ, error.toString());
            }
          });
    }
    return DeserializationHandlerResponse.CONTINUE;
  }
}
