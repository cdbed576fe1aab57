package io.vigil.processor;

import java.util.Properties;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** What every {@code TopologyTestDriver} of the processor's topologies is given. */
public final class TopologyTests {
  private TopologyTests() {}

  /** A fresh producer standing in for the dead-letter handler's; its history is what it sent. */
  public static MockProducer<byte[], byte[]> dlqProducer() {
    return new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * {@code config}'s streams settings (exactly-once, the DLQ handler) with the handler wired to
   * {@code metrics} and {@code dlq}.
   */
  public static Properties props(
      ProcessorConfig config, ProcessorMetrics metrics, MockProducer<byte[], byte[]> dlq) {
    Properties props = config.streamsProperties();
    props.put(DeadLetterHandler.METRICS_CONFIG, metrics);
    props.put(DeadLetterHandler.PRODUCER_CONFIG, dlq);
    return props;
  }
}
