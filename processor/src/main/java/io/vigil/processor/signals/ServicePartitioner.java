package io.vigil.processor.signals;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Which task holds a service's series: the partition its {@code service.name} hashes to, exactly as
 * Kafka's default partitioner places a record keyed by that name. The collector keys every OTLP
 * record by its resource's service name, so its requests arrive on the partition of the task that
 * holds their series, and the decode step hands them to the signals step at once ({@link
 * OwnedPoints}); only the others (the OpenTelemetry Collector's Kafka exporter keys by nothing or
 * by a hash of the resource's attributes) travel through the repartition topic, placed by this
 * partitioner.
 */
final class ServicePartitioner implements StreamPartitioner<String, SeriesPoints> {
  /** The partition, of {@code partitions}, that holds the series of {@code service}. */
  static int partition(String service, int partitions) {
    byte[] name = (service == null ? "" : service).getBytes(StandardCharsets.UTF_8);
    return Utils.toPositive(Utils.murmur2(name)) % partitions;
  }

  @Override
  public Optional<Set<Integer>> partitions(
      String topic, String series, SeriesPoints points, int partitions) {
    if (points.points().isEmpty()) {
      return Optional.empty(); // nothing to count: anywhere will do (the series key's hash)
    }
    return Optional.of(Set.of(partition(points.points().get(0).service(), partitions)));
  }
}
