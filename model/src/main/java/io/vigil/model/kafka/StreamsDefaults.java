package io.vigil.model.kafka;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Kafka Streams settings every Vigil topology starts from (the processor's, the alert
 * engine's), before its own and the user's {@code kafka.streams} overrides. An alert crosses four
 * exactly-once commits on its way (processor: repartition by series, live signal; alert engine:
 * repartition by group, notification queue), and a record becomes readable downstream only when the
 * transaction that wrote it commits, so these settings are mostly about how soon that happens
 * (measured hop by hop in BENCHMARKS.md, "Alert latency hop by hop").
 */
public final class StreamsDefaults {
  /** Commit interval: half of it is what a record waits, on average, at each hop. */
  public static final int COMMIT_INTERVAL_MS = 50;

  /**
   * How long a stream thread's producer gathers records before it sends them. Under exactly-once a
   * record is readable only once the commit that follows it is, and the commit sends what is still
   * gathered, so this delays nothing a reader sees (Kafka Streams' default is 100 ms, longer than
   * the commit interval); 0 woke the producer's network thread for every new batch, which sent a
   * quarter more requests (BENCHMARKS.md, "A cold start under load, and the producer's linger").
   */
  public static final int LINGER_MS = 5;

  /**
   * The most a stream thread's producer gathers for one partition before it sends: 128 KiB, where
   * the producer's default is 16 KiB. The processor writes a series' state, kilobytes of it, with
   * every request, so 16 KiB filled after a few records, and each full batch woke the producer's
   * network thread to send it; with 128 KiB that thread sends a fifth of the requests and spends
   * less than half the CPU per point (BENCHMARKS.md, "The stream producers' batch size"). The
   * producer sets this much aside for each partition it is gathering for, out of its {@code
   * buffer.memory} of 32 MiB: room for 256 partitions at once.
   */
  public static final int BATCH_SIZE = 131_072;

  /**
   * How long a stream thread blocks in {@code poll} when no input arrives. The thread commits only
   * between polls, so Kafka Streams' default of 100 ms stretched every 50 ms commit interval to the
   * next record's arrival or 100 ms; an idle loop every 10 ms costs nothing measurable.
   */
  public static final int POLL_MS = 10;

  private StreamsDefaults() {}

  /**
   * Application id, state directory, {@code exactly_once_v2}, the commit interval, poll time,
   * producers' {@code linger.ms} and {@code batch.size} above, and a 10 s session timeout (a dead
   * instance's tasks move after 10 s rather than 45 s). Unprefixed where a user's unprefixed
   * override must replace them (a prefixed key would win over it).
   */
  public static Map<String, Object> exactlyOnce(String applicationId, String stateDir) {
    Map<String, Object> base = new HashMap<>();
    base.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    base.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    base.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    base.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL_MS);
    base.put(StreamsConfig.POLL_MS_CONFIG, POLL_MS);
    base.put(ProducerConfig.LINGER_MS_CONFIG, LINGER_MS);
    base.put(ProducerConfig.BATCH_SIZE_CONFIG, BATCH_SIZE);
    base.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
    base.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
    return base;
  }
}
