package io.vigil.processor;

import io.vigil.model.Topics;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.signal.GoldenSignal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * A {@code TopologyTestDriver} of a topology that emits golden signals, as every such test needs
 * it: one input topic of bytes, the live and final signal topics, the DLQ, and a wall clock that
 * only moves forward.
 */
public final class SignalsDriver implements AutoCloseable {
  /** The driver itself, for topics of its own. */
  public final TopologyTestDriver driver;

  /** The input topic, bytes as the collector writes them. */
  public final TestInputTopic<byte[], byte[]> input;

  /** {@code vigil.signals}: final windows. */
  public final TestOutputTopic<String, GoldenSignal> signals;

  /** {@code vigil.signals.live}: live signals. */
  public final TestOutputTopic<String, GoldenSignal> live;

  /** {@code vigil.dlq}. */
  public final TestOutputTopic<byte[], byte[]> dlq;

  private Instant wallClock;

  /**
   * The test configuration: state in {@code stateDir}, 10 s windows, 5 s grace, 500 ms emit
   * interval, 2 min clock skew.
   */
  public static ProcessorConfig config(Path stateDir) {
    return new ProcessorConfig(
        null,
        "vigil-test",
        stateDir.toString(),
        Duration.ofSeconds(10),
        Duration.ofSeconds(5),
        Duration.ofMillis(500),
        Duration.ofMinutes(2),
        null,
        null,
        null);
  }

  /**
   * Drives the topology that {@code build} makes of {@code config}, reading {@code inputTopic},
   * with the wall clock at {@code start}; unreadable internal records go to {@code dlqProducer}.
   */
  public SignalsDriver(
      ProcessorConfig config,
      ProcessorMetrics metrics,
      MockProducer<byte[], byte[]> dlqProducer,
      Function<ProcessorConfig, Topology> build,
      String inputTopic,
      Instant start) {
    this.driver =
        new TopologyTestDriver(
            build.apply(config), TopologyTests.props(config, metrics, dlqProducer), start);
    this.wallClock = start;
    this.input =
        driver.createInputTopic(inputTopic, new ByteArraySerializer(), new ByteArraySerializer());
    var signal = JsonSerde.of(GoldenSignal.class).deserializer();
    this.signals = driver.createOutputTopic(Topics.SIGNALS, new StringDeserializer(), signal);
    this.live = driver.createOutputTopic(Topics.SIGNALS_LIVE, new StringDeserializer(), signal);
    this.dlq =
        driver.createOutputTopic(
            Topics.DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Moves the wall clock to {@code at} (never back), firing the punctuations that are due. */
  public void clockTo(Instant at) {
    if (at.isAfter(wallClock)) {
      driver.advanceWallClockTime(Duration.between(wallClock, at));
      wallClock = at;
    }
  }

  /** The wall clock now. */
  public Instant wallClock() {
    return wallClock;
  }

  @Override
  public void close() {
    driver.close();
  }
}
