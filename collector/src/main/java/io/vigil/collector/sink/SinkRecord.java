package io.vigil.collector.sink;

/**
 * One record for Kafka, as every source produces it: topic, key (may be null) and value bytes.
 *
 * @param topic where the record goes
 * @param key the partitioning key, or null
 * @param value the payload
 */
public record SinkRecord(String topic, byte[] key, byte[] value) {

  /** Bytes this record takes in a request to Kafka, about: key and value. */
  public int size() {
    return (key == null ? 0 : key.length) + value.length;
  }
}
